from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "kpi_agreements.workflow"
    verbose_name = _("Workflow")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the tasks in every process, not only the worker)
