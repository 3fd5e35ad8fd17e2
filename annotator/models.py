"""People's judgments: which comparison an annotator holds (Lease), what they chose
(Judgment), and the tokens scripts use to act as an annotator (ApiToken)."""
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from rendering.models import Comparison, EmotionSequence


class Lease(models.Model):
    """One open slot of a comparison, held by one annotator until it is answered or expires.
    An annotator is served a comparison at most once (one lease per annotator and comparison)."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="leases")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leases")
    served_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-served_at"]
        constraints = [models.UniqueConstraint(fields=["comparison", "annotator"], name="lease_once_per_annotator")]
        indexes = [models.Index(fields=["comparison", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.comparison} for {self.annotator}"


class Judgment(models.Model):
    """An annotator's answer to a comparison: which side follows the voice better."""

    class Choice(models.TextChoices):
        LEFT = "left", "left better"
        RIGHT = "right", "right better"
        TIE = "tie", "no preference"
        BOTH_POOR = "both_poor", "both poor"

    # The answer buttons of the annotation page, in its order, each with its keys (the first
    # is shown on the button); the page's script reads both from the buttons.
    ANSWER_KEYS = {Choice.LEFT: ("1", "ArrowLeft"), Choice.TIE: ("0", "ArrowDown"), Choice.BOTH_POOR: ("x",),
                   Choice.RIGHT: ("2", "ArrowRight")}

    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judgments")
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="judgments")
    lease = models.OneToOneField(Lease, on_delete=models.PROTECT, related_name="judgment")
    choice = models.CharField(max_length=16, choices=Choice.choices)
    left = models.ForeignKey(EmotionSequence, on_delete=models.CASCADE, related_name="+",
                             help_text="The sequence shown on the left when it was judged.")
    right = models.ForeignKey(EmotionSequence, on_delete=models.CASCADE, related_name="+")
    response_ms = models.PositiveIntegerField(help_text="From serving the comparison to the answer (server clock).")
    time_ms = models.PositiveIntegerField(help_text="Time on the task as the annotator's page measured it.")
    watched_to_end = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    changed_at = models.DateTimeField(null=True, blank=True, help_text="When the answer was last changed.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["annotator", "comparison"], name="judgment_once_per_annotator")]

    def __str__(self) -> str:
        return f"{self.annotator}: {self.choice} on {self.comparison_id}"

    @property
    def preferred(self) -> EmotionSequence | None:
        return {self.Choice.LEFT: self.left, self.Choice.RIGHT: self.right}.get(self.choice)

    @property
    def control_correct(self) -> bool | None:
        """On a control, whether the annotator chose its known better side (None otherwise)."""
        if not self.comparison.is_control:
            return None
        return self.choice == self.comparison.control_answer


class ApiToken(models.Model):
    """A bearer token for scripts. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token of {self.user}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user) -> str:
        token = secrets.token_urlsafe(32)
        cls.objects.create(user=user, key_hash=cls.digest(token))
        return token

    @classmethod
    def user_for(cls, token: str):
        found = cls.objects.select_related("user").filter(key_hash=cls.digest(token), user__is_active=True).first()
        if found is None:
            return None
        cls.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found.user
