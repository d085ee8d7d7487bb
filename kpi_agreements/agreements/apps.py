from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "kpi_agreements.agreements"
    verbose_name = _("Agreements")

    def ready(self):
        from . import locking  # noqa: F401  (connects the guards of signed agreements)
