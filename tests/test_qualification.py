"""Annotators qualified before their votes count: controls first, a control now and then after,
a warning after failed checks, no more work after too many (until an admin reinstates them),
and answers given before the video could be watched counted against the annotator."""
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from annotator import services
from annotator.models import Lease, Qualification
from annotator.stats.qualification import Assessment, Rules, assess, check_outcome, control_due, failing
from tests.support import annotators, judge_watched, make_comparisons
from training.services import ExportFilters, judgments_for

P, F_, NO = (False, True), (False, False), (False, None)  # not controls: passed, failed (too fast), no check
CP, CF = (True, True), (True, False)  # controls: right, wrong


@pytest.mark.pure
def test_the_default_rules_are_five_controls_seventy_percent_and_a_control_every_ten():
    assert Rules() == Rules(controls=5, pass_share=0.7, every=10, warn_after=2, block_after=5) and Rules().on


@pytest.mark.pure
@pytest.mark.parametrize("outcomes, qualified, blocked", [
    ([CP] * 4, False, False),  # not enough checks yet
    ([CP] * 5, True, False),
    ([CP, CP, CF, CP, CP], True, False),  # 0.8
    ([CP, CF, CF, CP, CP], False, False),  # 0.6: still qualifying ...
    ([CP, CF, CF, CP, CP, CP, CP], True, False),  # ... until 5 of 7 pass
    ([CF] * 5, False, True),
    ([CP, CF, NO, F_, CF, CF, CF], False, True),  # a too-fast answer is a failed check
    ([CP] * 40 + [CF] * 5, True, False),  # a good annotator's rare slips never add up to a block
    ([CP] * 5 + [CF] * 20, True, True),  # qualified once, blocked when the share falls
    ([NO] * 30, False, False),  # no controls, no checks: still qualifying
])
def test_an_annotator_qualifies_on_passed_checks_and_is_blocked_only_below_the_pass_share(outcomes, qualified, blocked):
    assessment = assess(outcomes, Rules())
    assert (assessment.qualified, assessment.blocked) == (qualified, blocked)


@pytest.mark.pure
def test_a_control_passes_when_right_and_watched_and_any_answer_too_fast_fails():
    assert check_outcome(True, right=True, too_fast=False) == CP
    assert check_outcome(True, right=True, too_fast=True) == CF
    assert check_outcome(True, right=False, too_fast=False) == CF
    assert check_outcome(False, right=False, too_fast=False) == NO  # no known answer: no check
    assert check_outcome(False, right=False, too_fast=True) == F_


@pytest.mark.pure
def test_failed_in_a_row_and_answers_since_the_last_control_are_counted():
    assessment = assess([CP, CF, NO, P, CF, NO, NO], Rules())
    assert (assessment.checks, assessment.failed, assessment.failed_in_row) == (4, 2, 1)
    assert (assessment.controls, assessment.since_control) == (3, 2)
    assert assess([CF, F_], Rules()).failed_in_row == 2


@pytest.mark.pure
def test_an_annotator_who_has_answered_enough_checks_without_passing_is_failing():
    rules = Rules(controls=3)
    assert assess([CP, CF, CF], rules).qualified is False and failing(assess([CP, CF, CF], rules), rules)
    assert not failing(assess([CF, CF], rules), rules)  # too few checks to tell yet
    assert not failing(assess([CP, CP, CP], rules), rules)


@pytest.mark.pure
def test_controls_come_first_while_qualifying_then_about_every_ten_answers():
    rules = Rules(every=10)
    assert control_due(Assessment(0, 0, 0, 0, 0, qualified=False, blocked=False), rules, 1)
    gaps = set()
    for annotator in range(50):
        due = [control_due(Assessment(5, 0, 0, since, 5, qualified=True, blocked=False), rules, annotator)
               for since in range(20)]
        gaps.add(due.index(True) + 1)  # the control is this many comparisons after the last one
        assert all(due[due.index(True):])
    assert min(gaps) >= 8 and max(gaps) <= 12 and len(gaps) > 1  # about ten, not always the same
    assert not control_due(Assessment(5, 0, 0, 99, 5, True, False), Rules(every=0), 1)


