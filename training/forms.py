from dataclasses import fields

from django import forms
from django.conf import settings

from emotion.dpo import DPOConfig
from training.models import DPO_DEFAULTS, PreferenceExport
from training.services import AGGREGATIONS, ExportFilters

EXPORT_DEFAULTS = ExportFilters()


class ExportForm(forms.Form):
    dataset = forms.CharField(required=False, help_text="Only clips of this dataset (blank: all).")
    batch = forms.IntegerField(required=False, min_value=1, help_text="Only comparisons of this render batch.")
    min_votes = forms.IntegerField(initial=EXPORT_DEFAULTS.min_votes, min_value=1,
                                   help_text="Judgments a comparison needs.")
    min_majority = forms.FloatField(initial=EXPORT_DEFAULTS.min_majority, min_value=0.0, max_value=1.0,
                                    help_text="Least share of a comparison's judgments on its majority side.")
    exclude_failed_controls = forms.BooleanField(required=False, initial=EXPORT_DEFAULTS.exclude_failed_controls,
                                                 help_text="Leave out annotators who got too few controls right.")
    aggregate = forms.ChoiceField(choices=[(a, a) for a in AGGREGATIONS], initial=EXPORT_DEFAULTS.aggregate)
    bt_margin = forms.FloatField(initial=EXPORT_DEFAULTS.bt_margin, min_value=0.0,
                                 help_text="bradley-terry: least score difference.")

    def filters(self) -> ExportFilters:
        return ExportFilters(**{field.name: self.cleaned_data[field.name] for field in fields(ExportFilters)})


class RunForm(forms.Form):
    export = forms.ModelChoiceField(queryset=PreferenceExport.objects.filter(triplets__gt=0))
    init_checkpoint = forms.CharField(required=False, help_text=f"Stage-2 checkpoint (blank: {settings.STAGE2_CHECKPOINT}).")
    beta = forms.FloatField(initial=DPO_DEFAULTS.beta, min_value=1e-6,
                            help_text="The paper's best: 0.5 (of 0.01, 0.1, 0.5, 10).")
    lr = forms.FloatField(initial=DPO_DEFAULTS.lr, min_value=1e-9, label="Learning rate")
    epochs = forms.IntegerField(initial=DPO_DEFAULTS.epochs, min_value=1, max_value=100)
    batch_size = forms.IntegerField(initial=DPO_DEFAULTS.batch_size, min_value=1, max_value=64)

    def config(self) -> DPOConfig:
        data = self.cleaned_data
        return DPOConfig(beta=data["beta"], lr=data["lr"], epochs=data["epochs"], batch_size=data["batch_size"])
