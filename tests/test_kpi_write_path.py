"""One KPI write path (issue 9.2): change requests, proposals and drafting write KPIs through the KPI
services, under one editability rule, one weight rule and one history row per change with its reason."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import changes, kpis, negotiation
from tests.factories import add_kpi, open_change


@pytest.fixture
def nested(agreement, dims, org):
    """KPI 1 (45) = 1.1 (30) + 1.2 (15) in the first dimension, one KPI in each other dimension."""
    parent = add_kpi(agreement, dims[0], 45, "ตัวชี้วัดหลัก")
    add_kpi(agreement, dims[0], 30, "ตัวชี้วัดย่อย 1", parent=parent)
    add_kpi(agreement, dims[0], 15, "ตัวชี้วัดย่อย 2", parent=parent)
    for d in dims[1:]:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}")
    return agreement


def weights(agreement) -> dict[str, Decimal]:
    return dict(agreement.kpis.filter(cancelled_from_round__isnull=True).values_list("name", "weight"))


def approve(change, org, number="9/2570"):
    changes.change_submit(change=change, user=org.head_a, today=date(2027, 3, 15))
    changes.change_decide(
        change=change, user=org.member, approve=True, number=number, date=date(2027, 3, 20), text="อนุมัติ"
    )


def test_approving_a_change_saves_the_new_weight_of_a_sub_kpi(nested, org):
    change = open_change(nested, org.head_a)
    # Issue 13.1: weight moves between the sub-KPIs of one dimension; the dimension keeps its 45.
    sub = nested.kpis.get(name="ตัวชี้วัดย่อย 1")
    changes.change_item_add(change=change, kind="edit", kpi=sub, weight=Decimal(20))
    other = nested.kpis.get(name="ตัวชี้วัดย่อย 2")
    changes.change_item_add(change=change, kind="edit", kpi=other, weight=Decimal(25))
    history = KPI.history.count()
    approve(change, org)
    assert weights(nested) == {
        "ตัวชี้วัดหลัก": Decimal(45),
        "ตัวชี้วัดย่อย 1": Decimal(20),
        "ตัวชี้วัดย่อย 2": Decimal(25),
        "ตัวชี้วัดมิติ 2": Decimal(15),
        "ตัวชี้วัดมิติ 3": Decimal(20),
        "ตัวชี้วัดมิติ 4": Decimal(20),
    }
    # One history row for each of the two KPIs that changed, saying which resolution changed it.
    rows = KPI.history.order_by("history_id")[history:]
    assert sorted(r.name for r in rows) == ["ตัวชี้วัดย่อย 1", "ตัวชี้วัดย่อย 2"]
    assert {(r.history_change_reason, r.history_user) for r in rows} == {
        ("change request, resolution 9/2570", org.member)
    }


def test_a_cancelled_kpis_weight_reaches_the_sub_kpis_of_a_parent_that_takes_a_share(agreement, dims, org):
    """Issue 13.1: a cancelled KPI's weight stays in its dimension; a parent there shares it with its subs."""
    parent = add_kpi(agreement, dims[0], 35, "ตัวชี้วัดหลัก")
    add_kpi(agreement, dims[0], 20, "ตัวชี้วัดย่อย 1", parent=parent)
    add_kpi(agreement, dims[0], 15, "ตัวชี้วัดย่อย 2", parent=parent)
    add_kpi(agreement, dims[0], 10, "ตัวชี้วัดมิติ 1 ข")
    for d in dims[1:]:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}")
    change = open_change(agreement, org.head_a)
    changes.change_item_add(change=change, kind="cancel", kpi=agreement.kpis.get(name="ตัวชี้วัดมิติ 1 ข"))
    approve(change, org)
    # 10 goes to the parent, the only other KPI of dimension 1; its sub-KPIs share it 20:15.
    assert weights(agreement) == {
        "ตัวชี้วัดหลัก": Decimal("45.0000"),
        "ตัวชี้วัดย่อย 1": Decimal("25.7143"),
        "ตัวชี้วัดย่อย 2": Decimal("19.2857"),
        "ตัวชี้วัดมิติ 2": Decimal("15.0000"),
        "ตัวชี้วัดมิติ 3": Decimal("20.0000"),
        "ตัวชี้วัดมิติ 4": Decimal("20.0000"),
    }
    assert sum(w for name, w in weights(agreement).items() if "ย่อย" not in name) == 100


