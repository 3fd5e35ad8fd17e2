import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from corpus.sources.demo import DEFAULT_SOURCE_CSV, UtteranceStyle, make_demo_corpus, write_dialogue_audio
from corpus.sources.speech import VOICES, split_voices

VOICE_SETS = {"all": lambda: VOICES, "train": lambda: split_voices().train,
              "annotation": lambda: split_voices().annotation, "held-out": lambda: split_voices().held_out}


class Command(BaseCommand):
    help = (
        "Write a small MELD-layout corpus (real MELD rows, espeak-ng speech whose emotion changes one to three times, "
        "true timelines) and single-emotion utterances in CREMA-D naming for stage-1 training."
    )

    def add_arguments(self, parser):
        parser.add_argument("out_dir", type=Path)
        parser.add_argument("--clips", type=int, default=24, help="Number of MELD-layout dialogue clips.")
        parser.add_argument("--voices", type=int, default=6, help="CREMA-D actors (one espeak voice each); 0 for none.")
        parser.add_argument("--sentences", type=int, default=4, help="Sentences per actor and emotion.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--source-csv", type=Path, default=DEFAULT_SOURCE_CSV, help="Real MELD CSV to take rows from.")
        parser.add_argument("--jobs", type=int, default=os.cpu_count())
        parser.add_argument("--voice-set", choices=VOICE_SETS, default="all",
                            help="Speak with every voice, or only one set of the voice split: training (stages 1 "
                                 "and 2), annotation (stage-3 clips) or held-out (evaluation only), so that "
                                 "evaluation corpora use voices no training corpus has (default: all).")
        parser.add_argument("--shared-sentences", action="store_true",
                            help="Every actor says the same sentences, as in CREMA-D (default: each its own).")
        parser.add_argument("--fixed-prosody", action="store_true",
                            help="Every utterance of an emotion has that emotion's prosody exactly (default: jittered "
                                 "per utterance, as one speaker says it once).")
        parser.add_argument("--with-wav", action="store_true",
                            help="Also write each clip's 16 kHz WAV (dialogue_wav/) and reference.jsonl of their true "
                                 "timelines: the input of label-windows and of evaluate --reference.")

    def handle(self, *args, out_dir, clips, voices, sentences, seed, source_csv, jobs, voice_set, shared_sentences,
               fixed_prosody, with_wav, **options):
        try:
            corpus = make_demo_corpus(out_dir, clips, voices, sentences, seed, source_csv, jobs, VOICE_SETS[voice_set](),
                                      UtteranceStyle(shared_sentences, fixed_prosody))
            if with_wav:
                write_dialogue_audio(corpus)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] == 0:  # Django's convention: -v 0 prints nothing (scripts call it so)
            return
        n_crema = len(list(corpus.crema_d.glob("*.wav")))
        n_clips = len(list(corpus.meld_clips.glob("*.mp4")))
        self.stdout.write(
            f"Wrote {n_clips} MELD-layout clips to {corpus.meld_clips}\n"
            f"      their CSV to {corpus.meld_csv} and true timelines to {corpus.timelines}\n"
            f"      {n_crema} CREMA-D-named utterances to {corpus.crema_d}"
            + (f"\n      their audio as WAV to {corpus.dialogue_wav}, with {corpus.reference}" if with_wav else "")
        )
