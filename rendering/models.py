"""Render jobs: what an admin scheduled (RenderBatch), and the work it makes per clip:
one inference step (BatchClip) that writes the clip's EmotionSequences, one avatar video
per sequence (Render), and side-by-side videos of chosen pairs (Comparison).

The database is the source of truth for every item's state; Celery only carries ids. A
worker claims an item with a conditional update (`ClaimedWork.claim_for_work`), so two workers never work on
the same item at once, and a claim whose worker died goes stale and can be taken over.
"""
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Greatest, Least

from corpus.models import Clip
from dser import media
from dser.jobs import ClaimedWork, Status
from dser.timeline import Timeline
from rendering.options import DEFAULTS


class Job(ClaimedWork):
    """An item a worker does once (dser.jobs.ClaimedWork: claimed, worked on while it beats,
    then done or failed). Each kind says which task works on it, which batches want it and
    when it may start."""

    task_name: ClassVar[str]  # the Celery task that works on an item of this kind
    label: ClassVar[str]  # its name in a batch's counts
    to_batches: ClassVar[str]  # ORM path from an item to the batches that want it
    from_batches: ClassVar[str]  # and back, from a batch to its items of this kind

    class Meta:
        abstract = True

    @classmethod
    def batches_wanting(cls, pk: int) -> models.QuerySet:
        """The batches that want item `pk` (batches share items)."""
        return RenderBatch.objects.filter(**{f"{cls.from_batches}__pk": pk})

    @classmethod
    def wanted_by(cls, batches) -> models.QuerySet:
        """The items of this kind that any of `batches` wants (one row per item and batch)."""
        return cls.objects.filter(**{f"{cls.to_batches}__in": batches})

    def can_start(self) -> bool:
        """Whether what the item is made from exists, so its task may be enqueued."""
        return True


class RenderBatch(models.Model):
    """What an admin scheduled: which clips, with which model, how many sequences and pairs."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        CANCELLED = "cancelled"

    class Source(models.TextChoices):
        WINDOWS = "windows", "a stage-1 model over drawn sliding windows"
        POLICY = "policy", "a sequence model's prediction and draws (on-policy)"

    dataset = models.CharField(max_length=64, blank=True, help_text="Clips of this dataset (blank: any).")
    split = models.CharField(max_length=32, blank=True, help_text="Clips of this split (blank: any).")
    clip_ids = models.JSONField(default=list, blank=True, help_text="Explicit clip ids (empty: the selection above).")
    limit = models.PositiveIntegerField(null=True, blank=True, help_text="At most this many clips.")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WINDOWS)
    checkpoint = models.CharField(max_length=1024, help_text="Checkpoint directory: the stage-1 model, or the policy.")
    checkpoint_hash = models.CharField(max_length=64, help_text="sha256 of the checkpoint's weights and metadata.")
    temperature = models.FloatField(null=True, blank=True, help_text="A policy's draws: their concentration's divisor.")
    sequences_per_clip = models.PositiveSmallIntegerField(default=DEFAULTS.sequences)
    min_distance_s = models.FloatField(default=DEFAULTS.min_distance_s,
                                       help_text="No two (window, stride) pairs closer than this.")
    seed = models.BigIntegerField(default=DEFAULTS.seed)
    pairs_per_clip = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Comparisons per clip, chosen reproducibly (blank: every pair).")
    priority = models.PositiveSmallIntegerField(default=DEFAULTS.priority, help_text="0 (lowest) to 9 (highest).")
    controls = models.FloatField(default=DEFAULTS.controls, help_text="Share of clips that also get a control comparison.")
    overlap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Annotators per comparison (blank: the DSER_OVERLAP setting).")
    min_difference = models.FloatField(
        default=0.0, help_text="Pairs whose strongest stretch differs less than this (total variation, 0-1) "
                               "are not composed.")
    judgment_budget = models.PositiveIntegerField(null=True, blank=True, help_text=(
        "Judgments its comparisons are served for, controls included (blank: no limit): a round's budget."))
    budget_spent_at = models.DateTimeField(null=True, blank=True, help_text="When its judgments reached the budget.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    clips = models.ManyToManyField(Clip, through="BatchClip", related_name="render_batches")
    sequences = models.ManyToManyField("EmotionSequence", related_name="batches", blank=True)
    comparisons = models.ManyToManyField("Comparison", related_name="batches", blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "render batches"

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.state})"


class BatchClip(Job):
    """One clip's inference step in a batch: its sequences from the stage-1 model."""

    task_name = "rendering.tasks.generate_sequences"
    label = "clips"
    to_batches, from_batches = "batch", "batch_clips"

    batch = models.ForeignKey(RenderBatch, on_delete=models.CASCADE, related_name="batch_clips")
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="batch_clips")
    inference_seconds = models.FloatField(null=True, blank=True, help_text="Wall time of the model's forward passes.")
    pairs_below_floor = models.PositiveSmallIntegerField(
        default=0, help_text="Pairs of this clip's sequences left out for differing less than the batch's floor.")
    spread = models.FloatField(null=True, blank=True, help_text=(
        "Mean difference between its sequences over every pair (dser.differences): whether its pairs are judgeable."))

    class Meta:
        ordering = ["batch", "clip"]
        constraints = [models.UniqueConstraint(fields=["batch", "clip"], name="batch_clip_once")]

    def __str__(self) -> str:
        return f"{self.clip} in batch {self.batch_id}"


