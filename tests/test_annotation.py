"""Assignment, leases, judgments, and the figures admins trust them by."""
import hashlib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from annotator import services
from annotator.dashboard import dashboard_figures
from annotator.models import Judgment, Lease
from tests.support import annotators, make_comparisons, run_in_threads

pytestmark = pytest.mark.django_db


def judge_all(user, choice="left") -> list[int]:
    judged = []
    while (lease := services.serve_next(user)) is not None:
        services.judge(user, lease.comparison_id, choice, True, 1500)
        judged.append(lease.comparison_id)
    return judged


def test_each_comparison_goes_to_overlap_different_annotators_and_never_twice_to_one(pair_video, media_root):
    comparisons = make_comparisons(pair_video, media_root, 3, overlap=2)
    ann, bob, eve = annotators("ann", "bob", "eve")
    assert sorted(judge_all(ann)) == [c.pk for c in comparisons]
    assert sorted(judge_all(bob)) == [c.pk for c in comparisons]
    assert judge_all(eve) == []  # every comparison has its two judgments
    assert services.serve_next(ann) is None
    assert Judgment.objects.count() == 6 and Lease.objects.count() == 6


def test_each_annotator_gets_the_work_in_an_order_of_their_own(pair_video, media_root):
    make_comparisons(pair_video, media_root, 12, overlap=2)
    ann, bob = annotators("ann", "bob")
    assert judge_all(ann) != judge_all(bob)


def test_a_served_comparison_is_held_until_answered_then_its_slot_is_gone(pair_video, media_root):
    make_comparisons(pair_video, media_root, 1)
    ann, bob = annotators("ann", "bob")
    lease = services.serve_next(ann)
    assert services.serve_next(ann) == lease  # a reload gets the same comparison back
    assert services.serve_next(bob) is None  # its only slot is held
    services.judge(ann, lease.comparison_id, "right", True, 900)
    assert services.serve_next(bob) is None


def test_an_expired_lease_frees_its_slot(pair_video, media_root):
    make_comparisons(pair_video, media_root, 1)
    ann, bob = annotators("ann", "bob")
    lease = services.serve_next(ann)
    Lease.objects.filter(pk=lease.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.serve_next(bob).comparison_id == lease.comparison_id
    with pytest.raises(services.Refused) as refused:  # ann answers too late
        services.judge(ann, lease.comparison_id, "left", True, 1)
    assert refused.value.status == 403 and Judgment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_annotators_racing_for_the_last_slot_get_one_lease_between_them(pair_video, media_root):
    """What was tried: two annotators ask for work at the same instant, one slot left. What
    must hold: exactly one of them gets it, so exactly one judgment can be made."""
    comparison = make_comparisons(pair_video, media_root, 1)[0]
    users = annotators("ann", "bob")
    start, leases = threading.Barrier(2), {}

    def ask(user):
        start.wait()
        leases[user.username] = services.serve_next(user)

    run_in_threads(*(lambda user=user: ask(user) for user in users))
    winners = [name for name, lease in leases.items() if lease is not None]
    assert len(winners) == 1 and Lease.objects.filter(comparison=comparison).count() == 1


def test_every_refused_judgment_says_why_and_changes_nothing(pair_video, media_root):
    first, second = make_comparisons(pair_video, media_root, 2, overlap=1)
    ann, bob = annotators("ann", "bob")
    lease = services.serve_next(ann)
    other = second if lease.comparison_id == first.pk else first
    for args, status in [((lease.comparison_id, "maybe", True, 10), 400), ((lease.comparison_id, "left", True, -5), 400),
                         ((other.pk, "left", True, 10), 403)]:
        with pytest.raises(services.Refused) as refused:
            services.judge(ann, *args)
        assert refused.value.status == status
    services.judge(ann, lease.comparison_id, "left", True, 10)
    with pytest.raises(services.Refused) as refused:
        services.judge(ann, lease.comparison_id, "right", True, 10)
    assert refused.value.status == 409
    judgment = Judgment.objects.get()
    assert (judgment.choice, judgment.left_id, judgment.right_id) == ("left", lease.comparison.left_id,
                                                                      lease.comparison.right_id)
    with pytest.raises(services.Refused) as refused:  # someone else's judgment
        services.change(bob, judgment.pk, "tie")
    assert refused.value.status == 404 and Judgment.objects.get().choice == "left"


def test_an_answer_can_be_changed_within_the_window_only(pair_video, media_root, settings):
    make_comparisons(pair_video, media_root, 1)
    (ann,) = annotators("ann")
    lease = services.serve_next(ann)
    judgment = services.judge(ann, lease.comparison_id, "left", True, 10)
    assert services.change(ann, judgment.pk, "both_poor").choice == "both_poor"
    Judgment.objects.filter(pk=judgment.pk).update(created_at=timezone.now() - timedelta(
        seconds=settings.CHANGE_WINDOW_S + 1))
    with pytest.raises(services.Refused) as refused:
        services.change(ann, judgment.pk, "right")
    assert refused.value.status == 403 and Judgment.objects.get().choice == "both_poor"


def test_control_accuracy_and_fast_answers_are_recorded_per_annotator(pair_video, media_root):
    make_comparisons(pair_video, media_root, 4, overlap=2, controls=2)
    careful, careless = annotators("careful", "careless")
    judge_all(careful, "left")  # controls' known answer is left
    while (lease := services.serve_next(careless)) is not None:
        services.judge(careless, lease.comparison_id, "right", True, 0)
    figures = {row["name"]: row for row in dashboard_figures()["annotators"]}
    assert (figures["careful"]["controls"], figures["careful"]["control_accuracy"]) == (2, 1.0)
    assert figures["careless"]["control_accuracy"] == 0.0
    assert figures["careless"]["too_fast"] == 4  # answered before the videos could play


def test_next_finds_work_behind_any_number_of_full_comparisons(pair_video, media_root, monkeypatch):
    """What was tried: an annotator whose queue starts with more full comparisons than the
    paging limit ever read (here 12 full pages of 2), one open comparison behind them. What
    must hold: `next` finds it; 204 (None) only once nothing is left for them."""
    monkeypatch.setattr(services, "CANDIDATE_PAGE", 2)
    comparisons = make_comparisons(pair_video, media_root, 25, overlap=1)
    ann, bob = annotators("ann", "bob")
    last = max([c.pk for c in comparisons], key=lambda pk: hashlib.md5(f"{ann.pk}:{pk}".encode()).hexdigest())  # ann's order
    for comparison in comparisons:  # bob fills every slot but the one last in ann's order
        if comparison.pk != last:
            Lease.objects.create(comparison=comparison, annotator=bob, expires_at=timezone.now() + timedelta(hours=1))
    lease = services.serve_next(ann)
    assert lease is not None and lease.comparison_id == last
    services.judge(ann, last, "left", True, 10)
    assert services.serve_next(ann) is None


@pytest.mark.django_db(transaction=True)
def test_five_concurrent_requests_of_one_annotator_leave_one_open_lease(pair_video, media_root):
    """What was tried: one annotator's five `next` requests at the same instant (a page open in
    five tabs, a script's retries). What must hold: one open lease, and all five see it."""
    make_comparisons(pair_video, media_root, 6)
    (ann,) = annotators("ann")
    start, served = threading.Barrier(5), []

    def ask():
        start.wait()
        served.append(services.serve_next(ann).comparison_id)

    run_in_threads(*[ask] * 5)
    assert Lease.objects.filter(annotator=ann, judgment__isnull=True).count() == 1
    assert len(served) == 5 and len(set(served)) == 1
