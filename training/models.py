"""ML engineers' records: preference exports, the DPO runs trained on them, and the rounds
that chain them (a batch judged, exported, trained on; the next batch from that model)."""
from django.conf import settings
from django.db import models

from dser.jobs import ClaimedWork, Status
from dser.records import TRIPLETS_FILE
from emotion.dpo_config import DPOConfig
from rendering.models import RenderBatch

DPO_DEFAULTS = DPOConfig()


class PreferenceExport(ClaimedWork):
    """A triplets file written from the judgments (training.services.export_preferences): by a
    worker when asked for on the web (it copies every clip's audio, too long for a request),
    directly by `export_preferences`. Its folder appears whole or not at all."""

    task_name = "training.tasks.make_export"

    directory = models.CharField(max_length=1024, help_text="Holds triplets.jsonl, audio/ and manifest.json.")
    filters = models.JSONField(default=dict)
    counts = models.JSONField(default=dict, help_text="How many remained after each filter.")
    triplets = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of triplets.jsonl.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk}: {self.triplets} triplets" if self.status == Status.DONE else \
            f"export {self.pk} ({self.status})"

    @property
    def batch_id(self) -> int | None:
        """The render batch it is limited to (its round's), if any."""
        return self.filters.get("batch")

    @property
    def triplets_path(self) -> str:
        return f"{self.directory}/{TRIPLETS_FILE}"


class TrainingRun(ClaimedWork):
    """A DPO fine-tuning run, executed by a Celery worker on the `training` queue, which
    claims the row and beats while it trains (dser.jobs.ClaimedWork); a run whose worker died
    is started again by the next worker or the reconciler (training.tasks.reconcile_runs)."""

    task_name = "training.tasks.train_dpo_run"

    export = models.ForeignKey(PreferenceExport, on_delete=models.PROTECT, related_name="runs")
    init_checkpoint = models.CharField(max_length=1024, help_text="The sequence model the policy starts from.")
    beta = models.FloatField(default=DPO_DEFAULTS.beta)
    lr = models.FloatField(default=DPO_DEFAULTS.lr)
    epochs = models.PositiveSmallIntegerField(default=DPO_DEFAULTS.epochs)
    batch_size = models.PositiveSmallIntegerField(default=DPO_DEFAULTS.batch_size)
    reference_checkpoint = models.CharField(max_length=1024, blank=True, help_text=(
        "The frozen model the policy is compared with; blank: the init itself (iterative DPO: the previous round's)."))
    label_smoothing = models.FloatField(default=DPO_DEFAULTS.label_smoothing,
                                        help_text="Each preference taken as flipped with this probability (robust DPO).")
    cancel_requested = models.BooleanField(default=False)
    directory = models.CharField(max_length=1024, blank=True, help_text="The run's checkpoint, log and curves.")
    history = models.JSONField(default=list, blank=True, help_text="Every logged record, as they come.")
    heldout_mae = models.JSONField(default=dict, blank=True, help_text=(
        "MAE to DSER_HELDOUT_REFERENCE's true timelines: {init, run}, when that is set."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def latest(self) -> dict:
        return self.history[-1] if self.history else {}

    @property
    def epochs_done(self) -> list[dict]:
        return [entry for entry in self.history if entry.get("kind") == "epoch"]


class Round(models.Model):
    """One turn of the feedback loop (iterative, on-policy DPO): a render batch's comparisons,
    judged up to its budget, exported (an export whose batch filter names it), and DPO runs on
    those exports; the next round's batch takes one of those runs' model as its policy
    (`from_run`), so each round's comparisons are about the model being shipped."""

    batch = models.OneToOneField(RenderBatch, on_delete=models.PROTECT, related_name="round")
    from_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="next_rounds", help_text="The run whose model is this round's policy "
                                                                       "(none: the first round, stage-1 windows).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"round {self.number} (batch {self.batch_id})"

    @classmethod
    def of_run(cls, run: TrainingRun) -> "Round | None":
        """The round `run` was trained on (its export's batch's), if it is one."""
        return cls.objects.filter(batch_id=run.export.batch_id).first() if run.export.batch_id else None

    @property
    def previous(self) -> "Round | None":
        return None if self.from_run is None else Round.of_run(self.from_run)

    @property
    def number(self) -> int:
        """1 for a first round, one more than the round its policy was trained on after."""
        previous = self.previous
        return 1 if previous is None else previous.number + 1

    def exports(self) -> models.QuerySet:
        return PreferenceExport.objects.filter(filters__batch=self.batch_id)

    def runs(self) -> models.QuerySet:
        return TrainingRun.objects.filter(export__in=self.exports())
