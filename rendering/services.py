"""Render jobs: scheduling, recording what workers made, failures and retries, counts,
cancelling, and the reconciler. The admin, the commands and the tasks all call these.

Work is enqueued after the transaction that made it commits, by id, from the state in the
database; a message that is lost or delivered twice changes nothing (tasks claim their row).
"""
import itertools
import random
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from corpus.models import Clip
from dser.emotions import EMOTIONS, one_hot
from dser.files import is_partial
from dser.timeline import Timeline
from dser.windows import WindowParams, clip_seed, draw_params
from rendering.models import UNFINISHED, BatchClip, Comparison, EmotionSequence, Job, Render, RenderBatch, Status
from training.ml.checkpoint import CheckpointError, checkpoint_hash, load_metadata

# Errors that another try cannot fix: the item fails at once, with the reason.
# (AudioError, RenderInputError, AnimationError and CheckpointError are ValueErrors too.)
PERMANENT_ERRORS = (ValueError, FloatingPointError)
TASKS = {BatchClip: "rendering.tasks.generate_sequences", Render: "rendering.tasks.render_sequence",
         Comparison: "rendering.tasks.render_comparison"}


def enqueue(model: type[Job], pk: int, priority: int = 5, countdown: float = 0) -> None:
    """Send the task for item `pk` once the current transaction commits."""
    def send():
        current_app.send_task(TASKS[model], args=[pk], countdown=countdown or None, priority=9 - priority)
    transaction.on_commit(send)


# Scheduling -------------------------------------------------------------------------------

def select_clips(dataset: str = "", split: str = "", clip_ids=(), limit: int | None = None) -> list[Clip]:
    clips = Clip.objects.filter(status=Clip.Status.READY)
    if clip_ids:
        clips = clips.filter(pk__in=clip_ids)
    if dataset:
        clips = clips.filter(dataset=dataset)
    if split:
        clips = clips.filter(split=split)
    return list(clips.order_by("pk")[:limit] if limit else clips.order_by("pk"))


def check_stage1_checkpoint(checkpoint: str) -> str:
    """The checkpoint's hash, or ValueError if it is not a stage-1 (utterance) model."""
    try:
        metadata = load_metadata(Path(checkpoint))
        digest = checkpoint_hash(Path(checkpoint))
    except CheckpointError as exc:
        raise ValueError(str(exc)) from None
    if metadata.head != "utterance":
        raise ValueError(f"{checkpoint} is a {metadata.head} model; sequences need a stage-1 (utterance) model")
    return digest


@transaction.atomic
def schedule_batch(*, checkpoint: str = "", dataset: str = "", split: str = "", clip_ids=(), limit=None,
                   sequences: int = 5, pairs: int | None = None, seed: int = 0, priority: int = 5,
                   min_distance_s: float = 0.15, controls: float = 0.0, overlap: int | None = None,
                   created_by=None) -> RenderBatch:
    """Create a batch over the ready clips selected, and enqueue each clip's inference."""
    checkpoint = checkpoint or settings.STAGE1_CHECKPOINT
    digest = check_stage1_checkpoint(checkpoint)
    if not 2 <= sequences <= 10:
        raise ValueError("sequences per clip must be between 2 and 10")
    if pairs is not None and not 1 <= pairs <= sequences * (sequences - 1) // 2:
        raise ValueError(f"pairs per clip must be between 1 and {sequences * (sequences - 1) // 2}")
    if not 0 <= controls <= 1:
        raise ValueError("the share of controls must be between 0 and 1")
    clips = select_clips(dataset, split, list(clip_ids), limit)
    if not clips:
        raise ValueError("no ready clips match that selection")
    batch = RenderBatch.objects.create(
        dataset=dataset, split=split, clip_ids=list(clip_ids), limit=limit, checkpoint=str(checkpoint),
        checkpoint_hash=digest, sequences_per_clip=sequences, pairs_per_clip=pairs, seed=seed,
        priority=priority, min_distance_s=min_distance_s, controls=controls, overlap=overlap, created_by=created_by)
    items = BatchClip.objects.bulk_create(BatchClip(batch=batch, clip=clip) for clip in clips)
    for item in items:
        enqueue(BatchClip, item.pk, priority)
    return batch


