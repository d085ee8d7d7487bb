"""Shared set-up for agreement tests: the FY2552 framework shape (DOMAIN §4) on the persona tree."""

from decimal import Decimal

from kpi_agreements.agreements import services

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
    return services.kpi_create(agreement=agreement, dimension=dimension, parent=parent, **fields)
