"""The public endpoints: no token, and exactly what the public pages show (kpi_agreements.public.selectors):
published years and frameworks, published signed agreements with their KPIs, public units, and the verified
12-month results where the year's policy publishes them. Never a person's contact, a draft or an evidence
file."""

from django.http import Http404
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from kpi_agreements.public import selectors

from . import output, schemas
from .paging import Mapped, Paged

router = Router(tags=["public"])


def _public_year(fiscal_year) -> dict:
    return {**output.year(fiscal_year), "verified_totals": selectors.shows_totals(fiscal_year)}


@router.get("/years", response=list[schemas.PublicYearOut], url_name="api_public_years")
@paginate(Paged)
def years(request):
    return Mapped(selectors.published_years(), _public_year)


@router.get("/years/{int:be_year}", response=schemas.PublicYearDetail, url_name="api_public_year")
def year(request, be_year: int):
    """A published year with its evaluation framework: dimensions and mandatory KPIs."""
    fiscal_year = selectors.get_public_year(be_year)
    framework = selectors.framework(fiscal_year)
    return {
        **_public_year(fiscal_year),
        "dimensions": [output.dimension(d) for d in framework["dimensions"]],
        "mandatory_kpis": [output.mandatory(m) for m in framework["mandatory"]],
    }


def _result(result) -> dict:
    return {
        "unit": output.unit_ref(result.unit),
        "agreement_id": result.agreement_id,
        "total": result.total,
        "dimensions": [{"dimension_id": d.pk, "score": score} for d, score in result.dimensions],
    }


@router.get(
    "/years/{int:be_year}/results", response=list[schemas.PublicResultOut], url_name="api_public_results"
)
@paginate(Paged)
def results(request, be_year: int):
    """The verified 12-month totals and dimension scores of the year's published agreements; 404 unless the
    year's policy publishes them."""
    fiscal_year = selectors.get_public_year(be_year)
    if not selectors.shows_totals(fiscal_year):
        raise Http404
    return Mapped(selectors.verified_results(fiscal_year), _result)


class AgreementFilters(Schema):
    year: int | None = Field(None, description="Fiscal year (B.E.).")
    unit: int | None = Field(None, description="Unit id.")
    q: str | None = Field(None, max_length=100, description="Part of the unit's Thai or English name.")


def _agreement(a) -> dict:
    return {
        "id": a.pk,
        "be_year": a.fiscal_year.be_year,
        "unit": output.unit_ref(a.unit),
        "version": a.version,
    }


@router.get("/agreements", response=list[schemas.PublicAgreementOut], url_name="api_public_agreements")
@paginate(Paged)
def agreements(request, filters: Query[AgreementFilters]):
    found = selectors.public_agreements()
    if filters.year is not None:
        found = found.filter(fiscal_year__be_year=filters.year)
    if filters.unit is not None:
        found = found.filter(unit=filters.unit)
    if filters.q:
        found = found.filter(
            unit__in=selectors.search_units(selectors.public_units(), filters.q).values("pk")
        )
    return Mapped(found, _agreement)


@router.get(
    "/agreements/{int:agreement_id}", response=schemas.PublicAgreementDetail, url_name="api_public_agreement"
)
def agreement(request, agreement_id: int):
    """A published signed agreement: its signatures, the KPIs of the version in force with their criteria,
    and the path of its public PDF."""
    a = selectors.get_public_agreement_by_pk(agreement_id)
    has_pdf = selectors.signed_document(a) is not None
    return {
        **_agreement(a),
        "signatures": [
            {"role": s.role, "name": s.name, "position": s.position, "signed_at": s.signed_at}
            for s in selectors.signatures(a)
        ],
        "kpis": [output.kpi(k, people=False) for k in selectors.agreement_kpis(a)],
        "pdf": reverse("public_agreement_pdf", args=[a.fiscal_year.be_year, a.unit_id]) if has_pdf else None,
    }


class UnitFilters(Schema):
    q: str | None = Field(
        None, max_length=100, description="Part of the Thai or English name or abbreviation."
    )


def _unit(unit) -> dict:
    years = sorted(
        selectors.public_agreements().filter(unit=unit).values_list("fiscal_year__be_year", flat=True),
        reverse=True,
    )
    return {**output.unit_ref(unit), "unit_type": output.unit_type(unit.unit_type), "years": years}


@router.get("/units", response=list[schemas.PublicUnitOut], url_name="api_public_units")
@paginate(Paged)
def units(request, filters: Query[UnitFilters]):
    found = selectors.public_units()
    if filters.q:
        found = selectors.search_units(found, filters.q)
    return Mapped(found.order_by("path"), _unit)


@router.get("/units/{int:unit_id}", response=schemas.PublicUnitOut, url_name="api_public_unit")
def unit(request, unit_id: int):
    return _unit(selectors.get_public_unit(unit_id))
