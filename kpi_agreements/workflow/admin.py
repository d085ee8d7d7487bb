from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kpi_agreements.core.admin import WorkflowReadOnly

from .models import Effect, Transition
from .outbox import publish


@admin.register(Transition)
class TransitionAdmin(WorkflowReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "actor", "at"]


@admin.register(Effect)
class EffectAdmin(WorkflowReadOnly, admin.ModelAdmin):
    """Where an administrator sees side effects that keep failing, and sends them once more after fixing
    the cause (the sweeper stops at TASK_MAX_ATTEMPTS)."""

    list_display = ["task", "args", "created_at", "done_at", "attempts", "last_error"]
    list_filter = [("done_at", admin.EmptyFieldListFilter), "task"]
    actions = ["run_again"]

    @admin.action(description=_("Run the selected side effects again"))
    def run_again(self, request, queryset):
        ids = list(queryset.filter(done_at__isnull=True).values_list("pk", flat=True))
        Effect.objects.filter(pk__in=ids).update(attempts=0)
        for pk in ids:
            publish(pk)
        n = len(ids)
        message = ngettext("%(n)d side effect was sent again.", "%(n)d side effects were sent again.", n)
        self.message_user(request, message % {"n": n})
