"""Shared set-up for agreement tests: the FY2552 framework shape (DOMAIN §4) on the persona tree."""

from decimal import Decimal

import pytest

from kpi_agreements.agreements import services
from kpi_agreements.agreements.models import Dimension

QUANT = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}

COMPLETE = {
    "unit_of_measure": "ร้อยละ",
    "description": "คำอธิบาย",
    "formula": "ก / ข × 100",
    "data_source": "รายงาน",
    "collection_method": "รายไตรมาส",
}


@pytest.fixture
def dims(org):
    spec = [(1, "ประสิทธิผล", 45), (2, "คุณภาพการให้บริการ", 15), (3, "ประสิทธิภาพ", 20), (4, "การพัฒนาองค์กร", 20)]
    return [
        Dimension.objects.create(fiscal_year=org.year, order=o, name_th=n, weight=Decimal(w))
        for o, n, w in spec
    ]


@pytest.fixture
def agreement(org, dims):
    from kpi_agreements.organisation.models import Unit

    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    Unit.objects.filter(pk=org.dept.pk).update(head=org.executive)
    org.bureau_a.refresh_from_db()
    return services.agreements_create(fiscal_year=org.year, units=[org.bureau_a])[0]


def add_kpi(agreement, dimension, weight, name="KPI", parent=None, **extra):
    fields = dict(COMPLETE, name=name, weight=Decimal(weight), method="quantitative", criteria=QUANT)
    fields.update(extra)
    return services.kpi_create(agreement=agreement, dimension=dimension, parent=parent, **fields)
