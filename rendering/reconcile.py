"""The reconciler: re-enqueues what waited too long (lost messages, dead workers, a flushed
Redis), clears half-written files that dead workers left, and finishes batches. Safe at any
time: tasks claim their rows, so a duplicate message does nothing. Run every minute by Celery
beat (`rendering.tasks.reconcile`) and by hand (`manage.py reconcile_jobs`)."""
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from dser import media
from dser.files import is_partial
from dser.jobs import Status
from rendering.jobs import enqueue, refresh_batch_states
from rendering.models import JOB_MODELS, RenderBatch


def reconcile(older_than_s: float | None = None) -> dict[str, int]:
    """Re-enqueue every unfinished item of a running batch that has waited longer than
    `older_than_s` (pending since, or running without a heartbeat since), delete temporary
    files that dead workers left, and finish batches with nothing left. A running item it
    re-enqueues has its claim released first, so a worker can take it at once, even before
    DSER_JOB_STALE_S (the operator's `--older-than 0` after a crash means what it says)."""
    older_than_s = settings.RECONCILE_AFTER_S if older_than_s is None else older_than_s
    before = timezone.now() - timedelta(seconds=older_than_s)
    waited = Q(status=Status.PENDING, updated_at__lte=before) | Q(status=Status.RUNNING, heartbeat_at__lte=before)
    running = RenderBatch.objects.filter(state=RenderBatch.State.RUNNING)
    sent = Counter()
    with transaction.atomic():
        for model in JOB_MODELS:
            items = model.wanted_by(running).filter(waited).annotate(priority=Max(f"{model.to_batches}__priority"))
            for item in items:
                if item.status == Status.RUNNING:
                    model.objects.filter(pk=item.pk, status=Status.RUNNING, heartbeat_at__lte=before).update(
                        status=Status.PENDING, claim=None)
                if item.can_start():
                    enqueue(model, item.pk, item.priority)
                    sent[model.label] += 1
    sent["temporary_files_removed"] = remove_stale_partials()
    refresh_batch_states(RenderBatch.objects.all())
    return dict(sent)


def remove_stale_partials() -> int:
    """Delete half-written files (dser.files naming) that no live worker has touched for
    JOB_STALE_S: a worker writing a video touches its file every frame."""
    removed = 0
    cutoff = time.time() - settings.JOB_STALE_S
    for folder in media.VIDEO_FOLDERS:
        for path in media.media_path(folder).rglob(".*"):
            if is_partial(path) and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
