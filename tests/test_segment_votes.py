"""Segment votes (issue 29): beside the overall answer, one answer per marked stretch of a
comparison, through the API: served with the comparison, taken with the judgment, changed
within the change window; everything it cannot take is a 422 that stores nothing."""
import pytest

from annotator.models import JudgmentChange, SegmentAnswer
from dser.differences import segment_marks
from dser.emotions import one_hot
from dser.timeline import Timeline
from tests.support import annotators, make_comparisons


@pytest.mark.pure
def test_a_comparisons_segments_are_its_marks_in_time_order():
    """Joy against neutral twice, the later stretch differing more: marks come largest first,
    a comparison keeps them in time order."""
    steady = Timeline([0.0], [one_hot("neutral")])
    twice = Timeline([0.0, 0.99, 1.0, 1.99, 2.0, 2.99, 3.0, 3.99, 4.0],
                     [one_hot(e) for e in ("neutral", "neutral", "joy", "joy", "neutral", "neutral", "anger", "anger",
                                           "neutral")])
    marks = segment_marks(twice, steady, 5.0)
    assert [round(m["start"], 1) for m in marks] == [1.0, 3.0] and all(m["end"] > m["start"] for m in marks)


@pytest.mark.pure
def test_a_stretch_cut_by_the_clips_end_to_less_than_a_tenth_of_a_second_is_not_marked():
    """What was tried: a clip of 4.31894 s whose sequences part only after 4.3 s (the last
    sample of the 10 Hz distance clock, so the stretch would be cut to 19 ms, less than a 50 Hz
    frame), and the same clip 0.2 s longer. What must hold: no mark in the first (no one could
    judge it, DPO could not train on it); the second keeps its stretch, to the clip's end."""
    steady = Timeline([0.0], [one_hot("neutral")])
    late = Timeline([0.0, 4.29, 4.3], [one_hot("neutral"), one_hot("neutral"), one_hot("anger")])
    assert segment_marks(late, steady, 4.31894) == []
    assert [(m["start"], round(m["end"], 3)) for m in segment_marks(late, steady, 4.51894)] == [(4.3, 4.519)]


def two_stretches(comparison) -> None:
    comparison.marks = [{"start": 0.2, "end": 0.6, "difference": 0.9}, {"start": 1.0, "end": 1.4, "difference": 0.5}]
    comparison.save(update_fields=["marks"])


def post(client, **body):
    return client.post("/api/v1/judgments", {"watched_to_end": True, "time_ms": 10, **body},
                       content_type="application/json")


@pytest.fixture
def served(client, pair_video, media_root):
    (comparison,) = make_comparisons(pair_video, media_root, 1)
    two_stretches(comparison)
    (ann,) = annotators("ann")
    client.force_login(ann)
    return client.get("/api/v1/comparisons/next").json()


@pytest.mark.django_db
def test_the_next_comparison_names_its_stretches_and_answers_about_them_are_kept(client, served):
    assert served["segments"] == [{"index": 1, "start_s": 0.2, "end_s": 0.6}, {"index": 2, "start_s": 1.0, "end_s": 1.4}]
    assert served["segment_votes"] == "optional" and [m["start"] for m in served["marks"]] == [0.2, 1.0]
    response = post(client, comparison=served["id"], choice="left",
                    segments=[{"index": 2, "choice": "right"}, {"index": 1, "choice": "same"}])
    assert response.status_code == 201
    assert response.json()["segments"] == [{"index": 1, "choice": "same"}, {"index": 2, "choice": "right"}]
    assert client.get("/api/v1/judgments").json()[0]["segments"][1] == {"index": 2, "choice": "right"}


@pytest.mark.django_db
@pytest.mark.parametrize("segments, says", [
    ([{"index": 3, "choice": "left"}], "stretch 3 is not one of this comparison's (2 marked)"),
    ([{"index": 1, "choice": "left"}, {"index": 1, "choice": "right"}], "stretch 1 is answered twice"),
    ([{"index": 1, "choice": "tie"}], None),  # not a stretch's choice (left, right, same): the schema says so
    ([{"index": 0, "choice": "left"}], None),
    ([{"choice": "left"}], None),
])
def test_segment_answers_it_cannot_take_are_a_422_and_nothing_is_stored(client, served, segments, says):
    """What was tried: an unknown stretch, a stretch twice, a choice outside left/right/same,
    index 0, no index. What must hold: 422 (saying why where the rules refuse it), no judgment
    and no segment answer stored, and the comparison can still be answered."""
    response = post(client, comparison=served["id"], choice="left", segments=segments)
    assert response.status_code == 422 and (says is None or response.json()["detail"] == says)
    assert not SegmentAnswer.objects.exists() and not client.get("/api/v1/judgments").json()
    assert post(client, comparison=served["id"], choice="left").status_code == 201


