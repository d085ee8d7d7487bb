from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "kpi_agreements.reminders"
    verbose_name = _("Reminders")

    def ready(self):
        # The worker never loads the URLs: its tasks register here and by Celery's autodiscovery (ADR 0005).
        from . import tasks  # noqa: F401
