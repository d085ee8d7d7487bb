"""Everything the public may read (DOMAIN §12), for the public pages and the public API alike: one rule,
written once.

An agreement is public when it is signed, its year is published and its unit is published for that year.
A unit is public when one of its agreements is. A year's verified totals and dimension scores are public when
the year's policy says so, for the public agreements whose 12-month report is verified. Nothing here reads a
person's contact details, a draft, a round report's items or an evidence file.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.shortcuts import get_object_or_404

from kpi_agreements.agreements.models import KPI, Agreement, Dimension, MandatoryKPI
from kpi_agreements.agreements.selectors import mandatory_outline, outline
from kpi_agreements.documents.models import AgreementDocument
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.models import Unit
from kpi_agreements.reporting.models import RoundReport

from .models import PublicationEvent, UnitPublication, YearPublication

FOUR = Decimal("0.0001")
TOTALS_ROUND = 12  # §12: totals go public once the 12-month round is verified


def four(value) -> str | None:
    """A stored figure as a string with 4 places; None where there is none."""
    if value is None or value == "":
        return None
    return str(Decimal(str(value)).quantize(FOUR, rounding=ROUND_HALF_UP))


def public_state() -> int:
    """The newest publication event: the key every cached public page is filed under."""
    return PublicationEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- years -----------------------------------------------------------------------------------------------


def published_years() -> QuerySet[FiscalYear]:
    return FiscalYear.objects.filter(publication__is_published=True).order_by("-be_year")


def get_public_year(be_year) -> FiscalYear:
    return get_object_or_404(published_years().select_related("publication"), be_year=be_year)


def shows_totals(fiscal_year: FiscalYear) -> bool:
    publication = YearPublication.objects.filter(fiscal_year=fiscal_year).first()
    return bool(publication and publication.is_published and publication.verified_totals)


def framework(fiscal_year: FiscalYear) -> dict:
    """The year's framework as the public reads it: dimensions with weights, mandatory KPIs in outline."""
    dimensions = list(Dimension.objects.filter(fiscal_year=fiscal_year).order_by("order", "id"))
    mandatory = mandatory_outline(
        MandatoryKPI.objects.filter(fiscal_year=fiscal_year)
        .select_related("dimension", "parent")
        .prefetch_related("unit_types")
    )
    return {"dimensions": dimensions, "mandatory": mandatory}


# --- agreements ------------------------------------------------------------------------------------------


def public_agreements(fiscal_year: FiscalYear | None = None) -> QuerySet[Agreement]:
    published_unit = UnitPublication.objects.filter(
        fiscal_year=OuterRef("fiscal_year_id"), unit=OuterRef("unit_id")
    )
    agreements = Agreement.objects.filter(
        Exists(published_unit),
        status=Agreement.Status.SIGNED,
        fiscal_year__publication__is_published=True,
    )
    if fiscal_year is not None:
        agreements = agreements.filter(fiscal_year=fiscal_year)
    return agreements.select_related("unit__unit_type", "fiscal_year").order_by(
        "-fiscal_year__be_year", "unit__path"
    )


def get_public_agreement(be_year, unit_pk) -> Agreement:
    return get_object_or_404(public_agreements(), fiscal_year__be_year=be_year, unit_id=unit_pk)


def get_public_agreement_by_pk(pk) -> Agreement:
    return get_object_or_404(public_agreements(), pk=pk)


def agreement_kpis(agreement: Agreement) -> list[KPI]:
    """The KPIs of the version in force, in outline order (``number``, ``depth``), as the signed PDF prints
    them: those cancelled by an approved change request are not part of it. No person is loaded."""
    return outline(
        agreement.kpis.filter(cancelled_from_round__isnull=True).select_related(
            "dimension", "mandatory", "agreement__fiscal_year"
        )
    )


def kpi_groups(agreement: Agreement, kpis: list[KPI]) -> list[dict]:
    """The KPIs by dimension, each dimension with its weight in this agreement (its top-level KPIs')."""
    groups = []
    for dimension in Dimension.objects.filter(fiscal_year=agreement.fiscal_year_id).order_by("order", "id"):
        rows = [k for k in kpis if k.dimension_id == dimension.pk]
        if rows:
            weight = sum((k.weight for k in rows if k.depth == 0), Decimal(0))
            groups.append({"dimension": dimension, "rows": rows, "weight": four(weight)})
    return groups