@pytest.mark.django_db
def test_required_segment_votes_need_every_stretch_and_off_takes_none(client, served, settings):
    settings.SEGMENT_VOTES = "required"
    response = post(client, comparison=served["id"], choice="left", segments=[{"index": 1, "choice": "left"}])
    assert response.status_code == 422 and response.json()["detail"] == "answer every marked stretch first (1 to 2)"
    settings.SEGMENT_VOTES = "off"
    assert client.get("/api/v1/comparisons/next").json()["segments"] == []
    response = post(client, comparison=served["id"], choice="left", segments=[{"index": 1, "choice": "left"}])
    assert response.status_code == 422 and "segment votes are off" in response.json()["detail"]
    settings.SEGMENT_VOTES = "required"
    both = [{"index": 1, "choice": "left"}, {"index": 2, "choice": "same"}]
    assert post(client, comparison=served["id"], choice="left", segments=both).status_code == 201


@pytest.mark.django_db
def test_patch_changes_segment_answers_within_the_window_and_keeps_each_change(client, served, settings):
    judgment = post(client, comparison=served["id"], choice="left", segments=[{"index": 1, "choice": "left"}]).json()
    url = f"/api/v1/judgments/{judgment['id']}"
    response = client.patch(url, {"segments": [{"index": 1, "choice": "right"}, {"index": 2, "choice": "same"}]},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["choice"] == "left"  # the overall answer is unchanged
    assert response.json()["segments"] == [{"index": 1, "choice": "right"}, {"index": 2, "choice": "same"}]
    assert list(JudgmentChange.objects.order_by("segment").values_list("segment", "before", "after")) == [
        (1, "left", "right"), (2, "", "same")]
    assert client.patch(url, {"segments": [{"index": 5, "choice": "right"}]},
                        content_type="application/json").status_code == 422
    assert client.patch(url, {}, content_type="application/json").status_code == 422
    settings.CHANGE_WINDOW_S = 0
    assert client.patch(url, {"segments": [{"index": 1, "choice": "left"}]},
                        content_type="application/json").status_code == 403
    assert SegmentAnswer.objects.get(index=1).choice == "right"


@pytest.mark.django_db
def test_the_openapi_schema_documents_segments(client, served):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"index", "start_s", "end_s"} <= set(schema["Segment"]["properties"])
    assert schema["SegmentIn"]["properties"]["choice"]["enum"] == ["left", "right", "same"]
    assert "segments" in schema["JudgmentIn"]["properties"] and "segments" in schema["ChangeIn"]["properties"]


@pytest.mark.django_db
def test_the_dashboard_shows_agreement_per_stretch_and_each_comparisons_stretches_on_its_timeline(
        client, pair_video, media_root, admin_user):
    """Three annotators answer both stretches of one comparison: the first all left better,
    the second left, right, same. The dashboard counts two stretches with overlapping answers,
    agreement (3 agreeing pairs of 6) 0.5, and shows the stretches with their majorities."""
    from annotator import services
    from tests.support import judge_watched

    (comparison,) = make_comparisons(pair_video, media_root, 1, overlap=3)
    two_stretches(comparison)
    for user, second in zip(annotators("ann", "bob", "eve"), ("left", "right", "same")):
        lease = services.serve_next(user)
        judge_watched(user, lease.comparison_id, "left")
        services.change(user, user.judgments.get().pk, segments=[(1, "left"), (2, second)])
    client.force_login(admin_user)
    page = client.get("/annotate/dashboard/").content.decode()
    assert "2 stretches answered by two or more annotators" in page and "agreement 0.50" in page
    assert "1: left · 1.00" in page and "2: split · 0.00" in page
