from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "kpi_agreements.documents"
    verbose_name = _("Agreement documents")
