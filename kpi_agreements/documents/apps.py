from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "kpi_agreements.documents"
    verbose_name = _("Agreement documents")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the render task in every process, not only the worker)