@dataclass
class Signature:
    role: str
    role_label: str
    name: str
    position: str
    signed_at: object


def signatures(agreement: Agreement) -> list[Signature]:
    """The parties as they signed: the name and position written at signing, and when."""
    return [
        Signature(p.role, p.get_role_display(), p.signed_name, p.signed_position, p.signed_at)
        for p in agreement.parties.filter(signed_at__isnull=False).order_by("order", "id")
    ]


def signed_document(agreement: Agreement) -> AgreementDocument | None:
    """The ready signed PDF of the version in force (a newer version's may still be rendering: then none)."""
    return (
        AgreementDocument.objects.filter(
            agreement=agreement,
            kind=AgreementDocument.Kind.SIGNED,
            status=AgreementDocument.Status.READY,
            version=agreement.version,
        )
        .exclude(file="")
        .order_by("-created_at", "-id")
        .first()
    )


# --- verified totals ---------------------------------------------------------------------------------------


@dataclass
class Result:
    unit: Unit
    agreement_id: int
    total: str | None
    dimensions: list[tuple[Dimension, str | None]]


def verified_results(fiscal_year: FiscalYear, *, unit: Unit | None = None) -> list[Result]:
    """Each public agreement's verified 12-month total and dimension scores, read from the stored verified
    card (§11: nothing recomputes a score), in tree order; [] unless the year's policy publishes them."""
    if not shows_totals(fiscal_year):
        return []
    reports = RoundReport.objects.filter(
        round__fiscal_year=fiscal_year,
        round__months=TOTALS_ROUND,
        status=RoundReport.Status.VERIFIED,
        agreement__in=public_agreements(fiscal_year).values("pk"),
    )
    if unit is not None:
        reports = reports.filter(agreement__unit=unit)
    rows = reports.order_by("agreement__unit__path").values(
        "verified_total",
        "agreement_id",
        unit_id=F("agreement__unit_id"),
        dims=KeyTransform("dimensions", "verified_card"),
    )
    rows = list(rows)
    units = Unit.objects.in_bulk([r["unit_id"] for r in rows])
    dimensions = list(Dimension.objects.filter(fiscal_year=fiscal_year).order_by("order", "id"))
    results = []
    for r in rows:
        stored = r["dims"] if isinstance(r["dims"], dict) else {}
        results.append(
            Result(
                unit=units[r["unit_id"]],
                agreement_id=r["agreement_id"],
                total=four(r["verified_total"]),
                dimensions=[(d, four((stored.get(str(d.pk)) or {}).get("score"))) for d in dimensions],
            )
        )
    return results


# --- units -----------------------------------------------------------------------------------------------


def public_units() -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=public_agreements().values("unit_id")).select_related("unit_type")


def get_public_unit(pk) -> Unit:
    return get_object_or_404(public_units(), pk=pk)


def search_units(units: QuerySet[Unit], q: str) -> QuerySet[Unit]:
    return units.filter(Q(name_th__icontains=q) | Q(name_en__icontains=q) | Q(abbreviation__icontains=q))


def tree_rows(page_units: list[Unit]) -> tuple[list[dict], range]:
    """The page's public units in tree order under the units above them (shown as structure, unlinked):
    rows that say how many nested lists to close before each. One query for the units above."""
    public = {u.path for u in page_units}
    above = {u.path[:n] for u in page_units for n in range(Unit.steplen, len(u.path), Unit.steplen)} - public
    units = list(page_units) + (list(Unit.objects.filter(path__in=above)) if above else [])
    rows, stack = [], []
    for unit in sorted(units, key=lambda u: u.path):
        closes = 0
        while stack and not unit.path.startswith(stack[-1]):
            stack.pop()
            closes += 1
        rows.append({"unit": unit, "public": unit.path in public, "closes": range(closes)})
        stack.append(unit.path)
    return rows, range(len(stack))


def unit_agreements(unit: Unit) -> list[Agreement]:
    return list(public_agreements().filter(unit=unit))
