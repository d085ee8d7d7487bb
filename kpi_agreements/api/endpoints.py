"""The endpoints for a person (a personal token, or the signed-in session): each reads through the same
access helper as the page that shows the same thing, so the API answers exactly what that person could read
in the browser; another unit's object is 404 as there."""

from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import AfterValidator, Field

from kpi_agreements import scoring
from kpi_agreements.agreements.access import agreements_visible_to, get_agreement_for
from kpi_agreements.agreements.models import Dimension, MandatoryKPI, RedistributionRule
from kpi_agreements.agreements.selectors import mandatory_outline, outline
from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear, Milestone
from kpi_agreements.organisation.access import get_unit_for, scope_of
from kpi_agreements.organisation.models import Unit
from kpi_agreements.public.selectors import four, search_units
from kpi_agreements.reporting.access import get_report_for, reports_visible_to
from kpi_agreements.reporting.models import Round
from kpi_agreements.scorecards import selectors as scorecards
from kpi_agreements.scorecards.access import get_round_in_scope, get_unit_in_scope

from . import output, schemas
from .paging import Mapped, Paged

router = Router(tags=["signed in"])


def _round_months(value: int) -> int:
    if value not in (6, 9, 12):
        raise ValueError("a round is 6, 9 or 12 (months)")
    return value


# Literal[6, 9, 12] would refuse the query string's "12": an int, then checked.
RoundMonths = Annotated[int, AfterValidator(_round_months)]


def _fiscal_year(user, be_year: int) -> FiscalYear:
    year = get_object_or_404(FiscalYear, be_year=be_year)
    return get_fiscal_year_for(user, year.pk)


# --- units -----------------------------------------------------------------------------------------------


class UnitFilters(Schema):
    q: str | None = Field(
        None, max_length=100, description="Part of the Thai or English name or abbreviation."
    )
    level: int | None = Field(None, ge=1)


@router.get("/units", response=list[schemas.UnitOut], url_name="api_units")
@paginate(Paged)
def units(request, filters: Query[UnitFilters]):
    """The units of the person's role subtrees, in tree order (the unit tree's units)."""
    found = scope_of(request.user).units().select_related("unit_type").order_by("path")
    if filters.q:
        found = search_units(found, filters.q)
    if filters.level is not None:
        found = found.filter(depth=filters.level)
    return Mapped(found, output.unit)


@router.get("/units/{int:unit_id}", response=schemas.UnitOut, url_name="api_unit")
def unit(request, unit_id: int):
    return output.unit(get_unit_for(request.user, unit_id))


# --- fiscal years and the framework ------------------------------------------------------------------------


@router.get("/years", response=list[schemas.YearOut], url_name="api_years")
@paginate(Paged)
def years(request):
    if not request.user.is_authenticated:  # pragma: no cover - the router's auth refuses first
        return []
    return Mapped(FiscalYear.objects.order_by("-be_year"), output.year)


@router.get("/years/{int:be_year}", response=schemas.YearDetail, url_name="api_year")
def year(request, be_year: int):
    """The year with its calendar: milestones (with the due date moved to a working day) and holidays."""
    fiscal_year = _fiscal_year(request.user, be_year)
    holidays = fiscal_year.holiday_dates
    milestones = []
    for m in fiscal_year.milestones.all():
        th, en = output.in_both(Milestone.Kind(m.kind).label)
        milestones.append(
            {
                "kind": m.kind,
                "name_th": th,
                "name_en": en,
                "start_date": m.start_date,
                "due_date": m.due_date,
                "effective_due_date": scoring.effective_deadline(m.due_date, holidays),
            }
        )
    return {
        **output.year(fiscal_year),
        "milestones": milestones,
        "holidays": [{"date": d, "name": name} for d, name in sorted(holidays.items())],
        "scoring_policy": output.policy(fiscal_year.policy),
    }


@router.get("/years/{int:be_year}/framework", response=schemas.FrameworkOut, url_name="api_framework")
def framework(request, be_year: int):
    fiscal_year = _fiscal_year(request.user, be_year)
    mandatory = mandatory_outline(
        MandatoryKPI.objects.filter(fiscal_year=fiscal_year)
        .select_related("dimension", "parent")
        .prefetch_related("unit_types")
    )
    rules = RedistributionRule.objects.filter(fiscal_year=fiscal_year).select_related("source", "target")
    return {
        "be_year": fiscal_year.be_year,
        "dimensions": [
            output.dimension(d) for d in Dimension.objects.filter(fiscal_year=fiscal_year).order_by("order")
        ],
        "mandatory_kpis": [output.mandatory(m) for m in mandatory],
        "redistribution_rules": [
            {"source_code": r.source.code, "target_code": r.target.code, "amount": four(r.amount)}
            for r in rules
        ],
    }


# --- agreements ----------------------------------------------------------------------------------------


class AgreementFilters(Schema):
    year: int | None = Field(None, description="Fiscal year (B.E.).")
    unit: int | None = Field(None, description="Unit id.")
    status: Literal["draft", "submitted", "revision", "approved", "signed"] | None = None


@router.get("/agreements", response=list[schemas.AgreementOut], url_name="api_agreements")
@paginate(Paged)
def agreements(request, filters: Query[AgreementFilters]):
    found = agreements_visible_to(request.user).select_related("unit", "fiscal_year")
    if filters.year is not None:
        found = found.filter(fiscal_year__be_year=filters.year)
    if filters.unit is not None:
        found = found.filter(unit=filters.unit)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    return Mapped(found.order_by("-fiscal_year__be_year", "unit__path", "pk"), output.agreement)


