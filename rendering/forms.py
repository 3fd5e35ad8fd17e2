from dataclasses import fields

from django import forms
from django.conf import settings

from emotion.checkpoint import find_checkpoints
from rendering.options import DEFAULTS, MAX_SEQUENCES, SUGGESTED_CONTROLS, ScheduleOptions


def stage1_choices() -> list[tuple[str, str]]:
    """The stage-1 checkpoints an admin may pick: the configured default ("") and those below
    DSER_CHECKPOINT_ROOTS. Built by the server: the web never names a path itself."""
    default = str(settings.STAGE1_CHECKPOINT)
    found = [str(path) for path in find_checkpoints(settings.CHECKPOINT_ROOTS, "utterance") if str(path) != default]
    return [("", f"default: {default}"), *((path, path) for path in found)]


def policy_choices() -> list[tuple[str, str]]:
    """The sequence models whose candidates a batch may compare instead (an on-policy round):
    none (""), the configured stage-2 default, and those below DSER_CHECKPOINT_ROOTS (where
    finished DPO runs are kept)."""
    default = str(settings.STAGE2_CHECKPOINT)
    found = [str(path) for path in find_checkpoints(settings.CHECKPOINT_ROOTS, "sequence") if str(path) != default]
    return [("", "none: the stage-1 model's sliding windows"), (default, f"stage 2: {default}"),
            *((path, path) for path in found)]


class ScheduleForm(forms.Form):
    """What an admin chooses when scheduling renders (ScheduleOptions, as schedule_renders)."""

    dataset = forms.CharField(required=False, help_text="Only clips of this dataset (blank: any).")
    split = forms.CharField(required=False, help_text="Only clips of this split (blank: any).")
    clip_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    limit = forms.IntegerField(required=False, min_value=1, help_text="At most this many clips.")
    checkpoint = forms.ChoiceField(required=False, help_text="The stage-1 model that makes the sequences "
                                   "(the default, or one below DSER_CHECKPOINT_ROOTS).")
    policy = forms.ChoiceField(required=False, help_text="Or a sequence model whose prediction and draws are the "
                               "sequences (an on-policy round; the stage-1 model is then not used).")
    temperature = forms.FloatField(required=False, initial=DEFAULTS.temperature, min_value=0.01, help_text=(
        "A policy's draws: above 1 they spread further from its prediction, below 1 they stay nearer."))
    sequences = forms.IntegerField(initial=DEFAULTS.sequences, min_value=2, max_value=MAX_SEQUENCES,
                                   help_text="Sequences (a policy's candidates) per clip.")
    pairs = forms.IntegerField(required=False, min_value=1, help_text="Comparisons per clip (blank: every pair).")
    min_distance_s = forms.FloatField(initial=DEFAULTS.min_distance_s, min_value=0.0,
                                      help_text="No two (window, stride) pairs closer than this, in seconds.")
    seed = forms.IntegerField(initial=DEFAULTS.seed)
    priority = forms.IntegerField(initial=DEFAULTS.priority, min_value=0, max_value=9, help_text="0 lowest, 9 highest.")
    controls = forms.FloatField(initial=SUGGESTED_CONTROLS, min_value=0.0, max_value=1.0,
                                help_text="Share of clips that also get a control comparison (a known answer).")
    overlap = forms.IntegerField(required=False, min_value=1, max_value=20,
                                 help_text=f"Annotators per comparison (blank: {settings.OVERLAP}).")
    budget = forms.IntegerField(required=False, min_value=1, help_text=(
        "Serve its comparisons for this many judgments, controls included (blank: no limit)."))
    min_difference = forms.FloatField(
        required=False, min_value=0.0, max_value=1.0,
        help_text="Leave out pairs whose strongest stretch differs less than this (total variation, 0-1; "
                  f"blank: {settings.MIN_DIFFERENCE}): nobody can tell them apart.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checkpoint"].choices = stage1_choices()
        self.fields["policy"].choices = policy_choices()

    def clean_clip_ids(self) -> tuple[int, ...]:
        raw = self.cleaned_data["clip_ids"]
        try:
            return tuple(int(pk) for pk in raw.split(",") if pk.strip())
        except ValueError:
            raise forms.ValidationError("clip ids must be numbers") from None

    def clean_temperature(self) -> float:
        temperature = self.cleaned_data["temperature"]
        return DEFAULTS.temperature if temperature is None else temperature

    def schedule_options(self) -> ScheduleOptions:
        """The options chosen; a field a subclass leaves out keeps its default."""
        return ScheduleOptions(**{field.name: self.cleaned_data[field.name] for field in fields(ScheduleOptions)
                                  if field.name in self.cleaned_data})
