"""The year's reporting policy (§8): when each round opens for entry, how long a unit has to answer a report
returned for more information, and whether planning staff verify where no committee covers a unit."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpi_agreements.fiscal.models import FiscalYear

from ..models import Round
from .rounds import rounds_ensure

REASON = "reporting policy"


@transaction.atomic
def reporting_policy_save(
    *, fiscal_year: FiscalYear, opens_on: dict[int, date], return_days: int, planning_verifies: bool
) -> FiscalYear:
    """Save it all or nothing; simple-history keeps each round's and the year's previous values."""
    if return_days < 1:
        raise ValidationError({"return_days": _("Give at least one day.")})
    year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
    rounds = {r.months: r for r in rounds_ensure(year)}
    unknown = set(opens_on) - set(rounds)
    if unknown:
        raise ValueError(f"no such rounds: {sorted(unknown)}")
    errors = {
        f"opens_on_{months}": _("A round cannot open before its fiscal year begins.")
        for months, day in opens_on.items()
        if day < year.start
    }
    if errors:
        raise ValidationError(errors)
    for months, day in opens_on.items():
        round = Round.objects.select_for_update().get(pk=rounds[months].pk)
        if round.opens_on != day:
            round.opens_on = day
            round._change_reason = REASON
            round.save(update_fields=["opens_on"])
    if (year.return_days, year.planning_verifies) != (return_days, planning_verifies):
        year.return_days = return_days
        year.planning_verifies = planning_verifies
        year._change_reason = REASON
        year.save(update_fields=["return_days", "planning_verifies"])
    return year
