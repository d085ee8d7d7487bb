from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kpi_agreements.core.dates import ADMIN_DATE_FIELDS

from .models import CalendarDay, FiscalYear, Milestone


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    formfield_overrides = ADMIN_DATE_FIELDS


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    inlines = [MilestoneInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    formfield_overrides = ADMIN_DATE_FIELDS
