from django.contrib import admin

from annotator.models import Judgment, Lease


@admin.register(Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = ("comparison", "annotator", "choice", "response_ms", "watched_to_end", "created_at", "changed_at")
    list_filter = ("choice", "annotator", "comparison__is_control")
    search_fields = ("comparison__clip__key", "annotator__username")
    readonly_fields = [field.name for field in Judgment._meta.fields]

    def has_add_permission(self, request):
        return False  # annotators judge on the annotation page or through the API


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ("comparison", "annotator", "served_at", "expires_at")
    list_filter = ("annotator",)
    readonly_fields = ("comparison", "annotator", "served_at", "expires_at")

    def has_add_permission(self, request):
        return False
