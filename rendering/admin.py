"""Admin pages of render jobs: batches with progress, failures, retry and cancel; the items
along the chain clip -> sequences -> renders -> comparisons, each linked to the next."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from corpus.admin import extend_clip_admin
from dser.emotions import EMOTION_COLOURS, EMOTIONS
from dser.jobs import Status
from dser.windows import PARAM_HIGH_S, PARAM_LOW_S
from rendering import batches
from rendering.forms import ScheduleForm
from rendering.models import JOB_MODELS, BatchClip, Comparison, EmotionSequence, Render, RenderBatch
from rendering.scheduling import schedule_batch


def admin_link(obj, text=None) -> str:
    url = reverse(f"admin:rendering_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or obj)


def changelist_link(model, text: str, **filters) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', reverse(f"admin:rendering_{model._meta.model_name}_changelist"),
                       query, text)


def video_player(item) -> str:
    if not item.file:
        return "–"
    return format_html('<video controls preload="metadata" width="{}" src="{}"></video>',
                       512 if isinstance(item, Comparison) else 256, item.file.url)


def timeline_svg(sequence: EmotionSequence, width: int = 360, height: int = 72) -> str:
    """The sequence's six emotion curves as a small inline SVG (time across, 0-1 up)."""
    timeline = sequence.get_timeline()
    end = max(float(timeline.times[-1]), sequence.clip.duration_s or 0.0, 1e-6)
    times = [0.0, *timeline.times.tolist(), end]
    values = [timeline.values[0], *timeline.values, timeline.values[-1]]

    def points(k: int) -> str:
        return " ".join(f"{t / end * width:.1f},{(1 - v[k]) * (height - 2) + 1:.1f}" for t, v in zip(times, values))

    lines = format_html_join("", '<polyline fill="none" stroke-width="1.5" stroke="{}" points="{}"><title>{}</title>'
                             "</polyline>", ((EMOTION_COLOURS[e], points(k), e) for k, e in enumerate(EMOTIONS)))
    return format_html('<svg width="{}" height="{}" style="background:#fafafa;border:1px solid #ddd">{}</svg>',
                       width, height, lines)


@admin.action(description="Retry the selected failed items", permissions=["change"])
def retry_items(modeladmin, request, queryset):
    count = batches.retry(list(queryset.filter(status__in=(Status.FAILED, Status.CANCELLED))))
    modeladmin.message_user(request, f"Retrying {count} item(s).", messages.SUCCESS)


class JobAdmin(admin.ModelAdmin):
    """Shared by the three kinds of work item: status filter, retry, nothing added by hand."""

    list_filter = ("status",)
    actions = (retry_items,)
    readonly_fields = ("status", "attempts", "error", "heartbeat_at", "updated_at")
    list_per_page = 50

    def has_add_permission(self, request):
        return False  # made by batches


