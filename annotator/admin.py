"""Judgments, their changes and leases in the admin: to look at, never to edit or delete."""
from django.contrib import admin, messages

from annotator import services
from annotator.models import ApiToken, Judgment, JudgmentChange, Lease, Qualification, SegmentAnswer


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows people made: shown, never added, changed or deleted from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SegmentAnswerInline(ReadOnlyInline):
    model = SegmentAnswer
    fields = readonly_fields = ("index", "choice", "changed_at")


class JudgmentChangeInline(ReadOnlyInline):
    model = JudgmentChange
    fields = readonly_fields = ("segment", "before", "after", "changed_by", "changed_at")


@admin.register(Judgment)
class JudgmentAdmin(ReadOnlyAdmin):
    list_display = ("comparison", "annotator", "choice", "response_ms", "watched_to_end", "created_at", "changed_at")
    list_filter = ("choice", "annotator", "comparison__is_control")
    search_fields = ("comparison__clip__key", "annotator__username")
    inlines = (SegmentAnswerInline, JudgmentChangeInline)


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ("comparison", "annotator", "served_at", "expires_at")
    list_filter = ("annotator",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Scripts' tokens: which exist, when they were last used, and a way to stop them."""

    list_display = ("user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "prefix")
    actions = ("revoke_tokens",)

    @admin.action(description="Revoke the selected tokens", permissions=["view"])
    def revoke_tokens(self, request, queryset):
        self.message_user(request, f"Revoked {ApiToken.revoke(queryset)} token(s).", messages.SUCCESS)


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    """Where each annotator stands; blocked ones can be reinstated (as on the dashboard)."""

    list_display = ("annotator", "state", "checks", "failed", "qualified_at", "blocked_at", "blocked_reason",
                    "reinstated_at", "reinstated_by")
    list_filter = (("blocked_at", admin.EmptyFieldListFilter), ("qualified_at", admin.EmptyFieldListFilter))
    search_fields = ("annotator__username",)
    actions = ("reinstate",)

    @admin.action(description="Reinstate the selected blocked annotators", permissions=["view"])
    def reinstate(self, request, queryset):
        count = sum(services.reinstate(standing.annotator, request.user) for standing in queryset)
        self.message_user(request, f"Reinstated {count} annotator(s).", messages.SUCCESS)
