from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.utils.html import format_html

from corpus.models import Clip


class DurationFilter(admin.SimpleListFilter):
    title = "duration"
    parameter_name = "duration"
    BUCKETS = {"lt1": (None, 1), "1to3": (1, 3), "3to10": (3, 10), "ge10": (10, None)}
    LABELS = {"lt1": "under 1 s", "1to3": "1–3 s", "3to10": "3–10 s", "ge10": "10 s or more"}

    def lookups(self, request, model_admin):
        return list(self.LABELS.items())

    def queryset(self, request, queryset):
        if self.value() not in self.BUCKETS:
            return queryset
        low, high = self.BUCKETS[self.value()]
        condition = Q()
        if low is not None:
            condition &= Q(duration_s__gte=low)
        if high is not None:
            condition &= Q(duration_s__lt=high)
        return queryset.filter(condition)


# What apps downstream add to the clip pages (the corpus app knows nothing of them), through
# `extend_clip_admin`: rendering adds "Schedule renders…" and a link to a clip's sequences.
_EXTRA_ACTIONS: list = []
_EXTRA_READONLY_FIELDS: list = []


def extend_clip_admin(actions=(), readonly_fields=()) -> None:
    """Add admin actions and read-only fields (callables) to the clip pages."""
    _EXTRA_ACTIONS.extend(action for action in actions if action not in _EXTRA_ACTIONS)
    _EXTRA_READONLY_FIELDS.extend(field for field in readonly_fields if field not in _EXTRA_READONLY_FIELDS)


class ExcludeForm(forms.Form):
    reason = forms.CharField(
        max_length=500, initial="background laughter",
        help_text="Why these clips should not be annotated (kept with each clip).",
    )


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ("key", "dataset", "split", "speaker", "label", "duration", "status", "status_reason")
    list_filter = ("status", "failure_kind", "dataset", "split", DurationFilter, "label")
    search_fields = ("key", "transcript", "speaker")
    readonly_fields = ("source_path", "audio", "audio_player", "duration_s", "failure_kind", "created_at", "updated_at")
    list_per_page = 50

    @property
    def actions(self):
        return ("exclude_clips", "restore_clips", *_EXTRA_ACTIONS)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *_EXTRA_READONLY_FIELDS)

    def has_add_permission(self, request):
        return False  # clips come in through import_meld / import_audio, which extract the audio

    def changelist_view(self, request, extra_context=None):
        """Above the list: how many clips are ready, excluded and failed, failures by kind."""
        counts = dict(Clip.objects.values_list("status").annotate(n=Count("id")))
        failures = (Clip.objects.filter(status=Clip.Status.FAILED).values_list("failure_kind")
                    .annotate(n=Count("id")).order_by("failure_kind"))
        extra_context = {**(extra_context or {}), "status_counts": [
            (label, counts.get(value, 0)) for value, label in Clip.Status.choices], "failure_counts": list(failures)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="duration", ordering="duration_s")
    def duration(self, clip: Clip) -> str:
        return f"{clip.duration_s:.2f} s" if clip.duration_s is not None else "–"

    @admin.display(description="listen")
    def audio_player(self, clip: Clip) -> str:
        if not clip.audio:
            return "–"
        return format_html('<audio controls preload="none" src="{}"></audio>', clip.audio.url)

    @admin.action(description="Exclude selected clips from annotation…", permissions=["change"])
    def exclude_clips(self, request, queryset):
        form = ExcludeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            changed = queryset.filter(status=Clip.Status.READY).update(
                status=Clip.Status.EXCLUDED, status_reason=form.cleaned_data["reason"]
            )
            self.message_user(request, f"Excluded {changed} clip(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Exclude clips",
            "form": form,
            "clips": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/corpus/clip/exclude.html", context)

    @admin.action(description="Return excluded clips to annotation", permissions=["change"])
    def restore_clips(self, request, queryset):
        changed = queryset.filter(status=Clip.Status.EXCLUDED).update(status=Clip.Status.READY, status_reason="")
        self.message_user(request, f"Restored {changed} clip(s).", messages.SUCCESS)