@admin.register(RenderBatch)
class RenderBatchAdmin(admin.ModelAdmin):
    list_display = ("__str__", "progress_bar", "clip_count", "failure_count", "priority", "created_by", "created_at")
    list_filter = ("state",)
    actions = ("retry_failed", "cancel_batches")
    readonly_fields = ("state", "summary", "source", "checkpoint", "checkpoint_hash", "temperature", "dataset", "split",
                       "clip_ids", "limit", "sequences_per_clip", "min_distance_s", "seed", "pairs_per_clip",
                       "judgment_budget", "budget_spent_at",
                       "created_by", "created_at", "finished_at")
    fields = readonly_fields + ("priority",)

    def get_urls(self):
        return [path("schedule/", self.admin_site.admin_view(self.schedule_view), name="rendering_renderbatch_schedule"),
                path("<int:pk>/retry/", self.admin_site.admin_view(self.retry_view), name="rendering_renderbatch_retry"),
                path("<int:pk>/cancel/", self.admin_site.admin_view(self.cancel_view),
                     name="rendering_renderbatch_cancel")] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:rendering_renderbatch_schedule")

    def schedule_view(self, request):
        """The "Schedule renders…" form; from the clip list it arrives with the chosen clips."""
        if not self.has_add_permission(request):
            return self._forbidden()
        initial = {"clip_ids": request.GET.get("clips", ""), "dataset": request.GET.get("dataset", "")}
        form = ScheduleForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                batch = schedule_batch(form.schedule_options(), created_by=request.user)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Scheduled {batch}: {batch.batch_clips.count()} clip(s).", messages.SUCCESS)
                return redirect("admin:rendering_renderbatch_change", batch.pk)
        context = {**self.admin_site.each_context(request), "title": "Schedule renders", "form": form,
                   "param_low_s": PARAM_LOW_S, "param_high_s": PARAM_HIGH_S,
                   "opts": self.model._meta, "clip_count": len(form["clip_ids"].value().split(",")) if
                   form["clip_ids"].value() else None}
        return TemplateResponse(request, "admin/rendering/renderbatch/schedule.html", context)

    def retry_view(self, request, pk):
        return self._act_on_batch(request, pk, lambda batch: f"Retrying {batches.retry(batches.failed_items(batch))} "
                                                            "failed item(s).")

    def cancel_view(self, request, pk):
        return self._act_on_batch(request, pk, lambda batch: batches.cancel(batch) or f"Cancelled {batch}.")

    def _act_on_batch(self, request, pk, act):
        batch = get_object_or_404(RenderBatch, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, batch):
            return self._forbidden()
        self.message_user(request, act(batch), messages.SUCCESS)
        return redirect("admin:rendering_renderbatch_change", pk)

    def _forbidden(self):
        raise PermissionDenied

    @staticmethod
    def _counts(batch: RenderBatch) -> dict:
        """The batch's counts, counted once per page even though several columns show them."""
        if not hasattr(batch, "_counts"):
            batch._counts = batches.batch_counts(batch)
        return batch._counts

    @admin.display(description="progress")
    def progress_bar(self, batch: RenderBatch) -> str:
        share = self._counts(batch)["progress"]
        return format_html('<progress max="100" value="{}" title="{}%"></progress> {}%', round(share * 100),
                           round(share * 100), round(share * 100))

    @admin.display(description="clips")
    def clip_count(self, batch: RenderBatch) -> int:
        return batch.batch_clips.count()

    @admin.display(description="failed")
    def failure_count(self, batch: RenderBatch) -> int:
        return sum(self._counts(batch)["failures"].values())

    @admin.display(description="work")
    def summary(self, batch: RenderBatch) -> str:
        """Counts by status with links to the items, then every failure with its reason."""
        counts = self._counts(batch)
        rows = format_html_join("", "<tr><th>{}</th>{}</tr>", (
            (model.label, format_html_join("", "<td>{}</td>", ((changelist_link(
                model, f"{n} {status}", **{f"{model.to_batches}__id__exact": batch.pk, "status__exact": status}),)
                for status, n in counts[model.label].items())))
            for model in JOB_MODELS))
        failures = format_html_join("", "<li>{}: {}</li>", ((admin_link(item), item.error)
                                                          for item in batches.failed_items(batch)))
        spread = "–" if counts["spread"] is None else f"{counts['spread']:.3f}"
        return format_html('<progress max="100" value="{}"></progress> {}% · {} sequences from {} · mean difference '
                           "between a clip's sequences {} · {} pairs below the difference floor ({}) not composed"
                           "<table>{}</table><ul>{}</ul>",
                           round(counts["progress"] * 100), round(counts["progress"] * 100), counts["sequences"],
                           batch.get_source_display(), spread, counts["pairs_below_floor"], batch.min_difference, rows,
                           failures)

    @admin.action(description="Retry the failed items of the selected batches", permissions=["change"])
    def retry_failed(self, request, queryset):
        count = sum(batches.retry(batches.failed_items(batch)) for batch in queryset)
        self.message_user(request, f"Retrying {count} failed item(s).", messages.SUCCESS)

    @admin.action(description="Cancel the selected batches", permissions=["change"])
    def cancel_batches(self, request, queryset):
        for batch in queryset.filter(state=RenderBatch.State.RUNNING):
            batches.cancel(batch)
        self.message_user(request, "Cancelled: nothing new starts; running items finish.", messages.SUCCESS)


