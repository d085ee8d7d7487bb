from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from kpi_agreements.core.admin import NoDelete, WorkflowReadOnly

from .models import Committee, CommitteeMember, Person, Resolution, RoleAssignment, Unit, UnitType


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Person)
class PersonAdmin(NoDelete, UserAdmin, SimpleHistoryAdmin):
    inlines = [RoleInline]
    fieldsets = UserAdmin.fieldsets + (("KPI", {"fields": ("title", "position", "office", "mobile")}),)


@admin.register(Unit)
class UnitAdmin(NoDelete, SimpleHistoryAdmin):
    # Units are created and moved through the application so the tree and its parent links stay in step.
    list_display = ["name_th", "abbreviation", "unit_type", "is_active"]
    search_fields = ["name_th", "name_en", "abbreviation"]
    readonly_fields = ["path", "depth", "numchild"]

    def has_add_permission(self, request):
        return False


admin.site.register(UnitType)


class MemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0


@admin.register(Committee)
class CommitteeAdmin(SimpleHistoryAdmin):
    inlines = [MemberInline]
    list_display = ["name", "kind", "fiscal_year"]


@admin.register(Resolution)
class ResolutionAdmin(WorkflowReadOnly, SimpleHistoryAdmin):
    list_display = ["number", "committee", "date"]
