"""A small, fully generated corpus for demos and tests. Core (no Django).

`python manage.py make_demo_corpus OUT` writes:
  OUT/meld/dev_sent_emo.csv            real MELD rows (corpus/data/meld), unchanged
  OUT/meld/dev_splits_complete/*.mp4   dia{D}_utt{U}.mp4: espeak-ng speech of each row's line,
                                       starting in the row's emotion, changing one to three times
  OUT/meld/timelines.json              each clip's true emotion timeline (Timeline JSON), its
                                       voice and the prosody of each part
  OUT/crema_d/*.wav                    single-emotion utterances in CREMA-D naming
                                       ({actor}_{sentence}_{ANG|DIS|FEA|HAP|NEU|SAD}_XX.wav),
                                       one voice per actor (OUT/crema_d/voices.json), 16 kHz mono
and for training on it (`--with-wav`, write_dialogue_audio):
  OUT/dialogue_wav/*.wav               each clip's audio as the pipeline decodes it, 16 kHz mono
  OUT/reference.jsonl                  each clip's WAV and true timeline (`evaluate --reference`)

The speech itself (voices, prosody, variation) is corpus.sources.speech. Everything is
seeded: the same arguments give the same corpus.
"""
import csv
import io
import json
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile
import soxr

from corpus.sources import meld
from corpus.sources.media import extract_wav
from corpus.sources.speech import PROSODY, VOICES, Prosody, Segment, emotional_speech, plan_segments, speak
from dser.audio import SAMPLE_RATE
from dser.datasets import crema_d_name, to_emotion
from dser.emotions import EMOTIONS
from dser.files import atomic_path, write_text_atomic
from dser.records import ReferenceRow, write_jsonl
from dser.timeline import Timeline
from dser.windows import clip_seed

DEFAULT_SOURCE_CSV = meld.MELD_DATA_DIR / "dev_sent_emo.csv"


@dataclass(frozen=True)
class DemoCorpus:
    """Where the parts of a demo corpus lie below its root."""

    root: Path

    @property
    def meld_csv(self) -> Path:
        return self.root / "meld" / "dev_sent_emo.csv"

    @property
    def meld_clips(self) -> Path:
        return self.root / "meld" / meld.SPLIT_FOLDERS["dev"]

    @property
    def timelines(self) -> Path:
        return self.root / "meld" / "timelines.json"

    @property
    def crema_d(self) -> Path:
        return self.root / "crema_d"

    @property
    def dialogue_wav(self) -> Path:
        return self.root / "dialogue_wav"

    @property
    def reference(self) -> Path:
        return self.root / "reference.jsonl"


