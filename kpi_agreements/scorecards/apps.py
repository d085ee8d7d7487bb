from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardsConfig(AppConfig):
    name = "kpi_agreements.scorecards"
    verbose_name = _("Scorecards")

    def ready(self):
        # The exports run as background jobs (workflow.jobs): their kinds register here.
        from . import jobs  # noqa: F401
