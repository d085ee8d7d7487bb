"""Who may see which scorecard: access by capability (ADR 0004), one helper per object kind, 404 otherwise.

A scorecard lists the units of the user's own subtrees (every role covers its subtree: an executive sees
the whole of theirs) and the units whose reports the user may read (reporting.access.reports_visible_to:
a committee seat, a KPI one supervises or collects). Capabilities:

- a round (``get_round_in_scope``): the user has a role, or may read a report of that year; anyone else
  (an outsider, a committee member of another year) gets 404 for the round and every page under it;
- a unit (``get_unit_in_scope``): in one of the user's subtrees, or a unit whose report the user may read
  (that year);
- a KPI's report (``get_item_for``, reporting.access): whoever reads its report;
- the year's incentive tiers (``get_tiers_year_for``): read by everyone signed in, as the year's scoring
  policy is; changed by the administrators and planning staff of a whole organisation (fiscal.access).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import Unit
from kpi_agreements.reporting.access import get_item_for, get_round_for, reports_visible_to
from kpi_agreements.reporting.models import Round

__all__ = [
    "get_item_for",
    "get_round_in_scope",
    "get_tiers_year_for",
    "get_unit_in_scope",
    "has_scope",
    "unit_in_scope",
]


def has_scope(user, fiscal_year: FiscalYear) -> bool:
    scope = scope_of(user)
    if scope.is_superuser or scope.paths:
        return True
    return reports_visible_to(user).filter(round__fiscal_year=fiscal_year).exists()


def unit_in_scope(user, unit: Unit, fiscal_year: FiscalYear | None = None) -> bool:
    """A unit of the user's own subtrees, or one whose report the user may read (that year, if given)."""
    if scope_of(user).covers(unit):
        return True
    reports = reports_visible_to(user).filter(agreement__unit=unit)
    if fiscal_year is not None:
        reports = reports.filter(round__fiscal_year=fiscal_year)
    return reports.exists()


def get_round_in_scope(user, pk) -> Round:
    round = get_round_for(user, pk)
    if not has_scope(user, round.fiscal_year):
        raise Http404
    return round


def get_unit_in_scope(user, pk, fiscal_year: FiscalYear | None = None) -> Unit:
    unit = get_object_or_404(Unit.objects.select_related("unit_type"), pk=pk)
    if not unit_in_scope(user, unit, fiscal_year):
        raise Http404
    return unit


def get_tiers_year_for(user, pk, *, need: str = "read") -> FiscalYear:
    return get_fiscal_year_for(user, pk, need=need)
