"""People's judgments: which comparison an annotator holds (Lease), what they chose
(Judgment) and every change of mind (JudgmentChange), and the tokens scripts use to act as
an annotator (ApiToken).

Judgments are the one thing the product cannot make again, so they are append-only: every
row they point at (annotator, comparison, sequences, lease) is PROTECTed, so deleting a clip,
a comparison, a sequence or a user with judgments is refused (exclude clips, deactivate users);
the admin cannot delete them; a changed answer keeps the one before it."""
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from annotator.stats.qualification import Assessment
from dser.roles import ANNOTATORS, has_role
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
    # is shown on the button); the page's script reads both from the buttons. ↓ and ↑ are
    # left to scroll the page.
    ANSWER_KEYS = {Choice.LEFT: ("1", "ArrowLeft"), Choice.TIE: ("0",), Choice.BOTH_POOR: ("x",),
                   Choice.RIGHT: ("2", "ArrowRight")}

    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="judgments")
    comparison = models.ForeignKey(Comparison, on_delete=models.PROTECT, related_name="judgments")
    lease = models.OneToOneField(Lease, on_delete=models.PROTECT, related_name="judgment")
    choice = models.CharField(max_length=16, choices=Choice.choices)
    left = models.ForeignKey(EmotionSequence, on_delete=models.PROTECT, related_name="+",
                             help_text="The sequence shown on the left when it was judged.")
    right = models.ForeignKey(EmotionSequence, on_delete=models.PROTECT, related_name="+")
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


class SegmentAnswer(models.Model):
    """Beside a judgment, the annotator's answer about one marked stretch of its comparison
    (`Comparison.segments`): which side follows the voice better there (segment votes)."""

    class Choice(models.TextChoices):
        LEFT = "left", "left better"
        RIGHT = "right", "right better"
        SAME = "same", "same"

    judgment = models.ForeignKey(Judgment, on_delete=models.PROTECT, related_name="segments")
    index = models.PositiveSmallIntegerField(help_text="The stretch's number in its comparison's segments (from 1).")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["judgment", "index"]
        constraints = [models.UniqueConstraint(fields=["judgment", "index"], name="segment_answer_once")]

    def __str__(self) -> str:
        return f"{self.judgment}, stretch {self.index}: {self.choice}"


class JudgmentChange(models.Model):
    """One change of an answer: what it was before, what it became, who changed it and when;
    `segment` names the stretch when a segment answer changed. The judgment (and its segment
    answers) hold the latest answers, which exports read."""

    judgment = models.ForeignKey(Judgment, on_delete=models.PROTECT, related_name="changes")
    segment = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The stretch (none: the overall answer).")
    before = models.CharField(max_length=16)  # a Judgment.Choice, or a SegmentAnswer.Choice for a stretch
    after = models.CharField(max_length=16)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["judgment", "changed_at"]

    def __str__(self) -> str:
        return f"judgment {self.judgment_id}: {self.before} -> {self.after}"


class Qualification(models.Model):
    """Where an annotator stands (annotator/stats/qualification.py, settings.QUALIFICATION):
    qualifying, qualified (their votes count) or blocked (no longer served, and their votes
    left out of exports, until an admin reinstates them). Counted again from their answers at
    each answer or change; the checks after the last reinstatement are what count."""

    annotator = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualification")
    checks = models.PositiveIntegerField(default=0, help_text="Controls answered, and answers given too fast.")
    failed = models.PositiveIntegerField(default=0)
    failed_in_row = models.PositiveIntegerField(default=0)
    controls = models.PositiveIntegerField(default=0, help_text="Controls answered.")
    since_control = models.PositiveIntegerField(default=0, help_text="Answers since the last control.")
    qualified_at = models.DateTimeField(null=True, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=300, blank=True)
    reinstated_at = models.DateTimeField(null=True, blank=True)
    reinstated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    def __str__(self) -> str:
        return f"{self.annotator}: {self.state}"

    @property
    def state(self) -> str:
        return "blocked" if self.blocked_at else "qualified" if self.qualified_at else "qualifying"

    @property
    def votes_count(self) -> bool:
        """Whether exports and serving count this annotator's votes (see by_qualified)."""
        return self.qualified_at is not None and self.blocked_at is None

    def assessment(self) -> Assessment:
        return Assessment(self.checks, self.failed, self.failed_in_row, self.since_control, self.controls,
                          qualified=self.qualified_at is not None, blocked=self.blocked_at is not None)


def too_fast() -> Q:
    """Judgments given sooner after serving than DSER_MIN_WATCH_SHARE of their video: nobody
    watched the pair. (A comparison of unknown length is never too fast.)"""
    return Q(comparison__duration_s__isnull=False,
             response_ms__lt=F("comparison__duration_s") * 1000 * settings.MIN_WATCH_SHARE)


def by_qualified() -> Q:
    """Judgments of annotators whose votes count under qualification: qualified, not blocked."""
    return Q(annotator__qualification__qualified_at__isnull=False, annotator__qualification__blocked_at__isnull=True)


def token_expiry():
    return timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)


class ApiToken(models.Model):
    """A bearer token for an annotator's scripts. Only its hash is stored; the token is shown
    once. It expires after DSER_API_TOKEN_TTL_DAYS and can be revoked (`api_token --revoke`,
    or the admin's action); either way it answers 401 from then on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, blank=True, help_text="The token's first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(default=token_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token {self.prefix}… of {self.user}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user) -> str:
        """A new token for `user`; ValueError unless they are an annotator (the API is theirs)."""
        if not has_role(user, ANNOTATORS):
            raise ValueError(f"{user} is not an annotator; API tokens are for annotators only")
        token = secrets.token_urlsafe(32)
        cls.objects.create(user=user, key_hash=cls.digest(token), prefix=token[:8])
        return token

    @classmethod
    def revoke(cls, tokens) -> int:
        """Revoke the tokens of queryset `tokens` that still work; how many that was."""
        return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())

    @classmethod
    def user_for(cls, token: str):
        """The active user a live token belongs to, or None (unknown, expired or revoked)."""
        now = timezone.now()
        found = cls.objects.select_related("user").filter(
            key_hash=cls.digest(token), user__is_active=True, revoked_at__isnull=True, expires_at__gt=now).first()
        if found is None:
            return None
        cls.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user
