"""Job records: how a work item goes from enqueued to done or failed. A task claims its row,
beats while it works, and ends through `finish` or `record_failure`; each settles the batches
that wanted the item. Whatever the kind of item, it takes this one path.

Work is enqueued after the transaction that made it commits, by id, from the state in the
database; a message that is lost or delivered twice changes nothing (tasks claim their row).
"""
import uuid
from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dser.jobs import UNFINISHED, Status, heartbeat
from rendering.models import JOB_MODELS, Comparison, Job, Render, RenderBatch
from rendering.options import DEFAULTS

# Errors that another try cannot fix: the item fails at once, with the reason.
# (AudioError, RenderInputError, AnimationError and CheckpointError are ValueErrors too.)
PERMANENT_ERRORS = (ValueError, FloatingPointError)


def enqueue(model: type[Job], pk: int, priority: int = DEFAULTS.priority, countdown: float = 0) -> None:
    """Send the task for item `pk` once the current transaction commits."""
    def send():
        current_app.send_task(model.task_name, args=[pk], countdown=countdown or None, priority=9 - priority)
    transaction.on_commit(send)


def is_wanted(model: type[Job], pk: int) -> bool:
    """Whether a batch still running wants this item (cancelled batches start nothing new)."""
    return model.batches_wanting(pk).filter(state=RenderBatch.State.RUNNING).exists()


def claim(model: type[Job], pk: int) -> uuid.UUID | None:
    """Claim item `pk` for this attempt (Job.claim_for_work). None if it is not ours to work
    on, or if no running batch wants it any more (it is then marked cancelled)."""
    token = model.claim_for_work(pk)
    if token is not None and not is_wanted(model, pk):
        model.settle(pk, token, status=Status.CANCELLED)
        return None
    return token


@transaction.atomic
def finish(model: type[Job], pk: int, token: uuid.UUID, then: Callable[[], None] | None = None, **fields) -> bool:
    """Record that attempt `token` made the item: done, with `fields`. Then, in the same
    transaction, `then()` (the work the result leads to), the comparisons a new video
    completes, and the batches with nothing left. False, and nothing written, if another
    attempt took the item over."""
    if not model.settle(pk, token, status=Status.DONE, error="", **fields):
        return False
    if then:
        then()
    if model is Render:
        sequence = Render.objects.filter(pk=pk).values_list("sequence_id", flat=True).get()
        enqueue_ready_comparisons(lock_rows(Comparison.objects.filter(Q(left=sequence) | Q(right=sequence))))
    refresh_batch_states(model.batches_wanting(pk))
    return True


def lock_rows(rows):
    """`rows`, locked until this transaction ends (in id order, so that two transactions
    never hold one each and wait for the other's). Why a pair's two videos, finishing at the
    same moment in two processes, need it: unlocked, each transaction sees the other's video
    unfinished (not yet committed) and neither enqueues the pair, which then waits for the
    reconciler. Locked, the second to take the lock waits for the first's commit, and its next
    query sees both videos done."""
    list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
    return rows


@transaction.atomic
def record_failure(model: type[Job], pk: int, token: uuid.UUID, error: BaseException) -> None:
    """Retry later (pending, with backoff) unless the error is permanent or the attempts are
    used up; then the item is `failed` with the reason. Nothing else in the batch waits."""
    item = model.objects.get(pk=pk)
    reason = f"{type(error).__name__}: {error}"
    final = isinstance(error, PERMANENT_ERRORS) or item.attempts >= settings.JOB_MAX_ATTEMPTS
    if not model.settle(pk, token, status=Status.FAILED if final else Status.PENDING, error=reason):
        return
    if not final:
        enqueue(model, pk, countdown=settings.JOB_RETRY_BACKOFF_S * 2 ** (item.attempts - 1))
    refresh_batch_states(model.batches_wanting(pk))


def run_claimed(model: type[Job], pk: int, work: Callable[[Job, uuid.UUID], dict | None]) -> None:
    """The body of every job task: claim item `pk`, run `work(item, token)` under a
    heartbeat, and end through `finish` (with the fields `work` returns) or `record_failure`.
    `work` may return None when it recorded the result itself."""
    token = claim(model, pk)
    if token is None:
        return
    item = model.objects.get(pk=pk)
    try:
        with heartbeat(model, pk, token):
            fields = work(item, token)
    except Exception as error:  # recorded with its reason; retried unless it cannot help
        record_failure(model, pk, token, error)
        return
    if fields is not None:
        finish(model, pk, token, **fields)


def enqueue_ready_comparisons(comparisons) -> None:
    """Enqueue those of `comparisons` that are pending and whose two videos exist."""
    ready = comparisons.filter(status=Status.PENDING, left__render__status=Status.DONE,
                               right__render__status=Status.DONE)
    for comparison in ready:
        enqueue(Comparison, comparison.pk, priority_of(Comparison, comparison.pk))


def priority_of(model: type[Job], pk: int) -> int:
    """The highest priority among the batches that want the item."""
    return max(model.batches_wanting(pk).values_list("priority", flat=True), default=DEFAULTS.priority)


def refresh_batch_states(batches) -> None:
    """Mark running batches with nothing left unfinished as done."""
    for batch in batches.filter(state=RenderBatch.State.RUNNING).distinct():
        if not any(model.wanted_by([batch]).filter(status__in=UNFINISHED).exists() for model in JOB_MODELS):
            RenderBatch.objects.filter(pk=batch.pk, state=RenderBatch.State.RUNNING).update(
                state=RenderBatch.State.DONE, finished_at=timezone.now())
