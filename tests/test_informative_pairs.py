"""No judgment spent where it decides nothing: pairs nobody can tell apart are never composed,
and a comparison is served again only while its votes are split."""
import hashlib
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from annotator import services
from annotator.models import Lease
from annotator.stats.votes import is_decisive
from dser.differences import PairDifference, pair_difference, vote_worth
from dser.emotions import one_hot
from dser.jobs import Status
from dser.timeline import Timeline
from rendering import batches, tasks
from rendering.models import Comparison
from rendering.options import ScheduleOptions
from rendering.scheduling import schedule_batch
from tests.support import annotators, judge_watched, make_comparisons


@pytest.mark.pure
def test_a_pairs_difference_is_its_mean_and_its_strongest_stretch():
    joy, neutral = Timeline([0.0], [one_hot("joy")]), Timeline([0.0], [one_hot("neutral")])
    joy_then_neutral = Timeline([0.0, 1.0, 1.01], [one_hot("joy"), one_hot("joy"), one_hot("neutral")])
    apart = pair_difference(joy_then_neutral, joy, 4.0)  # differs fully over the last 3 s of 4
    assert apart.peak == pytest.approx(1.0) and apart.mean == pytest.approx(0.75, abs=0.03)
    assert pair_difference(joy, joy, 4.0) == PairDifference(0.0, 0.0)
    mixed = Timeline([0.0], [(one_hot("joy") * 0.9 + one_hot("neutral") * 0.1)])
    close = pair_difference(mixed, joy, 4.0)  # never marked (0.1 < 0.25): the peak is the largest distance
    assert close.peak == pytest.approx(0.1) and close.mean == pytest.approx(0.1)
    assert pair_difference(joy, neutral, 0.0).peak == 0.0  # an empty clip


@pytest.mark.pure
def test_a_vote_is_worth_the_peak_difference_times_the_outcomes_uncertainty_in_steps():
    assert vote_worth(1.0) == 1.0 and vote_worth(0.73) == 0.75  # no votes: a coin toss
    assert vote_worth(1.0, 0.9) == 0.35  # 4 x 0.9 x 0.1 = 0.36, to the step below
    assert vote_worth(0.6, 0.5) > vote_worth(1.0, 0.95) and vote_worth(0.0, 0.5) == 0.0


@pytest.mark.pure
@pytest.mark.parametrize("answers, decisive", [
    ([], False), (["left"], False), (["left", "left"], True), (["left", "right"], False),
    (["left", "right", "left"], False), (["left", "right", "left", "left"], True),
    (["tie", "tie"], True), (["both_poor", "left", "both_poor", "both_poor"], True)])
def test_votes_are_decisive_when_one_answer_leads_by_two(answers, decisive):
    assert is_decisive(answers, lead=2) == decisive


@pytest.mark.django_db
def test_pairs_below_the_floor_are_neither_composed_nor_served(clip):
    everything = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), min_difference=0.0))
    tasks.generate_sequences(everything.batch_clips.get().pk)
    peaks = dict(Comparison.objects.values_list("pk", "peak_difference"))
    assert len(peaks) == 10 and all(c.peak_difference >= c.difference > 0 for c in Comparison.objects.all())
    floor = float(np.median(list(peaks.values())))
    Comparison.objects.all().delete()  # start again from the same five sequences
    batch = schedule_batch(ScheduleOptions(clip_ids=(clip.pk,), min_difference=floor))
    tasks.generate_sequences(batch.batch_clips.get().pk)
    composed = {c.pk: c.peak_difference for c in batch.comparisons.all()}
    below = sum(peak < floor for peak in peaks.values())
    assert below >= 1 and len(composed) == 10 - below and min(composed.values()) >= floor
    assert batches.batch_counts(batch)["pairs_below_floor"] == below
    Comparison.objects.update(status=Status.DONE)
    (ann,) = annotators("ann")
    served = set()
    while (lease := services.serve_next(ann)) is not None:
        judge_watched(ann, lease.comparison_id, "left")
        served.add(lease.comparison_id)
    assert served == set(composed)


