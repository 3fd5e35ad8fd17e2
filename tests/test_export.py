"""export_preferences on a hand-built set of judgments: majority, ties, majority share, failed
controls, Bradley-Terry, and a byte-identical re-run."""
import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command

from dser.emotions import one_hot
from tests.support import honest_and_always_left
from training.services import ExportFilters, make_export

pytestmark = pytest.mark.django_db


def exported(tmp_path, name="out", **filters) -> list[tuple[int, int]]:
    """The exported pairs; failed controls count unless a test says otherwise."""
    make_export(ExportFilters(**{"exclude_failed_controls": False, **filters}), tmp_path / name)
    rows = [json.loads(line) for line in (tmp_path / name / "triplets.jsonl").read_text().splitlines()]
    return [(row["chosen_params"]["window_s"], row["rejected_params"]["window_s"]) for row in rows]


def test_majority_wins_even_splits_and_no_preferences_make_no_triplet(judged, tmp_path):
    assert exported(tmp_path) == [(0.5, 0.7), (0.5, 0.9)]
    row = json.loads((tmp_path / "out" / "triplets.jsonl").read_text().splitlines()[0])
    assert row["votes"] == {"chosen": 2, "rejected": 1, "tie": 0, "both_poor": 0}
    assert (tmp_path / "out" / row["audio"]).stat().st_size > 1000 and row["audio"].startswith("audio/")
    assert row["chosen"]["values"][0] == one_hot("joy").tolist() and row["duration_s"] > 0


def test_majority_share_votes_and_failed_controls_filter(judged, tmp_path):
    assert exported(tmp_path, "agreed", min_majority=0.5) == [(0.5, 0.7)]
    assert exported(tmp_path, "many", min_votes=4) == []
    assert exported(tmp_path, "controls", exclude_failed_controls=True) == [(0.5, 0.7), (0.7, 0.9)]
    manifest = json.loads((tmp_path / "controls" / "manifest.json").read_text())
    assert manifest["counts"]["annotators failing controls"] == 1 and manifest["counts"]["triplets"] == 2
    assert manifest["checkpoints"] == [{"path": "ckpt", "sha256": "h" * 64}]


def test_bradley_terry_emits_the_pairs_it_is_confident_about(judged, tmp_path):
    # Wins s1>s2 twice, s2>s1, s2>s3, s3>s2, s1>s3: scores s1 0.79, s2 -0.20, s3 -0.59.
    assert exported(tmp_path, "all", aggregate="bradley-terry", bt_margin=0.0) == [(0.5, 0.7), (0.5, 0.9), (0.7, 0.9)]
    assert exported(tmp_path, "sure", aggregate="bradley-terry", bt_margin=0.5) == [(0.5, 0.7), (0.5, 0.9)]
    assert exported(tmp_path, "surer", aggregate="bradley-terry", bt_margin=1.2) == [(0.5, 0.9)]


def test_a_rerun_writes_the_same_file_and_the_manifest_says_its_hash(judged, tmp_path):
    out = StringIO()
    call_command("export_preferences", str(tmp_path / "one"), stdout=out)
    call_command("export_preferences", str(tmp_path / "two"), stdout=StringIO())
    first, second = ((tmp_path / name / "triplets.jsonl").read_bytes() for name in ("one", "two"))
    assert first == second and "triplets" in out.getvalue()
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert manifest["triplets_sha256"] == hashlib.sha256(first).hexdigest()


def test_the_web_form_and_the_command_leave_out_failed_controls_by_default(judged, tmp_path):
    """What was tried: an export from the command with no filter flags, and the web form's
    initial values. What must hold: both start from ExportFilters' defaults (failed controls
    left out), and the command's --no-exclude-failed-controls keeps them."""
    from training.forms import ExportForm

    assert ExportForm().fields["exclude_failed_controls"].initial is ExportFilters().exclude_failed_controls is True
    call_command("export_preferences", str(tmp_path / "default"), stdout=StringIO())
    call_command("export_preferences", str(tmp_path / "kept"), "--no-exclude-failed-controls", stdout=StringIO())
    filters = {name: json.loads((tmp_path / name / "manifest.json").read_text())["filters"] for name in ("default", "kept")}
    assert filters["default"]["exclude_failed_controls"] is True and filters["kept"]["exclude_failed_controls"] is False
    assert filters["default"] == {**filters["kept"], "exclude_failed_controls": True}