@admin.register(BatchClip)
class BatchClipAdmin(JobAdmin):
    list_display = ("clip", "batch", "status", "attempts", "inference_seconds", "spread", "error", "updated_at")
    list_filter = ("status", "batch")
    search_fields = ("clip__key",)
    readonly_fields = ("batch", "clip", "sequences") + JobAdmin.readonly_fields

    @admin.display(description="sequences")
    def sequences(self, item: BatchClip) -> str:
        return changelist_link(EmotionSequence, "sequences of this clip", clip__id__exact=item.clip_id)


@admin.register(EmotionSequence)
class EmotionSequenceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "window_s", "stride_s", "draw", "temperature", "plot", "render_link",
                    "created_at")
    search_fields = ("clip__key",)
    list_filter = ("kind", "checkpoint_hash")
    readonly_fields = ("clip", "kind", "checkpoint", "checkpoint_hash", "window_s", "stride_s", "draw", "draw_seed",
                       "temperature", "plot", "render_link", "comparisons", "timeline", "created_at")

    def has_add_permission(self, request):
        return False

    @admin.display(description="emotions over time")
    def plot(self, sequence: EmotionSequence) -> str:
        return timeline_svg(sequence)

    @admin.display(description="video")
    def render_link(self, sequence: EmotionSequence) -> str:
        render = Render.objects.filter(sequence=sequence).first()
        return admin_link(render, f"{render.status}") if render else "–"

    @admin.display(description="comparisons")
    def comparisons(self, sequence: EmotionSequence) -> str:
        return changelist_link(Comparison, "comparisons of this clip", clip__id__exact=sequence.clip_id)


@admin.register(Render)
class RenderAdmin(JobAdmin):
    list_display = ("__str__", "status", "attempts", "duration_s", "render_seconds", "mouth_source", "error")
    search_fields = ("sequence__clip__key",)
    readonly_fields = ("sequence_link", "player", "file", "duration_s", "render_seconds", "mouth_source") + \
        JobAdmin.readonly_fields
    exclude = ("sequence",)

    @admin.display(description="sequence")
    def sequence_link(self, render: Render) -> str:
        return admin_link(render.sequence)

    @admin.display(description="video")
    def player(self, render: Render) -> str:
        return video_player(render)


@admin.register(Comparison)
class ComparisonAdmin(JobAdmin):
    list_display = ("__str__", "status", "is_control", "attempts", "duration_s", "render_seconds", "error")
    list_filter = ("status", "is_control")
    search_fields = ("clip__key",)
    # What a judgment means: the sides as shown and the control's answer are never edited.
    readonly_fields = ("clip", "left_link", "right_link", "is_control", "control_answer", "player", "file",
                       "duration_s", "render_seconds") + JobAdmin.readonly_fields
    exclude = ("left", "right")

    @admin.display(description="left (A)")
    def left_link(self, comparison: Comparison) -> str:
        return admin_link(comparison.left)

    @admin.display(description="right (B)")
    def right_link(self, comparison: Comparison) -> str:
        return admin_link(comparison.right)

    @admin.display(description="video")
    def player(self, comparison: Comparison) -> str:
        return video_player(comparison)


@admin.action(description="Schedule renders for the selected clips…", permissions=["change"])
def schedule_renders(modeladmin, request, queryset):
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return redirect(f"{reverse('admin:rendering_renderbatch_schedule')}?clips={ids}")


@admin.display(description="sequences")
def clip_sequences(clip) -> str:
    return changelist_link(EmotionSequence, "sequences of this clip", clip__id__exact=clip.pk)


extend_clip_admin(actions=[schedule_renders], readonly_fields=[clip_sequences])
