"""Work that workers do (render-job items, DPO runs): its states, one vocabulary which the
apps' models, views, admin and the study all import, and the claim every such row carries.

The database is the source of truth. A worker claims a row with one conditional UPDATE
(`claim_for_work`), beats while it works (`heartbeat`), and writes its outcome with another
that names its claim (`settle`), so the result of an attempt that was taken over is discarded
and a claim whose worker died goes stale after DSER_JOB_STALE_S.
"""
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone


class Status(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED = (Status.PENDING, Status.RUNNING)
FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)


class ClaimedWork(models.Model):
    """A row a worker works on once: claimed, kept alive while it beats, then settled."""

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="The last failure, in full.")
    claim = models.UUIDField(null=True, blank=True, editable=False, help_text="The attempt that holds the item.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the running attempt.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def claim_for_work(cls, pk: int) -> uuid.UUID | None:
        """Take row `pk` if it is pending, or running under a claim that went stale (its
        worker died). Returns the new claim, or None if the row is not ours to work on."""
        token = uuid.uuid4()
        now = timezone.now()
        claimable = models.Q(status=Status.PENDING) | models.Q(status=Status.RUNNING, heartbeat_at__lt=stale_before())
        taken = cls.objects.filter(claimable, pk=pk).update(
            status=Status.RUNNING, claim=token, heartbeat_at=now, attempts=models.F("attempts") + 1, updated_at=now)
        return token if taken else None

    @classmethod
    def beat(cls, pk: int, token: uuid.UUID) -> None:
        cls.objects.filter(pk=pk, claim=token).update(heartbeat_at=timezone.now())

    @classmethod
    def settle(cls, pk: int, token: uuid.UUID, **fields) -> bool:
        """Write the outcome of attempt `token`; False if another attempt took the row over."""
        return bool(cls.objects.filter(pk=pk, claim=token, status=Status.RUNNING).update(
            claim=None, updated_at=timezone.now(), **fields))


@contextmanager
def heartbeat(model: type[ClaimedWork], pk: int, token: uuid.UUID) -> Iterator[None]:
    """Beat for the claimed row while the block runs, from a thread of its own, so that no
    other worker takes over work that is alive however long one step takes (an inference over
    a long clip, ffmpeg composing a pair, a DPO epoch). Beats four times per DSER_JOB_STALE_S."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(max(0.05, settings.JOB_STALE_S / 4)):
                model.beat(pk, token)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def stale_before() -> datetime:
    """Rows running with a heartbeat older than this have lost their worker."""
    return timezone.now() - timedelta(seconds=settings.JOB_STALE_S)

