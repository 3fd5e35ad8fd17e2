"""Scheduling render batches: which clips, their drawn (window, stride) pairs, and, once a
clip's sequences exist, the renders and comparisons they lead to (shared with other batches
over the same clips, model and seed).
"""
import itertools
import random
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from corpus.models import Clip
from dser.differences import PairDifference, pair_difference, segment_marks, vote_worth
from dser.emotions import EMOTIONS, one_hot
from dser.jobs import Status
from dser.timeline import Timeline
from dser.windows import clip_seed, draw_params
from emotion.checkpoint import CheckpointError, checkpoint_hash, load_metadata
from rendering.jobs import enqueue, enqueue_ready_comparisons
from rendering.models import CONTROL_WORTH, BatchClip, Comparison, EmotionSequence, Job, Render, RenderBatch
from rendering.options import ScheduleOptions


def select_clips(options: ScheduleOptions) -> list[Clip]:
    clips = Clip.objects.filter(status=Clip.Status.READY)
    if options.clip_ids:
        clips = clips.filter(pk__in=options.clip_ids)
    if options.dataset:
        clips = clips.filter(dataset=options.dataset)
    if options.split:
        clips = clips.filter(split=options.split)
    clips = clips.order_by("pk")
    return list(clips[:options.limit] if options.limit else clips)


def checked_checkpoint(checkpoint: str, head: str) -> str:
    """The checkpoint's hash, or ValueError if it is not a model with that head: "utterance"
    (stage 1: sliding windows) or "sequence" (stage 2 or 3: a policy)."""
    try:
        metadata = load_metadata(Path(checkpoint))
        digest = checkpoint_hash(Path(checkpoint))
    except CheckpointError as exc:
        raise ValueError(str(exc)) from None
    if metadata.head != head:
        wanted = ("sliding windows need a stage-1 (utterance) model" if head == "utterance" else
                  "a policy must be a sequence (stage-2 or stage-3) model")
        raise ValueError(f"{checkpoint} is a stage-{metadata.stage} {metadata.head} model; {wanted}")
    return digest


def batch_model(options: ScheduleOptions) -> dict:
    """The batch's fields that name its model: a policy's, or the stage-1 model's."""
    if options.policy:
        if options.checkpoint:
            raise ValueError("a policy batch's sequences come from the policy: name a stage-1 checkpoint or a "
                             "policy, not both")
        return {"source": RenderBatch.Source.POLICY, "checkpoint": options.policy, "temperature": options.temperature,
                "checkpoint_hash": checked_checkpoint(options.policy, "sequence")}
    checkpoint = str(options.checkpoint or settings.STAGE1_CHECKPOINT)
    return {"source": RenderBatch.Source.WINDOWS, "checkpoint": checkpoint,
            "checkpoint_hash": checked_checkpoint(checkpoint, "utterance")}


@transaction.atomic
def schedule_batch(options: ScheduleOptions, created_by=None) -> RenderBatch:
    """Create a batch over the ready clips selected, and enqueue each clip's inference.
    ValueError, and nothing made, if an option is out of range or no clip matches."""
    options.check()
    model = batch_model(options)
    clips = select_clips(options)
    if not clips:
        raise ValueError("no ready clips match that selection")
    batch = RenderBatch.objects.create(
        dataset=options.dataset, split=options.split, clip_ids=list(options.clip_ids), limit=options.limit,
        **model, sequences_per_clip=options.sequences,
        pairs_per_clip=options.pairs, seed=options.seed, priority=options.priority,
        min_distance_s=options.min_distance_s, controls=options.controls, overlap=options.overlap,
        min_difference=settings.MIN_DIFFERENCE if options.min_difference is None else options.min_difference,
        judgment_budget=options.budget, created_by=created_by)
    items = BatchClip.objects.bulk_create(BatchClip(batch=batch, clip=clip) for clip in clips)
    for item in items:
        enqueue(BatchClip, item.pk, options.priority)
    return batch


def clip_sources(batch: RenderBatch, clip: Clip) -> list[dict]:
    """What makes each of the clip's sequences (EmotionSequence.source): its drawn (window,
    stride) pairs, or the policy's candidates (draw 0 its prediction); the same for the same
    clip and seed, everywhere."""
    if batch.source == RenderBatch.Source.POLICY:
        seed = clip_seed(f"{clip.key}/policy", batch.seed) % 2**63  # fits the database's signed bigint
        return [{"draw": draw, "draw_seed": seed, "temperature": batch.temperature}
                for draw in range(batch.sequences_per_clip)]
    params = draw_params(clip_seed(clip.key, batch.seed), batch.sequences_per_clip, batch.min_distance_s)
    return [{"window_s": param.window_s, "stride_s": param.stride_s} for param in params]


def chosen_pairs(batch: RenderBatch, clip: Clip, pairs: list[tuple]) -> list[tuple]:
    """Which of `pairs` to compare (up to the batch's pairs per clip), each in its shown
    (left, right) order, reproducible from the seed."""
    rng = random.Random(clip_seed(f"{clip.key}/pairs", batch.seed))
    if batch.pairs_per_clip:
        pairs = rng.sample(pairs, min(batch.pairs_per_clip, len(pairs)))
    return [(a, b) if rng.random() < 0.5 else (b, a) for a, b in pairs]