def clip_params(batch: RenderBatch, clip: Clip) -> list[WindowParams]:
    """The clip's (window, stride) pairs: the same for the same clip and seed, everywhere."""
    return draw_params(clip_seed(clip.key, batch.seed), batch.sequences_per_clip, batch.min_distance_s,
                       batch.param_low_s, batch.param_high_s)


def chosen_pairs(batch: RenderBatch, clip: Clip, sequences: list[EmotionSequence]) -> list[tuple]:
    """The pairs to compare, each in its shown (left, right) order, reproducible from the seed."""
    rng = random.Random(clip_seed(f"{clip.key}/pairs", batch.seed))
    pairs = list(itertools.combinations(sequences, 2))
    if batch.pairs_per_clip:
        pairs = rng.sample(pairs, batch.pairs_per_clip)
    return [(a, b) if rng.random() < 0.5 else (b, a) for a, b in pairs]


# What workers made ------------------------------------------------------------------------

@transaction.atomic
def record_sequences(item: BatchClip, token, params: list[WindowParams], timelines: list[Timeline],
                     seconds: float) -> None:
    """Save a clip's sequences, and create (or reuse) their renders and comparisons."""
    if not BatchClip.settle(item.pk, token, status=Status.DONE, error="", inference_seconds=seconds):
        return  # another attempt took the clip over; it records the result
    batch, clip = item.batch, item.clip
    sequences = [_sequence(batch, clip, param, timeline) for param, timeline in zip(params, timelines)]
    shown = chosen_pairs(batch, clip, sequences)
    if wants_control(batch, clip):
        shown.append(control_pair(batch, clip, sequences[0]))
    used = list(dict.fromkeys([*sequences, *(sequence for pair in shown for sequence in pair)]))
    batch.sequences.add(*used)
    for sequence in used:
        render, _ = Render.objects.get_or_create(sequence=sequence)
        if _revive(render):
            enqueue(Render, render.pk, batch.priority)
    for left, right in shown:
        comparison = _comparison(clip, left, right)
        _revive(comparison)
        batch.comparisons.add(comparison)
    enqueue_ready_comparisons(Comparison.objects.filter(clip=clip))
    refresh_batch_states(RenderBatch.objects.filter(pk=batch.pk))  # done already if it reused every video


def _sequence(batch: RenderBatch, clip: Clip, param: WindowParams, timeline: Timeline,
              kind: str = EmotionSequence.Kind.MODEL) -> EmotionSequence:
    sequence, _ = EmotionSequence.objects.get_or_create(
        clip=clip, checkpoint_hash=batch.checkpoint_hash, window_s=param.window_s, stride_s=param.stride_s, kind=kind,
        defaults={"checkpoint": batch.checkpoint, "timeline": timeline.to_json()})
    return sequence


def wants_control(batch: RenderBatch, clip: Clip) -> bool:
    """Whether this clip gets a control comparison: a share `batch.controls` of the clips."""
    return random.Random(clip_seed(f"{clip.key}/control", batch.seed)).random() < batch.controls


def control_pair(batch: RenderBatch, clip: Clip, sequence: EmotionSequence) -> tuple:
    """A model sequence against a worse copy whose answer is known: the emotion the model gives
    the least weight over the clip, held throughout (plainly not what the voice says). Shown in
    a seeded random order. (Reversing the sequence in time made a subtler control, but on the
    study corpus the reversed copy was the closer one to the true timeline in 1 of 4 controls.)"""
    least = EMOTIONS[int(sequence.get_timeline().values.mean(axis=0).argmin())]
    control = _sequence(batch, clip, sequence.params, Timeline([0.0], [one_hot(least)]),
                        EmotionSequence.Kind.UNLIKELY)
    if random.Random(clip_seed(f"{clip.key}/control-side", batch.seed)).random() < 0.5:
        return sequence, control
    return control, sequence


