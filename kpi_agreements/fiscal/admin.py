from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CalendarDay, FiscalYear, Milestone


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    inlines = [MilestoneInline]


admin.site.register(CalendarDay, SimpleHistoryAdmin)
