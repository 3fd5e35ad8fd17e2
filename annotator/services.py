"""Annotation: serving comparisons under leases, taking judgments, history and progress.
The page and the API call these and nothing else (the dashboard is annotator/dashboard.py).

A comparison has `overlap` slots (its batches' overlap, else DSER_OVERLAP). Each lease takes
one: for good once answered, until it expires while unanswered. Once they are all answered, a
comparison whose votes are split (not `decided`: see record_votes) opens one more slot at a
time, up to DSER_MAX_OVERLAP: votes go where they decide something. Serving locks the
candidate comparison's row (PostgreSQL: FOR UPDATE SKIP LOCKED) before counting its open
slots, so two annotators serving at once never both take its last slot.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import MD5, Cast, Coalesce, Concat, Greatest
from django.utils import timezone

from annotator.models import Judgment, JudgmentChange, Lease, Qualification, SegmentAnswer, by_qualified, too_fast
from annotator.stats.qualification import assess, check_outcome, control_due, failing
from annotator.stats.ranking import fit_bradley_terry, wins_of
from annotator.stats.votes import is_decisive
from corpus.models import Clip
from dser.differences import vote_worth
from dser.jobs import Status
from rendering.models import Comparison, RenderBatch

CANDIDATE_PAGE = 50


class Blocked(Exception):
    """The annotator is no longer served (qualification); the message says why."""


class Refused(Exception):
    """A request the rules refuse; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _count(leases) -> Coalesce:
    return Coalesce(Subquery(leases.order_by().values("comparison").annotate(n=Count("pk")).values("n")[:1],
                             output_field=IntegerField()), 0)


def ready_comparisons():
    """Rendered comparisons of ready clips, less those whose every batch has spent its
    judgment budget."""
    batches = RenderBatch.objects.filter(comparisons=OuterRef("pk"))
    wanted = ~Exists(batches.filter(budget_spent_at__isnull=False)) | Exists(batches.filter(budget_spent_at__isnull=True))
    return Comparison.objects.filter(wanted, status=Status.DONE, clip__status=Clip.Status.READY)


def with_open_slots(comparisons, now=None):
    """Those of `comparisons` with a slot left: fewer leases taken (answered, or not yet
    expired) than their overlap; or, every lease answered and the votes still split, fewer
    than DSER_MAX_OVERLAP; or, under qualification, a control."""
    now = now or timezone.now()
    overlap = RenderBatch.objects.filter(comparisons=OuterRef("pk"), overlap__isnull=False).order_by("-overlap")
    taken = Lease.objects.filter(Q(judgment__isnull=False) | Q(expires_at__gt=now), comparison=OuterRef("pk"))
    comparisons = comparisons.annotate(slots=Coalesce(Subquery(overlap.values("overlap")[:1]), Value(settings.OVERLAP)),
                                       taken=_count(taken))
    # Under qualification every annotator may answer every control: controls check people, they
    # take no one's work.
    open_slot = Q(slots__gt=F("taken")) | Q(is_control=True) if settings.QUALIFICATION.on else Q(slots__gt=F("taken"))
    if not settings.MAX_OVERLAP:
        return comparisons.filter(open_slot)
    answered = Lease.objects.filter(judgment__isnull=False, comparison=OuterRef("pk"))
    split = Q(decided=False, taken=F("answered"), taken__lt=Greatest(F("slots"), Value(settings.MAX_OVERLAP)))
    return comparisons.annotate(answered=_count(answered)).filter(open_slot | split)


