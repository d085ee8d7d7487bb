from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "kpi_agreements.agreements"
    verbose_name = _("Agreements")

    def ready(self):
        from . import addressers, locking  # noqa: F401  (registers who is told; connects the guards)
