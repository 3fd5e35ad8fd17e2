from django.db import models

from corpus.sources.media import FAILURE_KINDS
from dser import media


class Clip(models.Model):
    """One utterance of speech: where it came from, its 16 kHz mono WAV, and whether it
    can be used. A clip that could not be imported is kept with status `failed` and the
    reason, so a re-run skips it and an admin sees why."""

    class Status(models.TextChoices):
        READY = "ready", "ready"
        EXCLUDED = "excluded", "excluded"
        FAILED = "failed", "failed"

    dataset = models.CharField(max_length=64, help_text="Corpus the clip belongs to, e.g. 'meld'.")
    key = models.CharField(
        max_length=255,
        help_text="Name unique within the dataset: 'dev/dia3_utt1' for MELD, the relative path for folders.",
    )
    split = models.CharField(max_length=32, blank=True, help_text="train, dev or test, when the dataset has splits.")
    dialogue_id = models.IntegerField(null=True, blank=True)
    utterance_id = models.IntegerField(null=True, blank=True)
    speaker = models.CharField(max_length=128, blank=True)
    transcript = models.TextField(blank=True)
    label = models.CharField(
        max_length=32, blank=True, help_text="Emotion label given by the source dataset (MELD's seven include surprise)."
    )
    metadata = models.JSONField(default=dict, blank=True, help_text="Other source fields (season, episode, times).")
    source_path = models.CharField(max_length=1024, help_text="The media file the clip was imported from.")
    audio = models.FileField(upload_to=f"{media.CLIPS}/", max_length=512, blank=True, help_text="16 kHz mono WAV.")
    duration_s = models.FloatField(null=True, blank=True, help_text="Length of the audio in seconds.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.READY, db_index=True)
    failure_kind = models.CharField(
        max_length=16, blank=True, choices=[(kind, kind) for kind in FAILURE_KINDS],
        help_text="Why a failed clip could not be imported, in one word (counted in the admin).",
    )
    status_reason = models.TextField(blank=True, help_text="Why the clip failed or was excluded, in full.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "split", "dialogue_id", "utterance_id", "key"]
        constraints = [models.UniqueConstraint(fields=["dataset", "key"], name="clip_unique_key_per_dataset")]
        indexes = [models.Index(fields=["dataset", "split"])]

    def __str__(self) -> str:
        return f"{self.dataset}:{self.key}"