def watch_and_answer(user, choose) -> int:
    """Serve the annotator's next comparison, let its video play through (the lease is moved
    back by a minute), and answer `choose(comparison)`; the comparison's id."""
    lease = services.serve_next(user)
    judge_watched(user, lease.comparison_id, choose(lease.comparison))
    return lease.comparison_id


def right(comparison) -> str:
    return comparison.control_answer or "left"


def wrong(comparison) -> str:
    return "right" if comparison.control_answer == "left" else "left"


@pytest.mark.django_db
def test_a_new_annotator_answers_controls_first_then_one_every_few_answers(pair_video, media_root, settings):
    settings.QUALIFICATION = Rules(controls=3, every=4)
    comparisons = make_comparisons(pair_video, media_root, 16, overlap=1, controls=4)
    controls = {c.pk for c in comparisons if c.is_control}
    ann, bob = annotators("ann", "bob")
    first = [watch_and_answer(ann, right) for _ in range(3)]
    assert set(first) <= controls and Qualification.objects.get(annotator=ann).qualified_at
    served = [watch_and_answer(ann, right) for _ in range(6)]
    assert sum(pk in controls for pk in served) == 1  # the fourth control, three or so answers later
    # bob is served the same controls (controls take nobody's work) and fails two of four:
    assert {watch_and_answer(bob, choose) for choose in (wrong, right, wrong, right)} == controls
    assert Qualification.objects.get(annotator=bob).state == "qualifying"
    assert services.serve_next(bob) is None  # no check left for him, and his votes would not count
    kept, counts = judgments_for(ExportFilters(exclude_failed_controls=False))
    assert {j.annotator_id for j in kept} == {ann.pk} and counts["after unqualified annotators"] == 5


@pytest.mark.django_db
def test_an_unqualified_annotators_votes_are_not_exported(pair_video, media_root, settings):
    """What was tried: a project with fewer controls than qualifying takes; an annotator answers
    both, rightly, then ordinary comparisons. What must hold: they were served work (nobody
    waits while work is left), but their votes are left out of exports until they qualify,
    unless the export says otherwise; with qualification off, every vote counts."""
    settings.QUALIFICATION = Rules(controls=3)
    comparisons = make_comparisons(pair_video, media_root, 6, overlap=1, controls=2)
    (carl,) = annotators("carl")
    served = [watch_and_answer(carl, right) for _ in range(4)]
    assert {c.pk for c in comparisons if c.is_control} == set(served[:2])
    kept, counts = judgments_for(ExportFilters(exclude_failed_controls=False))
    assert counts["after too-fast answers"] == 2 and counts["after unqualified annotators"] == 0
    assert judgments_for(ExportFilters(exclude_unqualified=False, exclude_failed_controls=False))[0].count() == 2
    settings.QUALIFICATION = Rules(controls=0)
    assert judgments_for(ExportFilters(exclude_failed_controls=False))[0].count() == 2


@pytest.mark.django_db
def test_a_blocked_annotator_gets_204_with_the_reason_and_a_page_that_says_why_until_reinstated(
        client, pair_video, media_root, settings, admin_user):
    settings.QUALIFICATION = Rules()
    make_comparisons(pair_video, media_root, 10, overlap=1, controls=8)
    (eve,) = annotators("eve")
    client.force_login(eve)
    for failed in range(1, 6):
        served = client.get("/api/v1/comparisons/next").json()
        assert served["warning"] == "" if failed <= 2 else "Your last" in served["warning"]
        Lease.objects.filter(comparison=served["id"]).update(served_at=F("served_at") - timedelta(minutes=1))
        control = Lease.objects.get(comparison=served["id"]).comparison
        response = client.post("/api/v1/judgments", {"comparison": served["id"], "choice": wrong(control),
                                                     "watched_to_end": True, "time_ms": 60_000},
                               content_type="application/json")
        assert response.status_code == 201
    response = client.get("/api/v1/comparisons/next")
    assert response.status_code == 204 and "5 of 5 checks failed" in response["X-Not-Served-Reason"]
    page = client.get("/annotate/").content.decode()
    assert "You are no longer served comparisons" in page and "5 of 5 checks failed" in page
    client.force_login(admin_user)
    dashboard = client.get("/annotate/dashboard/").content.decode()
    assert "blocked" in dashboard and "5 of 5 checks failed" in dashboard and "Reinstate" in dashboard
    client.post(f"/annotate/dashboard/reinstate/{eve.pk}/")
    standing = Qualification.objects.get(annotator=eve)
    assert (standing.blocked_at, standing.checks, standing.reinstated_by) == (None, 0, admin_user)
    client.force_login(eve)
    assert client.get("/api/v1/comparisons/next").status_code == 200