@pytest.mark.django_db
def test_a_comparison_whose_first_two_votes_agree_is_done_while_a_split_one_is_served_again(
        pair_video, media_root, settings):
    settings.MAX_OVERLAP, settings.DECISIVE_LEAD = 4, 2
    agreed, split = make_comparisons(pair_video, media_root, 2, overlap=2)
    ann, bob, eve, dan, max_ = annotators("ann", "bob", "eve", "dan", "max")
    for user, choices in ((ann, {agreed.pk: "left", split.pk: "left"}), (bob, {agreed.pk: "left", split.pk: "right"})):
        for _ in range(2):
            lease = services.serve_next(user)
            judge_watched(user, lease.comparison_id, choices[lease.comparison_id])
    agreed.refresh_from_db(), split.refresh_from_db()
    assert agreed.decided and not split.decided
    lease = services.serve_next(eve)
    assert lease.comparison_id == split.pk
    assert services.serve_next(dan) is None  # one extra slot at a time: eve's vote is not in yet
    judge_watched(eve, split.pk, "left")  # 2 to 1: still split
    assert services.serve_next(dan).comparison_id == split.pk
    judge_watched(dan, split.pk, "left")  # 3 to 1: decided
    assert services.serve_next(max_) is None
    split.refresh_from_db()
    assert split.decided and split.judgments.count() == 4


@pytest.mark.django_db
def test_with_adaptive_overlap_off_votes_stop_at_the_overlap(pair_video, media_root, settings):
    settings.MAX_OVERLAP = 0
    (comparison,) = make_comparisons(pair_video, media_root, 1, overlap=2)
    ann, bob, eve = annotators("ann", "bob", "eve")
    for user, choice in ((ann, "left"), (bob, "right")):
        judge_watched(user, services.serve_next(user).comparison_id, choice)
    assert services.serve_next(eve) is None  # split, but the overlap is all it gets


@pytest.mark.django_db
def test_a_changed_answer_that_splits_the_votes_reopens_the_comparison(pair_video, media_root, settings):
    settings.MAX_OVERLAP, settings.DECISIVE_LEAD = 3, 2
    (comparison,) = make_comparisons(pair_video, media_root, 1, overlap=2)
    ann, bob, eve = annotators("ann", "bob", "eve")
    judgments = [judge_watched(user, services.serve_next(user).comparison_id, "left") for user in (ann, bob)]
    assert services.serve_next(eve) is None
    services.change(bob, judgments[1].pk, "right")
    assert services.serve_next(eve).comparison_id == comparison.pk


@pytest.mark.django_db
def test_the_comparison_whose_outcome_is_least_certain_is_served_first(pair_video, media_root):
    """Five clips, one comparison each, the same difference: four have two agreeing votes, one
    has a split vote. New annotators are served the split one first, whatever their own order."""
    *settled, split = make_comparisons(pair_video, media_root, 5, overlap=5)
    ann, bob, *newcomers = annotators("ann", "bob", "eve", "dan", "max")
    for comparison in settled:
        for user in (ann, bob):
            vote_on(user, comparison, "left")
    vote_on(ann, split, "left")
    vote_on(bob, split, "right")
    worth = dict(Comparison.objects.values_list("pk", "vote_worth"))
    assert worth[split.pk] == pytest.approx(1.0) and all(worth[c.pk] < 0.8 for c in settled)
    assert [services.serve_next(user).comparison_id for user in newcomers] == [split.pk] * 3


@pytest.mark.django_db
def test_with_active_choice_off_each_annotator_is_served_in_their_own_order(pair_video, media_root, settings):
    settings.ACTIVE_CHOICE = False
    comparisons = make_comparisons(pair_video, media_root, 5, overlap=5)
    Comparison.objects.filter(pk=comparisons[0].pk).update(vote_worth=1.0)  # worth more, but not asked first
    Comparison.objects.exclude(pk=comparisons[0].pk).update(vote_worth=0.1)
    for user in annotators("eve", "dan", "max", "liv"):
        own_order = min(comparisons, key=lambda c: hashlib.md5(f"{user.pk}:{c.pk}".encode()).hexdigest())
        assert services.serve_next(user).comparison_id == own_order.pk


@pytest.mark.django_db
def test_paging_by_worth_still_reaches_the_last_open_comparison(pair_video, media_root, monkeypatch):
    monkeypatch.setattr(services, "CANDIDATE_PAGE", 2)
    comparisons = make_comparisons(pair_video, media_root, 9, overlap=1)
    for i, comparison in enumerate(comparisons):  # worths 0.9, 0.8, ... with ties among them
        Comparison.objects.filter(pk=comparison.pk).update(vote_worth=round(0.9 - 0.1 * (i // 2), 1))
    ann, bob = annotators("ann", "bob")
    for comparison in comparisons[:-1]:  # bob holds all but the least worth one
        vote_on(bob, comparison, "left")
    assert services.serve_next(ann).comparison_id == comparisons[-1].pk


def vote_on(user, comparison, choice: str) -> None:
    """`user` is served `comparison` (whatever else is open) and answers it."""
    Lease.objects.create(comparison=comparison, annotator=user, expires_at=timezone.now() + timedelta(minutes=5))
    judge_watched(user, comparison.pk, choice)