def _comparison(clip: Clip, left: EmotionSequence, right: EmotionSequence) -> Comparison:
    """The pair's comparison: an existing one keeps the left/right order it was shown in."""
    existing = Comparison.objects.filter(Q(left=left, right=right) | Q(left=right, right=left)).first()
    if existing:
        return existing
    is_control = left.kind != right.kind  # a model sequence against its worse copy
    answer = ("left" if left.kind == EmotionSequence.Kind.MODEL else "right") if is_control else ""
    try:
        with transaction.atomic():
            return Comparison.objects.create(clip=clip, left=left, right=right, is_control=is_control,
                                             control_answer=answer)
    except IntegrityError:  # another batch's worker created it just now
        return Comparison.objects.get(Q(left=left, right=right) | Q(left=right, right=left))


def _revive(item: Job) -> bool:
    """A new batch wants an item a cancelled batch left undone: make it pending again.
    True if the item is pending (its task should be enqueued)."""
    if item.status == Status.CANCELLED:
        type(item).objects.filter(pk=item.pk, status=Status.CANCELLED).update(status=Status.PENDING)
        item.status = Status.PENDING
    return item.status == Status.PENDING


def enqueue_ready_comparisons(comparisons) -> None:
    """Enqueue those of `comparisons` that are pending and whose two videos exist."""
    ready = comparisons.filter(status=Status.PENDING, left__render__status=Status.DONE,
                               right__render__status=Status.DONE)
    for comparison in ready:
        enqueue(Comparison, comparison.pk, _priority_of(comparison))


def _priority_of(comparison: Comparison) -> int:
    return max(comparison.batches.values_list("priority", flat=True), default=5)


@transaction.atomic
def record_failure(model: type[Job], pk: int, token, error: BaseException) -> None:
    """Retry later (pending, with backoff) unless the error is permanent or the attempts are
    used up; then the item is `failed` with the reason. Nothing else in the batch waits."""
    item = model.objects.get(pk=pk)
    reason = f"{type(error).__name__}: {error}"
    final = isinstance(error, PERMANENT_ERRORS) or item.attempts >= settings.JOB_MAX_ATTEMPTS
    if not model.settle(pk, token, status=Status.FAILED if final else Status.PENDING, error=reason):
        return
    if not final:
        enqueue(model, pk, countdown=settings.JOB_RETRY_BACKOFF_S * 2 ** (item.attempts - 1))
    refresh_batch_states(batches_of(model, pk))


def batches_of(model: type[Job], pk: int):
    if model is BatchClip:
        return RenderBatch.objects.filter(batch_clips__pk=pk)
    if model is Render:
        return RenderBatch.objects.filter(sequences__render__pk=pk)
    return RenderBatch.objects.filter(comparisons__pk=pk)


def claim(model: type[Job], pk: int):
    """Claim item `pk` for this attempt (Job.claim_for_work). None if it is not ours to work
    on, or if no running batch wants it any more (it is then marked cancelled)."""
    token = model.claim_for_work(pk)
    if token is not None and not is_wanted(model, pk):
        model.settle(pk, token, status=Status.CANCELLED)
        return None
    return token


def is_wanted(model: type[Job], pk: int) -> bool:
    """Whether a batch still running wants this item (cancelled batches start nothing new)."""
    return batches_of(model, pk).filter(state=RenderBatch.State.RUNNING).exists()


# Batch state ------------------------------------------------------------------------------

def batch_items(batch: RenderBatch) -> dict[str, object]:
    return {"clips": batch.batch_clips.all(), "renders": Render.objects.filter(sequence__batches=batch),
            "comparisons": batch.comparisons.all()}


def refresh_batch_states(batches) -> None:
    """Mark running batches with nothing left unfinished as done."""
    for batch in batches.filter(state=RenderBatch.State.RUNNING).distinct():
        if not any(items.filter(status__in=UNFINISHED).exists() for items in batch_items(batch).values()):
            RenderBatch.objects.filter(pk=batch.pk, state=RenderBatch.State.RUNNING).update(
                state=RenderBatch.State.DONE, finished_at=timezone.now())