def test_a_failed_export_leaves_no_folder_and_says_why(judged, tmp_path, media_root):
    """What was tried: an export whose clip audio vanished from the media folder. What must
    hold: the export is recorded as failed with the reason, and neither its folder nor a
    half-written one is left behind."""
    from corpus.models import Clip
    from training.models import PreferenceExport

    for clip in Clip.objects.all():
        (media_root / clip.audio.name).unlink()
    with pytest.raises(FileNotFoundError):
        make_export(ExportFilters(exclude_failed_controls=False), tmp_path / "out")
    failed = PreferenceExport.objects.get()
    assert failed.status == "failed" and "FileNotFoundError" in failed.error
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_an_export_refuses_a_folder_holding_other_files(judged, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an export"):
        make_export(ExportFilters(), tmp_path / "out")
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_answers_faster_than_the_video_are_left_out_whatever_the_page_said(judged, tmp_path):
    """What was tried: comparisons that last 5 s, answered 3 s after serving (the page said
    it was watched to the end). What must hold: those answers make no triplet unless the
    filter is turned off, and the manifest counts them."""
    from rendering.models import Comparison

    Comparison.objects.update(duration_s=5.0)
    assert exported(tmp_path, "strict") == []
    manifest = json.loads((tmp_path / "strict" / "manifest.json").read_text())
    assert manifest["counts"]["after too-fast answers"] == 0
    assert exported(tmp_path, "lenient", exclude_too_fast=False) == [(0.5, 0.7), (0.5, 0.9)]


def test_noisy_bradley_terry_follows_the_honest_annotators_over_the_always_left_ones(clip, tmp_path):
    """What was tried: two honest annotators against two who always answer "left". Counting
    votes, every comparison shown with its better side on the right is an even split, so
    pairwise majority learns only half the pairs; Noisy Bradley-Terry estimates the
    adversaries' left bias and ranks every clip's sequences as the honest annotators do."""
    truth = honest_and_always_left(clip)
    majority = exported(tmp_path, "majority")
    assert len(majority) == 6 and set(majority) <= set(truth)  # 12 comparisons, half of them split
    weighed = exported(tmp_path, "noisy", aggregate="noisy-bt", bt_margin=0.5)
    assert sorted(weighed) == sorted(truth * 4)  # every pair of every clip, all the right way round
    manifest = json.loads((tmp_path / "noisy" / "manifest.json").read_text())
    assert manifest["counts"]["annotators weighed by skill"] == 4


def test_dawid_skene_keeps_the_sides_it_finds_likeliest(clip, tmp_path):
    truth = honest_and_always_left(clip)
    pairs = exported(tmp_path, "ds", aggregate="dawid-skene")
    assert sorted(pairs) == sorted(truth * 4)  # it learns that "left" from two of them says nothing
    first, second = (tmp_path / name / "triplets.jsonl" for name in ("ds", "ds-again"))
    exported(tmp_path, "ds-again", aggregate="dawid-skene")
    assert first.read_bytes() == second.read_bytes()


def test_the_dashboard_rates_the_honest_annotators_above_the_always_left_ones(clip):
    from annotator.dashboard import dashboard_figures

    honest_and_always_left(clip)
    skill = {row["name"]: row["skill"] for row in dashboard_figures()["annotators"]}
    assert min(skill["h1"], skill["h2"]) > 0.9 and max(skill["left1"], skill["left2"]) < 0.6


def test_until_exports_the_votes_as_they_stood_then(judged, tmp_path):
    """What was tried: every judgment but one annotator's moved two hours back, then exports up
    to an hour ago, and with a date that is no date. What must hold: the first counts only the
    older judgments; the bad date is refused by name, from the command too, and writes nothing."""
    from datetime import timedelta

    from django.core.management import CommandError
    from django.db.models import F
    from django.utils import timezone

    from annotator.models import Judgment

    latest = Judgment.objects.order_by("annotator_id").last().annotator_id
    older = Judgment.objects.exclude(annotator_id=latest).update(created_at=F("created_at") - timedelta(hours=2))
    hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    make_export(ExportFilters(until=hour_ago, exclude_failed_controls=False), tmp_path / "then")
    counts = json.loads((tmp_path / "then" / "manifest.json").read_text())["counts"]
    assert 0 < counts["after until"] == older - Judgment.objects.filter(comparison__is_control=True).exclude(
        annotator_id=latest).count() < counts["judgments"]
    with pytest.raises(CommandError, match="until must be an ISO 8601 date and time"):
        call_command("export_preferences", str(tmp_path / "bad"), "--until", "yesterday", stdout=StringIO())
    assert not (tmp_path / "bad").exists()


def test_segment_votes_make_a_triplet_per_stretch_with_its_span(judged, tmp_path):
    """What was tried: on the s1-s2 comparison (two marked stretches) a, b and c answer each
    stretch: the first left, left, right (s1 better there), the second right, right, same (s2
    better there). What must hold: granularity segment gives a triplet per stretch the right
    way round with that stretch as its span and its votes ("same" is a tie); the filters apply
    per stretch; both = the whole-clip triplets and these; clip (the default) ignores them."""
    from annotator.models import Judgment, SegmentAnswer
    from rendering.models import Comparison

    s1, s2, _ = judged
    c12 = Comparison.objects.get(left=s1, right=s2)
    c12.marks = [{"start": 0.1, "end": 0.5, "difference": 0.8}, {"start": 0.8, "end": 1.2, "difference": 0.6}]
    c12.save(update_fields=["marks"])
    for name, first, second in (("a", "left", "right"), ("b", "left", "right"), ("c", "right", "same")):
        judgment = Judgment.objects.get(comparison=c12, annotator__username=name)
        SegmentAnswer.objects.bulk_create([SegmentAnswer(judgment=judgment, index=1, choice=first),
                                           SegmentAnswer(judgment=judgment, index=2, choice=second)])
    assert exported(tmp_path, "segments", granularity="segment") == [(0.5, 0.7), (0.7, 0.5)]
    rows = [json.loads(line) for line in (tmp_path / "segments" / "triplets.jsonl").read_text().splitlines()]
    assert [row["spans"] for row in rows] == [[[0.1, 0.5]], [[0.8, 1.2]]]
    assert rows[1]["votes"] == {"chosen": 2, "rejected": 0, "tie": 1, "both_poor": 0}
    counts = json.loads((tmp_path / "segments" / "manifest.json").read_text())["counts"]
    assert counts["stretches with enough votes"] == 2 and counts["segment triplets"] == 2
    assert exported(tmp_path, "strict", granularity="segment", min_majority=0.7) == []
    assert exported(tmp_path, "votes", granularity="segment", min_votes=4) == []
    assert sorted(exported(tmp_path, "both", granularity="both")) == [(0.5, 0.7), (0.5, 0.7), (0.5, 0.9), (0.7, 0.5)]
    assert exported(tmp_path, "clip") == [(0.5, 0.7), (0.5, 0.9)]
    assert "spans" not in json.loads((tmp_path / "clip" / "triplets.jsonl").read_text().splitlines()[0])
    with pytest.raises(ValueError, match="granularity must be one of clip, segment, both"):
        make_export(ExportFilters(granularity="frame"), tmp_path / "bad")


def test_a_stored_stretch_too_brief_to_train_on_is_left_out_and_counted(judged, tmp_path):
    """What was tried: a comparison made before marks had a floor keeps a 19 ms stretch at its
    clip's end (no 50 Hz frame's centre falls in it), and all three annotators answer both of
    its stretches. What must hold: the export has the long stretch's triplet alone and counts
    the brief one; DPO never sees a span it would have to refuse."""
    from annotator.models import Judgment, SegmentAnswer
    from rendering.models import Comparison

    s1, s2, _ = judged
    c12 = Comparison.objects.get(left=s1, right=s2)
    c12.marks = [{"start": 0.1, "end": 0.5, "difference": 0.8}, {"start": 4.3, "end": 4.31894, "difference": 0.6}]
    c12.save(update_fields=["marks"])
    for judgment in Judgment.objects.filter(comparison=c12):
        SegmentAnswer.objects.bulk_create([SegmentAnswer(judgment=judgment, index=index, choice="left")
                                           for index in (1, 2)])
    exported(tmp_path, "segments", granularity="segment")
    rows = [json.loads(line) for line in (tmp_path / "segments" / "triplets.jsonl").read_text().splitlines()]
    assert [row["spans"] for row in rows] == [[[0.1, 0.5]]]
    counts = json.loads((tmp_path / "segments" / "manifest.json").read_text())["counts"]
    assert counts["stretches too brief to train on"] == 1 and counts["stretches with enough votes"] == 1
