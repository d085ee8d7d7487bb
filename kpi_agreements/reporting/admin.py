from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kpi_agreements.core.admin import WorkflowReadOnly

from .models import Round, RoundReport


@admin.register(Round)
class RoundAdmin(SimpleHistoryAdmin):
    list_display = ["fiscal_year", "months", "opens_on", "opened_at"]
    readonly_fields = ["opened_at", "opened_by"]


@admin.register(RoundReport)
class RoundReportAdmin(WorkflowReadOnly, SimpleHistoryAdmin):
    list_display = ["agreement", "round", "status", "days_late", "penalty", "self_total", "verified_total"]
    list_filter = ["round", "status"]
