"""The demo corpus generator: real MELD rows, two emotions per clip, CREMA-D naming."""
import json
import re

import soundfile

from corpus.sources.demo import DEFAULT_SOURCE_CSV, PROSODY, speak
from corpus.sources.meld import read_rows
from dser.datasets import to_emotion
from dser.timeline import Timeline


def test_clips_use_real_meld_rows_unchanged(demo_corpus):
    real = {row.sr_no: row for row in read_rows(DEFAULT_SOURCE_CSV)[0]}
    rows, _ = read_rows(demo_corpus.meld_csv)
    assert len(rows) == 8
    for row in rows:
        assert real[row.sr_no] == row.__class__(**{**row.__dict__, "line": real[row.sr_no].line})
        assert (demo_corpus.meld_clips / f"{row.clip_name}.mp4").is_file()


def test_each_clip_changes_emotion_halfway_and_its_timeline_says_so(demo_corpus):
    rows = {row.clip_name: row for row in read_rows(demo_corpus.meld_csv)[0]}
    timelines = json.loads(demo_corpus.timelines.read_text())
    assert set(timelines) == set(rows)
    for name, entry in timelines.items():
        first, second = entry["emotions"]
        assert first == to_emotion(rows[name].emotion) and second != first
        timeline = Timeline.from_json(entry)
        assert timeline.dominant == [first, first, second, second]
        assert 0 < timeline.times[1] < timeline.times[2] < timeline.times[3]


def test_prosody_differs_by_emotion():
    loud, rate = speak("I cannot believe you did that", "anger", "en-us+m1")
    quiet, _ = speak("I cannot believe you did that", "sadness", "en-us+m1")
    assert PROSODY["sadness"].speed < PROSODY["anger"].speed
    assert len(quiet) > len(loud)  # sadness is slower
    assert abs(quiet).mean() < abs(loud).mean()  # and quieter


def test_crema_d_part_has_every_emotion_for_every_actor(demo_corpus):
    names = sorted(p.name for p in demo_corpus.crema_d.glob("*.wav"))
    pattern = re.compile(r"(\d{4})_S\d\d_(ANG|DIS|FEA|HAP|NEU|SAD)_XX\.wav")
    assert all(pattern.fullmatch(n) for n in names)
    assert len(names) == 2 * 2 * 6  # actors x sentences x emotions
    info = soundfile.info(str(demo_corpus.crema_d / names[0]))
    assert (info.samplerate, info.channels) == (16000, 1)


def test_the_same_seed_gives_the_same_corpus(demo_corpus, tmp_path):
    from corpus.sources.demo import make_demo_corpus

    again = make_demo_corpus(tmp_path / "again", n_clips=8, n_voices=0, seed=7)
    assert again.meld_csv.read_bytes() == demo_corpus.meld_csv.read_bytes()
    assert json.loads(again.timelines.read_text()) == json.loads(demo_corpus.timelines.read_text())