def encode_mp4(samples: np.ndarray, rate: int, target: Path) -> None:
    """A plain-coloured H.264 video with the speech as AAC, like a MELD clip."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav, atomic_path(target) as partial:
        soundfile.write(wav.name, samples, rate)
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x2b3a4a:s=160x120:r=25",
             "-i", wav.name, "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "64k", str(partial)],
            check=True, capture_output=True,
        )


def pick_meld_rows(source_csv: Path, n_clips: int, seed: int) -> list[meld.MeldRow]:
    """Real rows with one of the six emotions and enough words to split in two."""
    rows, _ = meld.read_rows(source_csv)
    usable = [r for r in rows if to_emotion(r.emotion) and len(r.utterance.split()) >= 6]
    return sorted(random.Random(seed).sample(usable, min(n_clips, len(usable))), key=lambda r: r.sr_no)


def write_meld_part(corpus: DemoCorpus, source_csv: Path, n_clips: int, seed: int, jobs: int,
                    voices: tuple[str, ...]) -> None:
    clips_dir = corpus.meld_clips
    rows = pick_meld_rows(source_csv, n_clips, seed)

    def make(row: meld.MeldRow) -> tuple[str, dict]:
        rng = random.Random(clip_seed(row.clip_name, seed))  # each clip its own draw: jobs may run in any order
        # One voice per speaker within a dialogue, drawn afresh for each dialogue: a few main
        # characters say most MELD lines, and a model trained on their clips must not hear
        # only a handful of voices.
        voice = voices[clip_seed(f"dia{row.dialogue_id}/{row.speaker}", seed) % len(voices)]
        segments = plan_segments(to_emotion(row.emotion), len(row.utterance.split()), rng)
        samples, rate, timeline, prosody = emotional_speech(row.utterance, segments, voice, rng)
        encode_mp4(samples, rate, clips_dir / f"{row.clip_name}.mp4")
        return row.clip_name, {"emotions": [s.emotion for s in segments], "voice": voice, "segments": prosody,
                               **timeline.to_json()}

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        timelines = dict(pool.map(make, rows))
    write_meld_csv(source_csv, {row.sr_no for row in rows}, corpus.meld_csv)
    write_text_atomic(corpus.timelines, json.dumps(timelines, indent=1))


def write_meld_csv(source_csv: Path, sr_numbers: set[int], target: Path) -> None:
    """Copy the chosen rows of the real CSV verbatim (same columns, quoting and times)."""
    text, _ = meld.decode_text(source_csv.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    with atomic_path(target) as partial, partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(r for r in reader if r and int(r[0]) in sr_numbers)


@dataclass(frozen=True)
class UtteranceStyle:
    """How the single-emotion utterances are made. By default each actor says its own
    sentences (each in every emotion), so that a model cannot lean on the words or the length
    of a few sentences shared by every voice, and each utterance's prosody is jittered around
    its emotion's centre. The other settings make corpora like CREMA-D (every actor says the
    same sentences) or a generator with one prosody per emotion, to see how a recipe carries over."""
    shared_sentences: bool = False
    fixed_prosody: bool = False

    def prosody(self, emotion: str, rng: random.Random) -> Prosody:
        return PROSODY[emotion] if self.fixed_prosody else Segment(emotion).prosody(rng)


class PlannedUtterance(NamedTuple):
    name: str  # CREMA-D naming, without .wav
    voice: str
    sentence: str
    prosody: Prosody


def plan_utterances(source_csv: Path, n_voices: int, n_sentences: int, seed: int, voices: tuple[str, ...],
                    style: UtteranceStyle) -> tuple[dict[int, str], list[PlannedUtterance]]:
    """(each actor's voice, every utterance to speak): each actor's sentences in every emotion."""
    rows, _ = meld.read_rows(source_csv)
    short = [r.utterance for r in rows if 3 <= len(r.utterance.split()) <= 8]
    actor_voices = {1001 + i: voice for i, voice in enumerate(random.Random(seed + 2).sample(voices, n_voices))}
    planned = []
    for actor, voice in actor_voices.items():
        sentences = random.Random(f"{seed}-{'all' if style.shared_sentences else actor}").sample(short, n_sentences)
        for index, sentence in enumerate(sentences):
            for emotion in EMOTIONS:
                name = crema_d_name(actor, f"S{index:02d}", emotion)
                planned.append(PlannedUtterance(name, voice, sentence,
                                                style.prosody(emotion, random.Random(clip_seed(name, seed)))))
    return actor_voices, planned


def write_crema_part(corpus: DemoCorpus, source_csv: Path, n_voices: int, n_sentences: int, seed: int, jobs: int,
                     voices: tuple[str, ...], style: UtteranceStyle = UtteranceStyle()) -> None:
    out = corpus.crema_d
    actor_voices, planned = plan_utterances(source_csv, n_voices, n_sentences, seed, voices, style)

    def make(utterance: PlannedUtterance) -> None:
        samples, rate = speak(utterance.sentence, utterance.voice, utterance.prosody)
        with atomic_path(out / f"{utterance.name}.wav") as partial:
            soundfile.write(partial, soxr.resample(samples, rate, SAMPLE_RATE), SAMPLE_RATE, subtype="PCM_16")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(make, planned))
    write_text_atomic(out / "voices.json", json.dumps({str(actor): voice for actor, voice in actor_voices.items()}))


def make_demo_corpus(
    root: Path, n_clips: int = 24, n_voices: int = 6, n_sentences: int = 4, seed: int = 0,
    source_csv: Path = DEFAULT_SOURCE_CSV, jobs: int = 2, voices: tuple[str, ...] = VOICES,
    style: UtteranceStyle = UtteranceStyle(),
) -> DemoCorpus:
    """`voices`: the voices to speak with (a set of split_voices() for training, annotation or
    evaluation corpora, so no evaluation voice is ever heard in training)."""
    if not source_csv.is_file():
        raise FileNotFoundError(f"MELD annotation CSV not found: {source_csv} (the real rows come from there)")
    if n_voices > len(voices):
        raise ValueError(f"{n_voices} actors need {n_voices} voices; only {len(voices)} given")
    corpus = DemoCorpus(Path(root))
    write_meld_part(corpus, source_csv, n_clips, seed, jobs, voices)
    write_crema_part(corpus, source_csv, n_voices, n_sentences, seed, jobs, voices, style)
    return corpus


def write_dialogue_audio(corpus: DemoCorpus) -> int:
    """Each dialogue clip's audio as 16 kHz WAV (decoded from its MP4, as the pipeline hears
    it) and reference.jsonl pairing it with its true timeline. Returns the number of clips."""
    truth = json.loads(corpus.timelines.read_text())
    rows = []
    for name, entry in sorted(truth.items()):
        extract_wav(corpus.meld_clips / f"{name}.mp4", corpus.dialogue_wav / f"{name}.wav")
        rows.append(ReferenceRow(audio=f"{corpus.dialogue_wav.name}/{name}.wav", timeline=Timeline.from_json(entry)))
    write_jsonl(corpus.reference, rows)
    return len(rows)