def test_a_signed_agreements_kpis_change_only_through_its_own_approved_change_request(nested, org, dims):
    signed = Agreement.objects.get(pk=open_change(nested, org.head_a).agreement_id)
    kpi = signed.kpis.get(name="ตัวชี้วัดมิติ 3")
    other = add_kpi(Agreement.objects.create(unit=org.bureau_b, fiscal_year=org.year), dims[0], 10)
    foreign = open_change(other.agreement, org.head_b)
    before = list(KPI.objects.order_by("pk").values())
    for amending in (None, foreign):
        with pytest.raises(ValidationError):
            kpis.kpi_update(kpi=kpi, name="ชื่อใหม่", amending=amending)
        with pytest.raises(ValidationError):
            kpis.kpis_bulk_save(
                agreement=signed,
                new=[KPI(agreement=signed, dimension=dims[0], name="ใหม่", weight=Decimal(5))],
                amending=amending,
            )
    with pytest.raises(ValidationError):
        kpis.kpi_move(kpi=kpi, step=-1)
    assert list(KPI.objects.order_by("pk").values()) == before


def test_an_accepted_proposal_writes_one_history_row_through_the_kpi_services(nested, org):
    Agreement.objects.filter(pk=nested.pk).update(status="submitted")
    kpi = nested.kpis.get(name="ตัวชี้วัดย่อย 2")
    proposal = negotiation.proposal_add(kpi=kpi, user=org.member, weight=Decimal(10), note="ลดน้ำหนัก")
    history = {k.pk: k.history.count() for k in nested.kpis.all()}
    negotiation.proposal_decide(proposal=proposal, user=org.head_a, accept=True)
    assert weights(nested)["ตัวชี้วัดย่อย 2"] == Decimal(10)
    assert weights(nested)["ตัวชี้วัดหลัก"] == Decimal(40)  # the parent follows its sub-KPIs
    grown = {k.name: k.history.count() - history[k.pk] for k in nested.kpis.all()}
    assert {name for name, n in grown.items() if n} == {"ตัวชี้วัดย่อย 2", "ตัวชี้วัดหลัก"}
    assert set(grown.values()) == {0, 1}
    assert kpi.history.first().history_change_reason == "proposal"
    assert kpi.history.first().history_user == org.head_a


def test_a_sub_kpi_of_an_unsaved_parent_is_created_after_it_and_the_parent_weighs_their_sum(agreement, dims):
    parent = KPI(agreement=agreement, dimension=dims[0], name="หลัก", weight=None, order=1)
    children = [
        KPI(agreement=agreement, dimension=dims[0], parent=parent, name=f"ย่อย {i}", weight=w, order=i)
        for i, w in enumerate([Decimal("12.5"), Decimal("7.25")], start=1)
    ]
    kpis.kpis_bulk_save(agreement=agreement, new=[*children, parent], reason="test")
    stored = agreement.kpis.get(name="หลัก")
    assert stored.weight == Decimal("19.75")
    assert set(stored.children.values_list("name", flat=True)) == {"ย่อย 1", "ย่อย 2"}
    # The parent is stored with its sub-KPIs' sum at once: one history row each, nothing written twice.
    assert all(k.history.count() == 1 for k in agreement.kpis.all())


def test_the_bulk_write_refuses_a_bad_weight_and_writes_nothing(agreement, dims):
    before = list(KPI.objects.values())
    with pytest.raises(ValidationError) as error:
        kpis.kpis_bulk_save(
            agreement=agreement,
            new=[
                KPI(agreement=agreement, dimension=dims[0], name="ดี", weight=Decimal(10)),
                KPI(agreement=agreement, dimension=dims[0], name="ติดลบ", weight=Decimal(-35)),
            ],
        )
    assert list(error.value.message_dict) == ["weight"]
    assert list(KPI.objects.values()) == before


def test_the_years_agreements_and_a_copy_of_last_year_say_why_each_kpi_was_written(org, dims, nested):
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.fiscal.models import FiscalYear

    next_year = FiscalYear.objects.get(be_year=org.year.be_year + 1)
    for d in dims:
        d.pk, d.fiscal_year = None, next_year
        d.save()
    copy = drafting.agreement_copy_previous(unit=org.bureau_a, fiscal_year=next_year)
    assert copy.kpis.count() == nested.kpis.count()
    reasons = set(KPI.history.filter(agreement_id=copy.pk).values_list("history_change_reason", flat=True))
    assert reasons == {"copied from last year"}
    assert KPI.history.filter(agreement_id=copy.pk).count() == copy.kpis.count()