class EmotionSequence(models.Model):
    """A clip's emotion timeline from one model: a stage-1 model over one (window, stride), or a
    sequence model's candidate (draw 0 its prediction, then seeded draws at a temperature,
    emotion.candidates): what a video shows. A control sequence is a model sequence made worse
    on purpose (its answer is known)."""

    class Kind(models.TextChoices):
        MODEL = "model", "model"
        UNLIKELY = "unlikely", "control: the emotion the model weighs least, held"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MODEL)
    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="sequences")
    checkpoint = models.CharField(max_length=1024)
    checkpoint_hash = models.CharField(max_length=64)
    window_s = models.FloatField(null=True, blank=True)
    stride_s = models.FloatField(null=True, blank=True)
    draw = models.PositiveSmallIntegerField(null=True, blank=True, help_text="A policy's: 0 its prediction, 1... draws.")
    draw_seed = models.BigIntegerField(null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    timeline = models.JSONField(help_text='{"times": [...], "values": [[6 mixtures], ...]}')
    created_at = models.DateTimeField(auto_now_add=True)

    WINDOW_FIELDS = ("window_s", "stride_s")
    DRAW_FIELDS = ("draw", "draw_seed", "temperature")

    class Meta:
        ordering = ["clip", "window_s", "stride_s", "draw"]
        constraints = [
            models.UniqueConstraint(fields=["clip", "checkpoint_hash", "window_s", "stride_s", "kind"],
                                    condition=models.Q(window_s__isnull=False), name="sequence_once_per_clip_model_params"),
            models.UniqueConstraint(fields=["clip", "checkpoint_hash", "draw", "draw_seed", "temperature", "kind"],
                                    condition=models.Q(draw__isnull=False), name="sequence_once_per_clip_policy_draw"),
            models.CheckConstraint(condition=models.Q(window_s__isnull=False) | models.Q(draw__isnull=False),
                                   name="sequence_from_windows_or_a_draw"),
        ]

    def __str__(self) -> str:
        if self.draw is not None:
            return f"{self.clip} {'prediction' if self.draw == 0 else f'draw {self.draw}'} t{self.temperature:g}"
        return f"{self.clip} w{self.window_s:.2f}/s{self.stride_s:.2f}"

    def source(self) -> dict:
        """What made it: {window_s, stride_s}, or a policy's {draw, draw_seed, temperature}."""
        names = self.DRAW_FIELDS if self.draw is not None else self.WINDOW_FIELDS
        return {name: getattr(self, name) for name in names}

    def get_timeline(self) -> Timeline:
        return Timeline.from_json(self.timeline)


class Render(Job):
    """The talking-avatar video of one sequence."""

    task_name = "rendering.tasks.render_sequence"
    label = "renders"
    to_batches, from_batches = "sequence__batches", "sequences__render"

    sequence = models.OneToOneField(EmotionSequence, on_delete=models.CASCADE, related_name="render")
    file = models.FileField(upload_to=f"{media.RENDERS}/", max_length=512, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True, help_text="Wall time of the successful attempt.")
    mouth_source = models.CharField(max_length=16, blank=True, help_text="phonemes, energy or silence")

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"render of {self.sequence}"


CONTROL_WORTH = 0.5  # a control's place in the serving order (it is not reweighed by votes)


class Comparison(Job):
    """Two sequences of a clip side by side, in the left/right order its video shows."""

    task_name = "rendering.tasks.render_comparison"
    label = "comparisons"
    to_batches, from_batches = "batches", "comparisons"

    clip = models.ForeignKey(Clip, on_delete=models.CASCADE, related_name="comparisons")
    left = models.ForeignKey(EmotionSequence, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(EmotionSequence, on_delete=models.CASCADE, related_name="+")
    is_control = models.BooleanField(default=False, help_text="A model sequence against a worse copy of itself.")
    control_answer = models.CharField(max_length=8, blank=True, help_text="The better side of a control: left or right.")
    file = models.FileField(upload_to=f"{media.COMPARISONS}/", max_length=512, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)
    difference = models.FloatField(null=True, blank=True, help_text="Mean total variation between the two "
                                   "sequences over the clip (dser.differences).")
    peak_difference = models.FloatField(null=True, blank=True, help_text="The same over their strongest marked stretch.")
    vote_worth = models.FloatField(default=1.0, db_index=True, help_text=(
        "What one more vote on it is worth (dser.differences.vote_worth): the serving order, highest first."))
    decided = models.BooleanField(default=False, help_text="Its votes are decisive: one answer leads the next by "
                                  "DSER_DECISIVE_LEAD (annotator.services.record_votes).")
    marks = models.JSONField(default=list, blank=True, help_text=(
        "Where its two sequences differ most, in time order ({start, end, difference}; "
        "dser.differences.segment_marks): the page marks them, and segment votes are about them."))

    class Meta:
        ordering = ["clip", "pk"]
        constraints = [
            models.UniqueConstraint(Least("left", "right"), Greatest("left", "right"), name="comparison_once_per_pair"),
            models.CheckConstraint(condition=~models.Q(left=models.F("right")), name="comparison_of_two_sequences"),
        ]

    def __str__(self) -> str:
        return f"{self.clip}: {self.left_id} vs {self.right_id}"

    def segments(self) -> list[dict]:
        """Its marks as annotators answer them: {index (from 1, in time order), start_s, end_s}."""
        return [{"index": index, "start_s": mark["start"], "end_s": mark["end"]}
                for index, mark in enumerate(self.marks, 1)]

    def can_start(self) -> bool:
        """Its two videos exist."""
        return Render.objects.filter(sequence__in=(self.left_id, self.right_id), status=Status.DONE).count() == 2


# The kinds of work item, in the order a clip's work flows through them.
JOB_MODELS: tuple[type[Job], ...] = (BatchClip, Render, Comparison)