@router.get("/agreements/{int:agreement_id}", response=schemas.AgreementDetail, url_name="api_agreement")
def agreement(request, agreement_id: int):
    """The agreement with its parties and every KPI (the template's fields and criteria)."""
    a = get_agreement_for(request.user, agreement_id)
    kpis = outline(a.kpis.select_related("dimension", "mandatory", "supervisor", "collector"))
    return {
        **output.agreement(a),
        "vision": a.vision,
        "mission": a.mission,
        "strategic_issues": a.strategic_issues,
        "goals": a.goals,
        "strategies": a.strategies,
        "parties": [
            {
                "role": p.role,
                "name": p.signed_name or (p.person.display_name if p.person else ""),
                "position": p.signed_position or p.position or (p.person.position if p.person else ""),
                "signed_at": p.signed_at,
            }
            for p in a.parties.select_related("person")
        ],
        "kpis": [output.kpi(k, people=True) for k in kpis],
    }


# --- round reports and their e-SAR cards ----------------------------------------------------------------


class ReportFilters(Schema):
    year: int | None = Field(None, description="Fiscal year (B.E.).")
    round: RoundMonths | None = Field(None, description="6, 9 or 12 (months).")
    unit: int | None = Field(None, description="Unit id.")
    status: Literal["draft", "submitted", "returned", "resubmitted", "verified"] | None = None


@router.get("/reports", response=list[schemas.ReportOut], url_name="api_reports")
@paginate(Paged)
def reports(request, filters: Query[ReportFilters]):
    found = reports_visible_to(request.user).select_related("round__fiscal_year", "agreement__unit")
    if filters.year is not None:
        found = found.filter(round__fiscal_year__be_year=filters.year)
    if filters.round is not None:
        found = found.filter(round__months=filters.round)
    if filters.unit is not None:
        found = found.filter(agreement__unit=filters.unit)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    order = ("-round__fiscal_year__be_year", "-round__months", "agreement__unit__path", "pk")
    return Mapped(found.order_by(*order), output.report)


@router.get("/reports/{int:report_id}", response=schemas.ReportDetail, url_name="api_report")
def report(request, report_id: int):
    """The report with every KPI's result, narrative, self-assessed and verified score (no evidence files)."""
    r = get_report_for(request.user, report_id)
    return {**output.report(r), "items": [output.item(i) for i in r.items.order_by("order", "id")]}


@router.get("/reports/{int:report_id}/cards", response=schemas.CardsOut, url_name="api_report_cards")
def report_cards(request, report_id: int):
    """The report's stored e-SAR cards, self-assessed and verified, exactly as stored (DOMAIN §8)."""
    r = get_report_for(request.user, report_id)
    dimensions = Dimension.objects.in_bulk(
        [int(k) for card in (r.self_card, r.verified_card) for k in (card or {}).get("dimensions", {})]
    )
    return {
        "report_id": r.pk,
        "status": r.status,
        "self_assessed": output.card(r.self_card, dimensions),
        "verified": output.card(r.verified_card, dimensions),
    }


# --- scorecards ----------------------------------------------------------------------------------------


class ScorecardFilters(Schema):
    year: int = Field(..., description="Fiscal year (B.E.).")
    round: RoundMonths = Field(12, description="6, 9 or 12 (months).")
    unit: int | None = Field(None, description="Only this unit and the units below it.")
    level: int | None = Field(None, ge=1, description="Only the units at this level of the tree.")
    basis: Literal["self", "verified"] = "self"


@router.get("/scorecards", response=list[schemas.ScorecardRowOut], url_name="api_scorecard")
@paginate(Paged)
def scorecard(request, filters: Query[ScorecardFilters]):
    """The scorecard of the person's scope (of a subtree with ``unit``), in tree order: each unit's stored
    total, dimension scores, penalty, status, rank and flags, or why it has none (scorecards app)."""
    fiscal_year = _fiscal_year(request.user, filters.year)
    found = get_object_or_404(Round, fiscal_year=fiscal_year, months=filters.round)
    round = get_round_in_scope(request.user, found.pk)
    root = get_unit_in_scope(request.user, filters.unit, fiscal_year) if filters.unit is not None else None
    rows = scorecards.scorecard_rows(request.user, round, basis=filters.basis, root=root)
    rows = scorecards.narrow(rows, level=filters.level)
    scorecards.rank(rows, fiscal_year.policy, scorecards.tiers_of(fiscal_year))
    dimensions = list(fiscal_year.dimensions.order_by("order", "id"))
    english = dict(Unit.objects.filter(pk__in=[r.unit_id for r in rows]).values_list("pk", "name_en"))
    for r in rows:
        r.name_en = english.get(r.unit_id, "")
    return Mapped(rows, lambda r: _scorecard_row(r, dimensions))


def _scorecard_row(r, dimensions) -> dict:
    return {
        "unit": {"id": r.unit_id, "name_th": r.name_th, "name_en": r.name_en, "abbreviation": r.abbreviation},
        "level": r.depth,
        "report_id": r.report_id,
        "status": r.status,
        "missing": r.missing,
        "basis": r.basis,
        "not_verified": r.not_verified,
        "total": four(r.total),
        "penalty": four(r.penalty),
        "days_late": r.days_late,
        "dimensions": [{"dimension_id": d.pk, "score": four(r.dims.get(d.pk))} for d in dimensions],
        "rank": r.rank,
        "eligible": r.is_eligible,
        "flags": list(r.flags),
    }
