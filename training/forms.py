from django import forms
from django.conf import settings

from training.models import PreferenceExport
from training.services import AGGREGATIONS, ExportFilters


class ExportForm(forms.Form):
    dataset = forms.CharField(required=False, help_text="Only clips of this dataset (blank: all).")
    batch = forms.IntegerField(required=False, min_value=1, help_text="Only comparisons of this render batch.")
    min_votes = forms.IntegerField(initial=1, min_value=1, help_text="Judgments a comparison needs.")
    min_agreement = forms.FloatField(initial=0.0, min_value=0.0, max_value=1.0,
                                     help_text="Share of a comparison's judgments on its majority side.")
    exclude_failed_controls = forms.BooleanField(required=False, initial=True,
                                                 help_text="Leave out annotators who got too few controls right.")
    aggregate = forms.ChoiceField(choices=[(a, a) for a in AGGREGATIONS], initial="pairwise")
    bt_margin = forms.FloatField(initial=1.0, min_value=0.0, help_text="bradley-terry: least score difference.")

    def filters(self) -> ExportFilters:
        return ExportFilters(**self.cleaned_data)


class RunForm(forms.Form):
    export = forms.ModelChoiceField(queryset=PreferenceExport.objects.filter(triplets__gt=0))
    init_checkpoint = forms.CharField(required=False, help_text=f"Stage-2 checkpoint (blank: {settings.STAGE2_CHECKPOINT}).")
    beta = forms.FloatField(initial=0.5, min_value=1e-6, help_text="The paper's best: 0.5 (of 0.01, 0.1, 0.5, 10).")
    lr = forms.FloatField(initial=1e-5, min_value=1e-9, label="Learning rate")
    epochs = forms.IntegerField(initial=3, min_value=1, max_value=100)
    batch_size = forms.IntegerField(initial=4, min_value=1, max_value=64)
