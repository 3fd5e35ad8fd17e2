"""The demo corpus generator: real MELD rows, emotions that change at known times, varied and
seeded speech, CREMA-D naming, and voices held out from training."""
import json
import random
import re

import soundfile

from corpus.sources.demo import DEFAULT_SOURCE_CSV, UtteranceStyle, make_demo_corpus, plan_utterances
from corpus.sources.meld import read_rows
from corpus.sources.speech import PROSODY, VOICES, Segment, speak, split_voices
from dser.datasets import to_emotion
from dser.timeline import Timeline


def test_clips_use_real_meld_rows_unchanged(demo_corpus):
    real = {row.sr_no: row for row in read_rows(DEFAULT_SOURCE_CSV)[0]}
    rows, _ = read_rows(demo_corpus.meld_csv)
    assert len(rows) == 8
    for row in rows:
        assert real[row.sr_no] == row.__class__(**{**row.__dict__, "line": real[row.sr_no].line})
        assert (demo_corpus.meld_clips / f"{row.clip_name}.mp4").is_file()


def test_each_clip_changes_emotion_one_to_three_times_and_its_timeline_says_so(demo_corpus):
    rows = {row.clip_name: row for row in read_rows(demo_corpus.meld_csv)[0]}
    timelines = json.loads(demo_corpus.timelines.read_text())
    assert set(timelines) == set(rows)
    for name, entry in timelines.items():
        emotions = entry["emotions"]
        assert emotions[0] == to_emotion(rows[name].emotion) and 2 <= len(emotions) <= 4
        assert all(a != b for a, b in zip(emotions, emotions[1:]))
        timeline = Timeline.from_json(entry)
        assert len(timeline.times) == 2 * len(emotions)  # start, a cross-fade per change, end
        assert timeline.dominant[::2] == [e if entry["segments"][i]["intensity"] > 0.5 else "neutral"
                                          for i, e in enumerate(emotions)]
        assert all(0.6 <= part["intensity"] <= 1.0 for part in entry["segments"])
        assert entry["voice"] in VOICES


def test_prosody_differs_by_emotion_and_varies_around_it():
    loud, _ = speak("I cannot believe you did that", "en-us+m1", PROSODY["anger"])
    quiet, _ = speak("I cannot believe you did that", "en-us+m1", PROSODY["sadness"])
    assert len(quiet) > len(loud) and abs(quiet).mean() < abs(loud).mean()  # sadness slower and quieter
    rng = random.Random(0)
    said = [Segment("joy").prosody(rng) for _ in range(3)]
    assert len(set(said)) == 3  # each utterance its own, around the centre
    assert all(abs(p.pitch - PROSODY["joy"].pitch) <= 8 for p in said)
    half = Segment("anger", 0.5).prosody(random.Random(1))
    assert abs(half.amplitude - 145) <= 145 * 0.15 + 1e-9  # halfway from neutral (100) to anger (190)


def test_crema_d_part_has_every_emotion_for_every_actor(demo_corpus):
    names = sorted(p.name for p in demo_corpus.crema_d.glob("*.wav"))
    pattern = re.compile(r"(\d{4})_S\d\d_(ANG|DIS|FEA|HAP|NEU|SAD)_XX\.wav")
    assert all(pattern.fullmatch(n) for n in names)
    assert len(names) == 2 * 2 * 6  # actors x sentences x emotions
    info = soundfile.info(str(demo_corpus.crema_d / names[0]))
    assert (info.samplerate, info.channels) == (16000, 1)


def test_the_same_seed_gives_the_same_corpus(demo_corpus, tmp_path):
    again = make_demo_corpus(tmp_path / "again", n_clips=8, n_voices=2, n_sentences=2, seed=7)
    assert again.meld_csv.read_bytes() == demo_corpus.meld_csv.read_bytes()
    assert json.loads(again.timelines.read_text()) == json.loads(demo_corpus.timelines.read_text())
    for wav in sorted(demo_corpus.crema_d.glob("*.wav"))[:3]:
        assert (again.crema_d / wav.name).read_bytes() == wav.read_bytes()


def test_held_out_voices_are_never_heard_in_a_training_corpus(tmp_path):
    split = split_voices()
    sets = [set(voices) for voices in split]
    assert sum(map(len, sets)) == len(set.union(*sets)) == len(VOICES)  # disjoint, and every voice in one
    assert split_voices() == split
    corpora = {name: make_demo_corpus(tmp_path / name, n_clips=4, n_voices=3, n_sentences=1, seed=2, voices=voices)
               for name, voices in split._asdict().items()}
    for name, corpus in corpora.items():
        heard = ({e["voice"] for e in json.loads(corpus.timelines.read_text()).values()}
                 | set(json.loads((corpus.crema_d / "voices.json").read_text()).values()))
        assert heard <= set(getattr(split, name)), name


def test_utterance_styles_share_sentences_or_fix_prosody_only_when_asked():
    """Tried: the default plan, CREMA-D-like shared sentences, one prosody per emotion. Must
    hold: by default actors say different sentences with jittered prosody (the default corpus
    unchanged); shared, every actor says the same ones; fixed, each emotion has its centre."""
    def plan(**style):
        return plan_utterances(DEFAULT_SOURCE_CSV, 3, 2, 0, split_voices().train, UtteranceStyle(**style))[1]

    def sentences_by_actor(utterances):
        by_actor = {}
        for u in utterances:
            by_actor.setdefault(u.name.split("_")[0], set()).add(u.sentence)
        return list(by_actor.values())

    default, shared, fixed = plan(), plan(shared_sentences=True), plan(fixed_prosody=True)
    assert len(default) == 3 * 2 * 6
    assert len({frozenset(s) for s in sentences_by_actor(default)}) == 3
    assert len({frozenset(s) for s in sentences_by_actor(shared)}) == 1
    assert [u.prosody for u in default] == [u.prosody for u in shared]  # only the words change
    assert len({u.prosody for u in default}) == len(default)
    assert all(u.prosody == PROSODY[to_emotion(u.name.split("_")[2])] for u in fixed)


def test_the_command_says_what_it_wrote_and_nothing_at_verbosity_0(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    said = {}
    for verbosity in (0, 1):
        out = StringIO()
        call_command("make_demo_corpus", str(tmp_path / f"v{verbosity}"), "--clips", "1", "--voices", "0",
                     "--jobs", "1", verbosity=verbosity, stdout=out)
        said[verbosity] = out.getvalue()
    assert said[0] == "" and said[1].startswith("Wrote 1 MELD-layout clips to ")
