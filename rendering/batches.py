"""What admins do to whole batches: count their work, retry what failed, cancel them."""
from collections import Counter

from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from dser.jobs import FINISHED, Status
from rendering.jobs import enqueue, is_wanted
from rendering.models import JOB_MODELS, Job, RenderBatch


def batch_counts(batch: RenderBatch) -> dict:
    """Counts by status of the batch's clips (inference), renders and comparisons, its
    sequences, their spread (the mean difference between a clip's sequences, averaged over its
    clips: whether its pairs will be judgeable), the pairs its difference floor left out, and
    its failures by reason (the error's kind)."""
    clips = batch.batch_clips.aggregate(below=Sum("pairs_below_floor"), spread=Avg("spread"))
    counts = {"id": batch.pk, "state": batch.state, "sequences": batch.sequences.count(),
              "pairs_below_floor": clips["below"] or 0, "spread": clips["spread"]}
    failures = Counter()
    for model in JOB_MODELS:
        items = model.wanted_by([batch])
        by_status = dict(items.order_by().values_list("status").annotate(n=Count("pk")))
        counts[model.label] = {status: by_status.get(status, 0) for status in Status.values}
        for error in items.filter(status=Status.FAILED).values_list("error", flat=True):
            failures[error.split(":", 1)[0]] += 1
    counts["failures"] = dict(sorted(failures.items()))
    labels = [model.label for model in JOB_MODELS]
    total = sum(sum(counts[label].values()) for label in labels)
    finished = sum(counts[label][status] for label in labels for status in FINISHED)
    counts["progress"] = finished / total if total else 1.0
    return counts


def failed_items(batch: RenderBatch) -> list[Job]:
    return [item for model in JOB_MODELS for item in model.wanted_by([batch]).filter(status=Status.FAILED)]


@transaction.atomic
def retry(items: list[Job]) -> int:
    """Put failed (or cancelled) items back to pending, attempts reset, and enqueue those
    that can start (a comparison waits for its videos)."""
    count = 0
    for item in items:
        model = type(item)
        if model.objects.filter(pk=item.pk, status__in=(Status.FAILED, Status.CANCELLED)).update(
                status=Status.PENDING, attempts=0, error="", claim=None):
            count += 1
            model.batches_wanting(item.pk).update(state=RenderBatch.State.RUNNING, finished_at=None)
            if item.can_start():
                enqueue(model, item.pk)
    return count


@transaction.atomic
def cancel(batch: RenderBatch) -> None:
    """Nothing new starts: pending items only this batch wants are cancelled; running ones
    finish. Items that another running batch shares go on."""
    RenderBatch.objects.filter(pk=batch.pk).update(state=RenderBatch.State.CANCELLED, finished_at=timezone.now())
    for model in JOB_MODELS:
        for pk in model.wanted_by([batch]).filter(status=Status.PENDING).values_list("pk", flat=True):
            if not is_wanted(model, pk):
                model.objects.filter(pk=pk, status=Status.PENDING).update(status=Status.CANCELLED)
