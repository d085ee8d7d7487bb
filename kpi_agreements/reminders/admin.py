from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ReminderDigest, ReminderLog, ReminderPolicy, ReminderRun


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(SimpleHistoryAdmin):
    list_display = [
        "fiscal_year",
        "enabled",
        "before_deadline",
        "escalate_after",
        "committee_wait",
        "send_at",
    ]


class ReadOnly:
    """The log is the proof of what was sent: looked at, never edited (a changed key would send again)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReminderRun)
class ReminderRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["day", "trigger", "started_at", "finished_at", "sent", "skipped", "failed"]


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "person", "kind", "offset", "due_on", "status", "emailed_at", "unit"]
    list_filter = ["status", "kind"]
    list_select_related = ["person", "unit"]


@admin.register(ReminderDigest)
class ReminderDigestAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["day", "person", "queued_at", "sent_at"]
    list_select_related = ["person"]