@pytest.mark.django_db
def test_answers_given_before_the_video_could_be_watched_count_against_the_annotator(
        pair_video, media_root, settings):
    settings.QUALIFICATION, settings.MIN_WATCH_SHARE = Rules(), 1.0
    make_comparisons(pair_video, media_root, 12, overlap=1, controls=4)
    (fast,) = annotators("fast")
    for _ in range(5):  # right every time, but at once: nobody watched
        lease = services.serve_next(fast)
        services.judge(fast, lease.comparison_id, right(lease.comparison), True, 60_000)
    standing = Qualification.objects.get(annotator=fast)
    assert standing.qualified_at is None and standing.blocked_at is not None and standing.failed == 5
    with pytest.raises(services.Blocked):
        services.serve_next(fast)


@pytest.mark.django_db
def test_serving_decides_on_the_votes_an_export_keeps(pair_video, media_root, settings, admin_user):
    """What was tried: two agreeing votes on a comparison under adaptive overlap, one of them
    by an annotator still qualifying; then that annotator qualifies, is blocked, is reinstated.
    What must hold: the comparison is decided (served no more) exactly while both votes count:
    not before the annotator qualifies, not while they are blocked."""
    settings.QUALIFICATION, settings.MAX_OVERLAP, settings.DECISIVE_LEAD = Rules(controls=3), 4, 2
    comparison, *_ = make_comparisons(pair_video, media_root, 4, overlap=2, controls=3)
    ann, bob = annotators("ann", "bob")
    Qualification.objects.create(annotator=ann, qualified_at=timezone.now())

    def decided() -> bool:
        comparison.refresh_from_db()
        return comparison.decided

    for user in (ann, bob):
        Lease.objects.create(comparison=comparison, annotator=user, expires_at=timezone.now() + timedelta(minutes=5))
        judge_watched(user, comparison.pk, "left")
    assert not decided()  # bob's vote does not count yet: the comparison is still asked
    for _ in range(3):
        watch_and_answer(bob, right)
    assert Qualification.objects.get(annotator=bob).state == "qualified" and decided()
    Qualification.objects.filter(annotator=bob).update(blocked_at=timezone.now())
    services.record_votes(comparison.clip_id)
    assert not decided()
    assert services.reinstate(bob, admin_user) and decided()


@pytest.mark.django_db
def test_an_answer_given_too_fast_does_not_decide_a_comparison(pair_video, media_root, settings):
    """What was tried: two agreeing votes under adaptive overlap, one given at once (nobody
    watched). What must hold: the comparison stays open, and a third annotator is served it."""
    settings.MAX_OVERLAP, settings.DECISIVE_LEAD, settings.MIN_WATCH_SHARE = 4, 2, 1.0
    (comparison,) = make_comparisons(pair_video, media_root, 1, overlap=2)
    ann, fast, eve = annotators("ann", "fast", "eve")
    judge_watched(ann, services.serve_next(ann).comparison_id, "left")
    services.judge(fast, services.serve_next(fast).comparison_id, "left", True, 60_000)
    comparison.refresh_from_db()
    assert not comparison.decided and services.serve_next(eve).comparison_id == comparison.pk