@transaction.atomic
def serve_next(user) -> Lease | None:
    """The annotator's current lease if one is still open, else a lease on a new comparison,
    or None when nothing is left for them; Blocked when they are no longer served. Comparisons
    come where one more vote is worth most first (`Comparison.vote_worth`: record_votes), in an
    order of the annotator's own among equals; under qualification, controls come first while
    the annotator qualifies and about every DSER_CONTROL_EVERY answers after (control_due).

    The annotator's own row is locked first, so concurrent requests of one annotator are
    served one after another and all get the same open lease."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    standing = qualification_of(user) if settings.QUALIFICATION.on else None
    if standing and standing.blocked_at:
        raise Blocked(standing.blocked_reason)
    now = timezone.now()
    current = Lease.objects.filter(annotator=user, expires_at__gt=now, judgment__isnull=True).first()
    if current:
        return current
    for queue in _queues(user, standing, ready_comparisons().exclude(leases__annotator=user)):
        lease = _first_open(user, queue, now)
        if lease:
            return lease
    return None


def _queues(user, standing: Qualification | None, never_served) -> tuple:
    """Where to look for the annotator's next comparison, in order: without qualification, all
    of them; for one who answered enough checks without passing, checks alone (their other
    votes would not count); controls first when one is due; else the rest first (nobody
    waits while work is left)."""
    if standing is None:
        return (never_served,)
    controls, others = never_served.filter(is_control=True), never_served.filter(is_control=False)
    assessment, rules = standing.assessment(), settings.QUALIFICATION
    if failing(assessment, rules):
        return (controls,)
    return (controls, others) if control_due(assessment, rules, user.pk) else (others, controls)


def _first_open(user, candidates, now) -> Lease | None:
    """A lease on the first of `candidates` with a slot open, in serving order. Candidates are
    read a page at a time and only a page's open slots are counted, so a request costs the
    same with ten comparisons or a million; the pages go on to the end of the annotator's
    queue, so None means nothing is left, however many are full ahead of it."""
    worth = F("vote_worth") if settings.ACTIVE_CHOICE else Value(0.0, output_field=FloatField())
    ordered = (candidates.annotate(worth=worth, order=MD5(Concat(Value(f"{user.pk}:"), Cast("pk", CharField()))))
               .order_by("-worth", "order", "pk").values_list("worth", "order", "pk"))
    after = (float("inf"), "", 0)  # keyset paging: (worth, order, pk) of the last candidate seen
    while True:
        last_worth, order, pk = after
        page = list(ordered.filter(Q(worth__lt=last_worth) | Q(worth=last_worth, order__gt=order)
                                   | Q(worth=last_worth, order=order, pk__gt=pk))[:CANDIDATE_PAGE])
        pks = [pk for _, _, pk in page]
        open_now = set(with_open_slots(Comparison.objects.filter(pk__in=pks), now).values_list("pk", flat=True))
        for pk in (pk for pk in pks if pk in open_now):
            lease = _take_slot(pk, user, now)
            if lease:
                return lease
        if len(page) < CANDIDATE_PAGE:
            return None
        after = page[-1]


def _take_slot(pk: int, user, now) -> Lease | None:
    with transaction.atomic():
        locked = Comparison.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if locked is None or not with_open_slots(Comparison.objects.filter(pk=pk), now).exists():
            return None  # another annotator is taking it, or took its last slot
        try:
            with transaction.atomic():
                return Lease.objects.create(comparison=locked, annotator=user, served_at=now,
                                            expires_at=now + timedelta(seconds=settings.LEASE_S))
        except IntegrityError:  # this annotator's other request leased it a moment ago
            return None


@transaction.atomic
def judge(user, comparison_id: int, choice: str, watched_to_end: bool, time_ms: int,
          segments: Sequence[tuple[int, str]] = ()) -> Judgment:
    """Record the annotator's answer to the comparison leased to them, with their answers
    about its marked stretches (`segments`: (index, choice) pairs; DSER_SEGMENT_VOTES). Refused,
    and nothing changed: 400 an unknown choice, 409 a second answer, 403 a comparison not (or no
    longer) leased to them, 422 segment answers it cannot take (segment_answers)."""
    if choice not in Judgment.Choice.values:
        raise Refused(400, f"choice must be one of {', '.join(Judgment.Choice.values)}")
    if time_ms < 0:
        raise Refused(400, "time_ms must not be negative")
    lease = Lease.objects.select_for_update().filter(annotator=user, comparison_id=comparison_id).first()
    if Judgment.objects.filter(annotator=user, comparison_id=comparison_id).exists():
        raise Refused(409, "you have already judged this comparison; change it from your history")
    now = timezone.now()
    if lease is None or lease.expires_at <= now:
        raise Refused(403, "this comparison is not leased to you (or the lease expired)")
    comparison = lease.comparison
    answers = segment_answers(comparison, segments)
    if settings.SEGMENT_VOTES == "required" and len(answers) < len(comparison.marks):
        raise Refused(422, f"answer every marked stretch first (1 to {len(comparison.marks)})")
    try:
        with transaction.atomic():
            judgment = Judgment.objects.create(
                annotator=user, comparison=comparison, lease=lease, choice=choice, left_id=comparison.left_id,
                right_id=comparison.right_id, watched_to_end=watched_to_end, time_ms=time_ms,
                response_ms=int((now - lease.served_at).total_seconds() * 1000))
            SegmentAnswer.objects.bulk_create(SegmentAnswer(judgment=judgment, index=index, choice=answer)
                                              for index, answer in answers.items())
    except IntegrityError:
        raise Refused(409, "you have already judged this comparison") from None
    recount(user, comparison.clip_id)
    spend_budgets(comparison)
    return judgment


def spend_budgets(comparison: Comparison) -> None:
    """Close the budgeted batches of `comparison` whose comparisons have now been judged as
    often as their budget allows: theirs are served no more (unless another batch wants them)."""
    for batch in comparison.batches.filter(judgment_budget__isnull=False, budget_spent_at__isnull=True):
        if Judgment.objects.filter(comparison__batches=batch).count() >= batch.judgment_budget:
            RenderBatch.objects.filter(pk=batch.pk, budget_spent_at__isnull=True).update(budget_spent_at=timezone.now())


def segment_answers(comparison: Comparison, segments: Sequence[tuple[int, str]]) -> dict[int, str]:
    """`segments` as {index: choice}, or Refused(422): segment votes off, a choice not left,
    right or same, a stretch the comparison does not have, or one answered twice."""
    if segments and settings.SEGMENT_VOTES == "off":
        raise Refused(422, "segment votes are off in this project (DSER_SEGMENT_VOTES)")
    answers = {}
    for index, choice in segments:
        if choice not in SegmentAnswer.Choice.values:
            raise Refused(422, f"a stretch's choice must be one of {', '.join(SegmentAnswer.Choice.values)}")
        if not 1 <= index <= len(comparison.marks):
            raise Refused(422, f"stretch {index} is not one of this comparison's ({len(comparison.marks)} marked)")
        if index in answers:
            raise Refused(422, f"stretch {index} is answered twice")
        answers[index] = choice
    return answers


def change(user, judgment_id: int, choice: str | None = None, segments: Sequence[tuple[int, str]] = ()) -> Judgment:
    """Change one's own answer, or answers about stretches, within DSER_CHANGE_WINDOW_S of
    giving it; every change is kept (JudgmentChange)."""
    if choice is not None and choice not in Judgment.Choice.values:
        raise Refused(400, f"choice must be one of {', '.join(Judgment.Choice.values)}")
    judgment = Judgment.objects.filter(pk=judgment_id, annotator=user).select_related("comparison").first()
    if judgment is None:
        raise Refused(404, "no such judgment of yours")
    if not can_change(judgment):
        raise Refused(403, f"answers can be changed for {settings.CHANGE_WINDOW_S // 60} minutes only")
    answers, now = segment_answers(judgment.comparison, segments), timezone.now()
    with transaction.atomic():
        if choice is not None:
            JudgmentChange.objects.create(judgment=judgment, before=judgment.choice, after=choice, changed_by=user)
            judgment.choice = choice
        given = {answer.index: answer for answer in judgment.segments.all()}
        for index, after in answers.items():
            before = given[index].choice if index in given else ""
            JudgmentChange.objects.create(judgment=judgment, segment=index, before=before, after=after, changed_by=user)
            SegmentAnswer.objects.update_or_create(judgment=judgment, index=index,
                                                   defaults={"choice": after, "changed_at": now})
        judgment.changed_at = now
        judgment.save(update_fields=["choice", "changed_at"])
        recount(user, judgment.comparison.clip_id)
    return judgment


def recount(user, clip_id: int) -> None:
    """After an answer or a change: where the annotator stands, then what the clip's votes say,
    and every other clip's they voted on when their votes start or stop counting (they
    qualified, or were blocked). Clips are locked in one order, so concurrent recounts wait
    for each other instead of deadlocking."""
    clips = {clip_id}
    if record_qualification(user):
        clips |= _clips_voted_by(user)
    for clip in sorted(clips):
        record_votes(clip)


def _clips_voted_by(user) -> set[int]:
    return set(Judgment.objects.filter(annotator=user).values_list("comparison__clip_id", flat=True))


def counted_votes():
    """The judgments an export keeps by default, so serving decides on the same votes: none
    given too fast, and under qualification none of annotators who are not (or no longer)
    qualified."""
    votes = Judgment.objects.exclude(too_fast())
    return votes.filter(by_qualified()) if settings.QUALIFICATION.on else votes


def record_votes(clip_id: int) -> None:
    """What the clip's counted votes now say, on each of its comparisons: `decided`, whether
    one answer leads the next by DSER_DECISIVE_LEAD (adaptive overlap), and `vote_worth`, what
    one more vote is worth under a Bradley-Terry fit of the clip's votes with its uncertainty
    (dser.differences.vote_worth; controls keep theirs). The clip's rows are locked first, in
    one order, so answers arriving together are counted one after the other."""
    comparisons = list(Comparison.objects.select_for_update().filter(clip_id=clip_id).order_by("pk"))
    answers: dict[int, list[tuple]] = {comparison.pk: [] for comparison in comparisons}
    for comparison_id, *answer in counted_votes().filter(comparison__clip_id=clip_id).values_list(
            "comparison_id", "choice", "left_id", "right_id"):
        answers[comparison_id].append(tuple(answer))
    ranked = [comparison for comparison in comparisons if not comparison.is_control]
    sequences = sorted({pk for comparison in ranked for pk in (comparison.left_id, comparison.right_id)})
    index = {pk: i for i, pk in enumerate(sequences)}
    fit = fit_bradley_terry(sequences, wins_of(a for c in ranked for a in answers[c.pk]))
    changed = []
    for comparison in comparisons:
        decided = is_decisive((choice for choice, _, _ in answers[comparison.pk]), settings.DECISIVE_LEAD)
        worth = comparison.vote_worth if comparison.is_control else vote_worth(
            comparison.peak_difference or 0.0, fit.win_probability(index[comparison.left_id], index[comparison.right_id]))
        if (decided, worth) != (comparison.decided, comparison.vote_worth):
            comparison.decided, comparison.vote_worth = decided, worth
            changed.append(comparison)
    Comparison.objects.bulk_update(changed, ["decided", "vote_worth"])


def qualification_of(user) -> Qualification:
    return Qualification.objects.get_or_create(annotator=user)[0]


def record_qualification(user) -> bool:
    """After an answer or a change, where the annotator stands now: their checks since the
    last reinstatement, in the order they answered (annotator/stats/qualification.py). True
    when their votes started or stopped counting (they qualified, or were blocked)."""
    rules = settings.QUALIFICATION
    if not rules.on:
        return False
    standing = Qualification.objects.select_for_update().get_or_create(annotator=user)[0]
    answers = Judgment.objects.filter(annotator=user)
    if standing.reinstated_at:
        answers = answers.filter(created_at__gt=standing.reinstated_at)
    rows = answers.order_by("created_at", "pk").annotate(fast=ExpressionWrapper(too_fast(), BooleanField()))
    outcomes = [check_outcome(is_control, choice == answer, fast) for is_control, choice, answer, fast in
                rows.values_list("comparison__is_control", "choice", "comparison__control_answer", "fast")]
    assessment = assess(outcomes, rules, qualified=standing.qualified_at is not None)
    now, counted_before = timezone.now(), standing.votes_count
    standing.checks, standing.failed, standing.failed_in_row = assessment.checks, assessment.failed, assessment.failed_in_row
    standing.controls, standing.since_control = assessment.controls, assessment.since_control
    if assessment.qualified and not standing.qualified_at:
        standing.qualified_at = now
    if assessment.blocked and not standing.blocked_at:
        standing.blocked_at, standing.blocked_reason = now, assessment.reason(rules)
    standing.save()
    return standing.votes_count != counted_before


def warning(user) -> str:
    """What the page tells an annotator whose last checks failed ("" when nothing)."""
    rules = settings.QUALIFICATION
    standing = Qualification.objects.filter(annotator=user).first()
    if not rules.on or standing is None or standing.failed_in_row < rules.warn_after:
        return ""
    return (f"Your last {standing.failed_in_row} checks failed: watch both faces to the end before you answer. "
            f"After {rules.block_after} failed checks you are no longer served comparisons.")


@transaction.atomic
def reinstate(annotator, admin) -> bool:
    """An admin lets a blocked annotator work again; their checks count afresh from now, and
    their votes count again if they had qualified. False if they were not blocked."""
    reinstated = bool(Qualification.objects.filter(annotator=annotator, blocked_at__isnull=False).update(
        blocked_at=None, blocked_reason="", reinstated_at=timezone.now(), reinstated_by=admin, checks=0, failed=0,
        failed_in_row=0))
    for clip in sorted(_clips_voted_by(annotator)) if reinstated else ():
        record_votes(clip)
    return reinstated


def can_change(judgment: Judgment) -> bool:
    return timezone.now() - judgment.created_at < timedelta(seconds=settings.CHANGE_WINDOW_S)


def history(user, limit: int = 10) -> list[Judgment]:
    return list(Judgment.objects.filter(annotator=user).prefetch_related("segments")[:limit])


@dataclass
class Progress:
    done_today: int
    done: int
    remaining: int


def progress(user) -> Progress:
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Judgment.objects.filter(annotator=user)
    remaining = with_open_slots(ready_comparisons().exclude(leases__annotator=user)).count()
    held = Lease.objects.filter(annotator=user, expires_at__gt=timezone.now(), judgment__isnull=True).count()
    return Progress(done_today=mine.filter(created_at__gte=today).count(), done=mine.count(),
                    remaining=remaining + held)


def may_watch(user, comparison_id: int) -> bool:
    """Annotators see only the videos of comparisons served to them."""
    return Lease.objects.filter(annotator=user, comparison_id=comparison_id).exists()