def tell_apart(batch: RenderBatch, clip: Clip, sequences: list[EmotionSequence]) -> tuple[list[tuple], int]:
    """The pairs of `sequences` whose strongest stretch differs at least the batch's floor,
    and how many fell below it."""
    pairs = list(itertools.combinations(sequences, 2))
    kept = [(a, b) for a, b in pairs if _difference(clip, a, b).peak >= batch.min_difference]
    return kept, len(pairs) - len(kept)


def _difference(clip: Clip, first: EmotionSequence, second: EmotionSequence) -> PairDifference:
    return pair_difference(first.get_timeline(), second.get_timeline(), clip.duration_s or 0.0)


def add_sequences(item: BatchClip, sources: list[dict], timelines: list[Timeline]) -> None:
    """Save a clip's sequences, and create (or reuse) their renders and comparisons: what a
    finished inference step leads to (run inside its `finish`)."""
    batch, clip = item.batch, item.clip
    sequences = [_sequence(batch, clip, source, timeline) for source, timeline in zip(sources, timelines)]
    candidates, item.pairs_below_floor = tell_apart(batch, clip, sequences)
    type(item).objects.filter(pk=item.pk).update(pairs_below_floor=item.pairs_below_floor,
                                                 spread=spread(clip, sequences))
    shown = chosen_pairs(batch, clip, candidates)
    if wants_control(batch, clip):
        shown.append(control_pair(batch, clip, sequences[0]))
    used = list(dict.fromkeys([*sequences, *(sequence for pair in shown for sequence in pair)]))
    batch.sequences.add(*used)
    for sequence in used:
        render, _ = Render.objects.get_or_create(sequence=sequence)
        if _revive(render):
            enqueue(Render, render.pk, batch.priority)
    for left, right in shown:
        comparison = comparison_for(clip, left, right)
        _revive(comparison)
        batch.comparisons.add(comparison)
    enqueue_ready_comparisons(Comparison.objects.filter(clip=clip))


def spread(clip: Clip, sequences: list[EmotionSequence]) -> float:
    """The mean difference between the clip's sequences over every pair."""
    pairs = list(itertools.combinations(sequences, 2))
    return sum(_difference(clip, a, b).mean for a, b in pairs) / len(pairs) if pairs else 0.0


def _sequence(batch: RenderBatch, clip: Clip, source: dict, timeline: Timeline,
              kind: str = EmotionSequence.Kind.MODEL) -> EmotionSequence:
    sequence, _ = EmotionSequence.objects.get_or_create(
        clip=clip, checkpoint_hash=batch.checkpoint_hash, kind=kind, **source,
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
    control = _sequence(batch, clip, sequence.source(), unlikely_timeline(sequence.get_timeline()),
                        EmotionSequence.Kind.UNLIKELY)
    if random.Random(clip_seed(f"{clip.key}/control-side", batch.seed)).random() < 0.5:
        return sequence, control
    return control, sequence


def unlikely_timeline(timeline: Timeline) -> Timeline:
    """The emotion `timeline` weighs least over the clip, held throughout: a control's worse side."""
    return Timeline([0.0], [one_hot(EMOTIONS[int(timeline.values.mean(axis=0).argmin())])])


def comparison_for(clip: Clip, left: EmotionSequence, right: EmotionSequence) -> Comparison:
    """The pair's comparison: an existing one keeps the left/right order it was shown in."""
    existing = Comparison.objects.filter(Q(left=left, right=right) | Q(left=right, right=left)).first()
    if existing:
        return existing
    is_control = left.kind != right.kind  # a model sequence against its worse copy
    answer = ("left" if left.kind == EmotionSequence.Kind.MODEL else "right") if is_control else ""
    timelines, duration = (left.get_timeline(), right.get_timeline()), clip.duration_s or 0.0
    difference = pair_difference(*timelines, duration)
    try:
        with transaction.atomic():
            return Comparison.objects.create(clip=clip, left=left, right=right, is_control=is_control,
                                             control_answer=answer, difference=difference.mean,
                                             peak_difference=difference.peak, marks=segment_marks(*timelines, duration),
                                             vote_worth=_first_worth(is_control, difference))
    except IntegrityError:  # another batch's worker created it just now
        return Comparison.objects.get(Q(left=left, right=right) | Q(left=right, right=left))


def _first_worth(is_control: bool, difference: PairDifference) -> float:
    """A new comparison's place in the serving order: nobody has voted on it yet. Controls sit
    at CONTROL_WORTH, in the middle, so annotators meet them all along."""
    return CONTROL_WORTH if is_control else vote_worth(difference.peak)


def _revive(item: Job) -> bool:
    """A new batch wants an item a cancelled batch left undone: make it pending again.
    True if the item is pending (its task should be enqueued)."""
    if item.status == Status.CANCELLED:
        type(item).objects.filter(pk=item.pk, status=Status.CANCELLED).update(status=Status.PENDING)
        item.status = Status.PENDING
    return item.status == Status.PENDING
