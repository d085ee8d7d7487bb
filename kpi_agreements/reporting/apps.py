from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "kpi_agreements.reporting"
    verbose_name = _("Reporting rounds")

    def ready(self):
        # Who is told of each step, the background jobs it runs, and the hook on approved change requests.
        from . import addressers, jobs, signals  # noqa: F401
        from .excel import jobs as excel_jobs  # noqa: F401
