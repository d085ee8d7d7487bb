from django.db.models.signals import post_save

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.agreements.signals import agreement_amended
from kpi_agreements.fiscal.models import FiscalYear

from .services.rounds import agreement_amended as follow_new_version


def _follow(sender, agreement, **kwargs):
    follow_new_version(agreement)


agreement_amended.connect(_follow, sender=Agreement, dispatch_uid="reporting_follows_new_versions")


def _year_rounds(sender, instance, created, raw=False, **kwargs):
    # Every year has its three rounds from the day it is created (§8); their opening dates are policy.
    if created and not raw:
        from .services.rounds import rounds_ensure

        rounds_ensure(instance)


post_save.connect(_year_rounds, sender=FiscalYear, dispatch_uid="reporting_year_rounds")
