from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FiscalConfig(AppConfig):
    name = "kpi_agreements.fiscal"
    verbose_name = _("Fiscal years")
