from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "kpi_agreements.agreements"
    verbose_name = _("Agreements")

    def ready(self):
        # Registers who is told, the background jobs (create, import, export); connects the guards.
        from . import addressers, jobs, locking  # noqa: F401