def batch_counts(batch: RenderBatch) -> dict:
    """Counts by status of the batch's clips (inference), renders and comparisons, its
    sequences, and its failures by reason (the error's kind)."""
    counts = {"id": batch.pk, "state": batch.state, "sequences": batch.sequences.count()}
    failures = Counter()
    for name, items in batch_items(batch).items():
        by_status = dict(items.order_by().values_list("status").annotate(n=Count("pk")))
        counts[name] = {status: by_status.get(status, 0) for status in Status.values}
        for error in items.filter(status=Status.FAILED).values_list("error", flat=True):
            failures[error.split(":", 1)[0]] += 1
    counts["failures"] = dict(sorted(failures.items()))
    total = sum(sum(counts[name].values()) for name in ("clips", "renders", "comparisons"))
    finished = sum(counts[name][s] for name in ("clips", "renders", "comparisons")
                   for s in (Status.DONE, Status.FAILED, Status.CANCELLED))
    counts["progress"] = finished / total if total else 1.0
    return counts


def failed_items(batch: RenderBatch) -> list[Job]:
    return [item for items in batch_items(batch).values() for item in items.filter(status=Status.FAILED)]


@transaction.atomic
def retry(items: list[Job]) -> int:
    """Put failed (or cancelled) items back to pending, attempts reset, and enqueue them."""
    count = 0
    for item in items:
        model = type(item)
        if model.objects.filter(pk=item.pk, status__in=(Status.FAILED, Status.CANCELLED)).update(
                status=Status.PENDING, attempts=0, error="", claim=None):
            count += 1
            batches_of(model, item.pk).update(state=RenderBatch.State.RUNNING, finished_at=None)
            if model is not Comparison or _both_rendered(item):
                enqueue(model, item.pk)
    return count


def _both_rendered(comparison: Comparison) -> bool:
    return Render.objects.filter(sequence__in=(comparison.left_id, comparison.right_id), status=Status.DONE).count() == 2


@transaction.atomic
def cancel(batch: RenderBatch) -> None:
    """Nothing new starts: pending items only this batch wants are cancelled; running ones
    finish. Items that another running batch shares go on."""
    RenderBatch.objects.filter(pk=batch.pk).update(state=RenderBatch.State.CANCELLED, finished_at=timezone.now())
    for model, items in zip((BatchClip, Render, Comparison), batch_items(batch).values()):
        for pk in items.filter(status=Status.PENDING).values_list("pk", flat=True):
            if not is_wanted(model, pk):
                model.objects.filter(pk=pk, status=Status.PENDING).update(status=Status.CANCELLED)


# The reconciler ---------------------------------------------------------------------------

def reconcile(older_than_s: float | None = None) -> dict[str, int]:
    """Re-enqueue every unfinished item of a running batch that has waited longer than
    `older_than_s` (pending since, or running without a heartbeat since), delete temporary
    files that dead workers left, and finish batches with nothing left. Safe at any time:
    tasks claim their rows, so a duplicate message does nothing."""
    older_than_s = settings.RECONCILE_AFTER_S if older_than_s is None else older_than_s
    before = timezone.now() - timedelta(seconds=older_than_s)
    waited = Q(status=Status.PENDING, updated_at__lte=before) | Q(status=Status.RUNNING, heartbeat_at__lte=before)
    running = Q(batches__state=RenderBatch.State.RUNNING)
    sent = Counter()
    with transaction.atomic():
        for item in BatchClip.objects.filter(waited, batch__state=RenderBatch.State.RUNNING).select_related("batch"):
            enqueue(BatchClip, item.pk, item.batch.priority)
            sent["clips"] += 1
        for pk in Render.objects.filter(waited, Q(sequence__batches__state=RenderBatch.State.RUNNING)) \
                .values_list("pk", flat=True).distinct():
            enqueue(Render, pk)
            sent["renders"] += 1
        for comparison in Comparison.objects.filter(waited, running).distinct():
            if _both_rendered(comparison):
                enqueue(Comparison, comparison.pk)
                sent["comparisons"] += 1
    sent["temporary_files_removed"] = remove_stale_partials()
    refresh_batch_states(RenderBatch.objects.all())
    return dict(sent)


def remove_stale_partials() -> int:
    """Delete half-written files (dser.files naming) that no live worker has touched for
    JOB_STALE_S: a worker writing a video touches its file every frame."""
    removed = 0
    cutoff = time.time() - settings.JOB_STALE_S
    for folder in ("renders", "comparisons"):
        for path in (Path(settings.MEDIA_ROOT) / folder).rglob(".*"):
            if is_partial(path) and path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
