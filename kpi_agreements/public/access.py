"""Who may publish: access by capability (ADR 0004), 404 otherwise.

- a year's switches (published, verified totals policy): the managers of a whole organisation, as the year's
  calendar and scoring policy (fiscal.access.can_manage_years);
- a unit's agreement: planning staff and administrators whose scope covers the unit
  (organisation.access.can_manage_unit);
- the publication pages: anyone who manages some unit.

The public pages themselves need no capability: what they show is decided by selectors.py alone.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.fiscal.access import can_manage_years, get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import can_manage_unit, scope_of
from kpi_agreements.organisation.models import Unit


def can_publish_years(user) -> bool:
    return can_manage_years(user)


def can_publish_unit(user, unit: Unit) -> bool:
    return can_manage_unit(user, unit)


def get_year_for_publishing(user, pk, *, need: str = "units") -> FiscalYear:
    """``units``: the year's page of agreements to publish; ``year``: its switches."""
    if not scope_of(user).manages_anything():
        raise Http404
    return get_fiscal_year_for(user, pk, need="manage" if need == "year" else "read")


def get_unit_for_publishing(user, pk) -> Unit:
    unit = get_object_or_404(Unit, pk=pk)
    if not can_publish_unit(user, unit):
        raise Http404
    return unit
