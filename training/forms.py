from dataclasses import fields
from pathlib import Path

from django import forms
from django.conf import settings

from dser.jobs import Status
from emotion.checkpoint import CheckpointError, find_checkpoints, load_metadata
from emotion.dpo_config import DPOConfig
from rendering.forms import ScheduleForm
from training.aggregation import AGGREGATIONS, GRANULARITIES
from training.models import DPO_DEFAULTS, PreferenceExport, TrainingRun
from training.services import ExportFilters, parse_until

EXPORT_DEFAULTS = ExportFilters()


def sequence_choices() -> list[tuple[str, str]]:
    """The sequence models a DPO run may start from: the configured stage-2 default (""),
    finished runs, and those below DSER_CHECKPOINT_ROOTS. Built by the server: the web never
    names a path itself."""
    default = str(settings.STAGE2_CHECKPOINT)
    runs = [(run.directory, f"run {run.pk}") for run in TrainingRun.objects.filter(status=Status.DONE)]
    found = [(str(path), str(path)) for path in find_checkpoints(settings.CHECKPOINT_ROOTS, "sequence")]
    return [("", f"default: {default}"), *((path, label) for path, label in runs + found if path != default)]


class ExportForm(forms.Form):
    dataset = forms.CharField(required=False, help_text="Only clips of this dataset (blank: all).")
    batch = forms.IntegerField(required=False, min_value=1, help_text="Only comparisons of this render batch.")
    until = forms.CharField(required=False, help_text="Only judgments given up to this ISO date and time "
                                                      "(blank: all), e.g. 2026-12-06T18:30.")
    min_votes = forms.IntegerField(initial=EXPORT_DEFAULTS.min_votes, min_value=1,
                                   help_text="Judgments a comparison needs.")
    min_majority = forms.FloatField(initial=EXPORT_DEFAULTS.min_majority, min_value=0.0, max_value=1.0,
                                    help_text="Least share of a comparison's judgments on its majority side.")
    exclude_failed_controls = forms.BooleanField(required=False, initial=EXPORT_DEFAULTS.exclude_failed_controls,
                                                 help_text="Leave out annotators who got too few controls right.")
    exclude_unqualified = forms.BooleanField(required=False, initial=EXPORT_DEFAULTS.exclude_unqualified,
                                             help_text="Leave out annotators not (yet) qualified, or blocked.")
    exclude_too_fast = forms.BooleanField(required=False, initial=EXPORT_DEFAULTS.exclude_too_fast,
                                          help_text="Leave out answers given before the pair could be watched once.")
    aggregate = forms.ChoiceField(choices=[(a, a) for a in AGGREGATIONS], initial=EXPORT_DEFAULTS.aggregate)
    granularity = forms.ChoiceField(choices=[(g, g) for g in GRANULARITIES], initial=EXPORT_DEFAULTS.granularity,
                                    help_text="Triplets from whole-clip votes, from the answers about each marked "
                                              "stretch (one per stretch), or both.")
    bt_margin = forms.FloatField(initial=EXPORT_DEFAULTS.bt_margin, min_value=0.0,
                                 help_text="bradley-terry: least score difference.")

    def clean_until(self) -> str:
        until = self.cleaned_data["until"].strip()
        try:
            return until and parse_until(until).isoformat()
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def filters(self) -> ExportFilters:
        return ExportFilters(**{field.name: self.cleaned_data[field.name] for field in fields(ExportFilters)})


class RunForm(forms.Form):
    export = forms.ModelChoiceField(queryset=PreferenceExport.objects.filter(status=Status.DONE, triplets__gt=0))
    init_checkpoint = forms.ChoiceField(required=False, help_text="The sequence model DPO starts from and compares "
                                        "against: the stage-2 default, a finished run, or one below DSER_CHECKPOINT_ROOTS.")
    beta = forms.FloatField(initial=DPO_DEFAULTS.beta, min_value=1e-6,
                            help_text="The paper's best: 0.5 (of 0.01, 0.1, 0.5, 10).")
    lr = forms.FloatField(initial=DPO_DEFAULTS.lr, min_value=1e-9, label="Learning rate")
    epochs = forms.IntegerField(initial=DPO_DEFAULTS.epochs, min_value=1, max_value=100)
    batch_size = forms.IntegerField(initial=DPO_DEFAULTS.batch_size, min_value=1, max_value=64)
    reference = forms.ChoiceField(required=False, help_text="The frozen model the policy is compared with: the init "
                                  "itself (classic DPO), or another sequence model (iterative DPO: the previous "
                                  "round's, when the init is that round's run).")
    label_smoothing = forms.FloatField(required=False, initial=DPO_DEFAULTS.label_smoothing, min_value=0.0, max_value=0.49,
                                       help_text="Robust DPO for noisy annotators: each preference taken as flipped "
                                                 "with this probability (0: off).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = sequence_choices()
        self.fields["init_checkpoint"].choices = choices
        self.fields["reference"].choices = [("", "the init itself"), (str(settings.STAGE2_CHECKPOINT), (
            f"the stage-2 default: {settings.STAGE2_CHECKPOINT}")), *choices[1:]]

    def clean_init_checkpoint(self) -> str:
        chosen = self.cleaned_data["init_checkpoint"]
        sequence_checkpoint(chosen or str(settings.STAGE2_CHECKPOINT))
        return chosen

    def clean_reference(self) -> str:
        chosen = self.cleaned_data["reference"]
        return sequence_checkpoint(chosen) if chosen else ""

    def config(self) -> DPOConfig:
        data = self.cleaned_data
        return DPOConfig(beta=data["beta"], lr=data["lr"], epochs=data["epochs"], batch_size=data["batch_size"],
                         reference=data["reference"] or "init", label_smoothing=data["label_smoothing"] or 0.0)


def sequence_checkpoint(path: str) -> str:
    """`path` if it still loads as a sequence model: a form error, never a failed run, when
    it does not."""
    try:
        head = load_metadata(Path(path)).head
    except CheckpointError as exc:
        raise forms.ValidationError(str(exc)) from None
    if head != "sequence":
        raise forms.ValidationError("DPO needs sequence models (stage 2, or a DPO run)")
    return path


class NextRoundForm(ScheduleForm):
    """The next round after a finished run (training.rounds.start_next_round): the schedule
    form less its model fields (the policy is the run's model), with the previous round's
    clips as the default selection."""

    same_clips = forms.BooleanField(required=False, initial=True, help_text=(
        "The clips of the round this run was trained on (unticked: the dataset, split and limit above)."))

    def __init__(self, *args, previous_batch=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("checkpoint", "policy", "clip_ids", "min_distance_s"):
            del self.fields[name]
        if previous_batch is not None:
            self.fields["budget"].initial = previous_batch.judgment_budget
            self.fields["sequences"].initial = previous_batch.sequences_per_clip
