from django.contrib import admin

from kpi_agreements.core.admin import WorkflowReadOnly

from .models import Transition


@admin.register(Transition)
class TransitionAdmin(WorkflowReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "actor", "at"]
