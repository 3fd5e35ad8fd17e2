"""`manage.py import_meld` on generated corpora: good clips, broken ones, re-runs."""
import json
import re
from io import StringIO

import pytest
import soundfile
from django.core.management import CommandError, call_command

from corpus.models import Clip
from tests.support import truncate, write_tone_mp4, write_video_without_audio

pytestmark = pytest.mark.django_db


def import_meld(corpus, *extra) -> str:
    out = StringIO()
    call_command("import_meld", "--csv", str(corpus.meld_csv), "--clips", str(corpus.meld_clips), *extra,
                 stdout=out, verbosity=0)
    return out.getvalue()


def summary_counts(output: str) -> dict[str, int]:
    counts = {}
    for line in output.splitlines():
        name, _, number = line.rpartition(" ")
        if number.isdigit():
            counts[name.strip()] = int(number)
    return counts


def test_it_imports_every_clip_of_a_clean_corpus(demo_corpus, media_root):
    output = import_meld(demo_corpus)
    expected = json.loads(demo_corpus.timelines.read_text())
    assert summary_counts(output) == {"imported": len(expected), "skipped (already imported)": 0, "failed": 0}
    clips = Clip.objects.all()
    assert {c.key for c in clips} == {f"dev/{name}" for name in expected}
    for clip in clips:
        assert clip.status == Clip.Status.READY and clip.dataset == "meld" and clip.split == "dev"
        info = soundfile.info(str(media_root / clip.audio.name))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        true_duration = json.loads(demo_corpus.timelines.read_text())[clip.key.split("/")[1]]["times"][-1]
        assert clip.duration_s == pytest.approx(true_duration, abs=0.05)
        assert clip.transcript and clip.speaker and clip.label
        assert {"season", "episode", "start_s", "end_s", "sentiment"} <= clip.metadata.keys()


def break_corpus(corpus) -> dict[str, str]:
    """Make four clips unusable in four ways and give a fifth a Windows-1252 transcript.
    Returns clip name -> expected failure kind."""
    names = sorted(p.stem for p in corpus.meld_clips.glob("*.mp4"))
    missing, truncated, silent_video, too_short, cp1252 = names[:5]
    (corpus.meld_clips / f"{missing}.mp4").unlink()
    truncate(corpus.meld_clips / f"{truncated}.mp4")
    write_video_without_audio(corpus.meld_clips / f"{silent_video}.mp4")
    write_tone_mp4(corpus.meld_clips / f"{too_short}.mp4", seconds=0.1)
    # Re-encode the CSV: one row's transcript in Windows-1252 bytes, the rest UTF-8.
    dia, utt = cp1252.removeprefix("dia").split("_utt")
    lines = corpus.meld_csv.read_bytes().split(b"\n")
    for i, line in enumerate(lines):
        fields = line.split(b",")
        if len(fields) > 11 and fields[-8:-6] == [dia.encode(), utt.encode()]:  # 4 time parts at the end
            lines[i] = b",".join([fields[0], "Caf\u00e9 \u201cna\u00efve\u201d".encode("cp1252"), *fields[-11:]])
    corpus.meld_csv.write_bytes(b"\n".join(lines))
    return {missing: "missing", truncated: "corrupt", silent_video: "no_audio", too_short: "too_short", cp1252: ""}


def test_it_records_each_broken_clip_with_its_reason_and_imports_the_rest(corpus_copy):
    expectations = break_corpus(corpus_copy)
    n_clips = len(json.loads(corpus_copy.timelines.read_text()))

    output = import_meld(corpus_copy)

    counts = summary_counts(output)
    assert counts["imported"] == n_clips - 4
    assert counts["failed"] == 4
    assert {counts[kind] for kind in ("missing", "corrupt", "no_audio", "too_short")} == {1}
    assert "read as Windows-1252" in output
    for name, kind in expectations.items():
        clip = Clip.objects.get(key=f"dev/{name}")
        if kind:
            assert clip.status == Clip.Status.FAILED and clip.failure_kind == kind
            assert not clip.audio and clip.duration_s is None
        else:
            assert clip.status == Clip.Status.READY
            assert clip.transcript == "Caf\u00e9 \u201cna\u00efve\u201d"
    reasons = {kind: Clip.objects.get(key=f"dev/{name}").status_reason for name, kind in expectations.items() if kind}
    assert re.fullmatch(r"missing: no file at .*\.mp4", reasons["missing"])
    assert re.fullmatch(r"corrupt: ffprobe cannot read dia\d+_utt\d+\.mp4: .*moov atom not found.*", reasons["corrupt"])
    assert re.fullmatch(r"no_audio: dia\d+_utt\d+\.mp4 has no audio stream", reasons["no_audio"])
    assert re.fullmatch(r"too_short: 0\.1\d s of audio, shorter than the 0\.25 s minimum", reasons["too_short"])


def test_a_second_run_imports_nothing(corpus_copy):
    break_corpus(corpus_copy)
    import_meld(corpus_copy)
    before = list(Clip.objects.order_by("key").values_list("key", "status", "audio", "updated_at"))

    counts = summary_counts(import_meld(corpus_copy))

    assert counts["imported"] == 0 and counts["failed"] == 0
    assert counts["skipped (already imported)"] == len(before)
    assert list(Clip.objects.order_by("key").values_list("key", "status", "audio", "updated_at")) == before


def test_retry_failed_imports_a_clip_once_its_file_is_fixed(corpus_copy):
    names = sorted(p.stem for p in corpus_copy.meld_clips.glob("*.mp4"))
    good = (corpus_copy.meld_clips / f"{names[0]}.mp4").read_bytes()
    truncate(corpus_copy.meld_clips / f"{names[0]}.mp4")
    import_meld(corpus_copy)
    assert Clip.objects.get(key=f"dev/{names[0]}").status == Clip.Status.FAILED

    (corpus_copy.meld_clips / f"{names[0]}.mp4").write_bytes(good)
    counts = summary_counts(import_meld(corpus_copy, "--retry-failed"))

    assert counts["imported"] == 1
    assert Clip.objects.get(key=f"dev/{names[0]}").status == Clip.Status.READY


def test_limit_and_split_options(demo_corpus):
    import_meld(demo_corpus, "--limit", "3", "--split", "test", "--dataset", "meld-sample")
    assert Clip.objects.filter(dataset="meld-sample", split="test").count() == 3
    assert all(key.startswith("test/") for key in Clip.objects.values_list("key", flat=True))


def test_it_reports_clip_files_without_a_csv_row(corpus_copy):
    write_tone_mp4(corpus_copy.meld_clips / "dia9999_utt0.mp4", seconds=1.0)
    output = import_meld(corpus_copy)
    assert "1 file(s)" in output and "no CSV row" in output
    assert not Clip.objects.filter(key__contains="dia9999").exists()


def test_it_refuses_missing_inputs_clearly(demo_corpus, tmp_path):
    with pytest.raises(CommandError, match="CSV not found"):
        call_command("import_meld", "--csv", str(tmp_path / "nope.csv"), "--clips", str(demo_corpus.meld_clips))
    with pytest.raises(CommandError, match="clip folder not found"):
        call_command("import_meld", "--csv", str(demo_corpus.meld_csv), "--clips", str(tmp_path / "nope"))
    odd_name = tmp_path / "annotations.csv"
    odd_name.write_bytes(demo_corpus.meld_csv.read_bytes())
    with pytest.raises(CommandError, match="--split"):
        call_command("import_meld", "--csv", str(odd_name), "--clips", str(demo_corpus.meld_clips))
    assert not Clip.objects.exists()
