"""Shared set-up for agreement tests: the FY2552 framework shape (DOMAIN §4) on the persona tree."""

from datetime import date
from decimal import Decimal

from kpi_agreements.agreements.services import kpis

QUANT = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}

COMPLETE = {
    "unit_of_measure": "ร้อยละ",
    "description": "คำอธิบาย",
    "formula": "ก / ข × 100",
    "data_source": "รายงาน",
    "collection_method": "รายไตรมาส",
}


def add_kpi(agreement, dimension, weight, name="KPI", parent=None, **extra):
    fields = dict(COMPLETE, name=name, weight=Decimal(weight), method="quantitative", criteria=QUANT)
    fields.update(extra)
    return kpis.kpi_create(agreement=agreement, dimension=dimension, parent=parent, **fields)


def fill(agreement, dims, person):
    """One complete KPI per dimension at the dimension's weight: a balanced agreement ready to submit."""
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=person, collector=person)
    return agreement


def open_change(agreement, user, today=date(2027, 3, 15), **extra):
    """Sign the agreement and open a change request on it inside FY 2570's first window."""
    from kpi_agreements.agreements.models import Agreement
    from kpi_agreements.agreements.services import changes

    Agreement.objects.filter(pk=agreement.pk).update(status="signed")
    fields = dict(
        grounds="external", grounds_other="", justification="น้ำท่วม", effective_round=12, today=today
    )
    fields.update(extra)
    return changes.change_open(agreement=Agreement.objects.get(pk=agreement.pk), user=user, **fields)


def sign(agreement):
    """Mark the agreement signed (the signing journey is tested elsewhere) and return it fresh."""
    from kpi_agreements.agreements.models import Agreement

    Agreement.objects.filter(pk=agreement.pk).update(status="signed")
    return Agreement.objects.get(pk=agreement.pk)


def open_report(agreement, months=6, user=None):
    """Open the year's round of ``months`` and return the agreement's report in it."""
    from kpi_agreements.reporting.models import Round, RoundReport
    from kpi_agreements.reporting.services.rounds import round_open

    round = Round.objects.get(fiscal_year=agreement.fiscal_year_id, months=months)
    round_open(round=round, user=user)
    return RoundReport.objects.select_related("round__fiscal_year", "agreement__unit").get(
        round=round, agreement=agreement
    )
