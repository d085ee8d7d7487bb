"""Change requests against the framework (issue 13.1, 13.4, 13.5, 13.8; DOMAIN §4, §9): a cancelled KPI's
weight stays in its dimension, a request that breaks the framework is not submitted, and the committee sees
the before/after with the weights per dimension before it decides, the same as after."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.models import KPI, Agreement, AgreementVersion, ChangeRequest
from kpi_agreements.agreements.services import changes, drafting
from kpi_agreements.documents.render import agreement_context
from kpi_agreements.organisation.models import Unit
from tests.factories import sign
from tests.test_framework_fy2552 import FULL, enter_fy2552, rows_of

IN_WINDOW = date(2027, 3, 15)  # FY 2570's first window
FRAMEWORK = ["45.0000", "15.0000", "20.0000", "20.0000"]


@pytest.fixture
def signed(org):
    """Bureau A's FY 2570 agreement made from the FY2552 framework (every KPI applies), signed."""
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    enter_fy2552(org.year)
    agreement = drafting.agreements_create(
        fiscal_year=org.year, units=[Unit.objects.get(pk=org.bureau_a.pk)]
    )[0]
    return sign(agreement)


def kpi(agreement, code):
    return KPI.objects.get(agreement=agreement, mandatory__code=code)


def request_with(agreement, org, *items):
    change = changes.change_open(
        agreement=agreement,
        user=org.head_a,
        grounds="external",
        grounds_other="",
        justification="อุทกภัย",
        effective_round=12,
        today=IN_WINDOW,
    )
    for kind, code, fields in items:
        changes.change_item_add(change=change, kind=kind, kpi=kpi(agreement, code), **fields)
    return change


def approve(change, org, number="7/2570"):
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=True, number=number, date=date(2027, 3, 20), text="อนุมัติ"
    )
    return Agreement.objects.get(pk=change.agreement_id)


def live_rows(agreement):
    live = agreement.kpis.filter(cancelled_from_round__isnull=True).select_related("dimension", "mandatory")
    rows = selectors.outline(live)
    numbers = {k.pk: k.number for k in rows}
    return [(k.number, f"{k.weight:.4f}", numbers.get(k.parent_id)) for k in rows]


def live_dimension_totals(agreement):
    return [
        f"{sum((k.weight for k in agreement.kpis.filter(dimension=d, parent=None, cancelled_from_round=None)), Decimal(0)):.4f}"  # noqa: E501
        for d in agreement.fiscal_year.dimensions.all()
    ]


def test_the_agreement_the_pdf_and_the_snapshot_share_the_framework_codes(signed):
    assert rows_of(signed) == FULL
    context = agreement_context(signed, draft=True, thai_digits=False)
    assert [r.kpi.number for g in context["groups"] for r in g["rows"]] == [n for n, _, _ in FULL]
    snapshot = changes.snapshot(signed)
    assert [k["number"] for k in snapshot["kpis"]] == [n for n, _, _ in FULL]
    # The reporting app reads these keys of every version.
    assert {"id", "number", "parent", "dimension_id", "order", "weight", "method", "criteria"} <= set(
        snapshot["kpis"][0]
    )


def test_a_cancelled_kpi_without_a_rule_goes_to_its_own_dimension(signed, org):
    agreement = approve(request_with(signed, org, ("cancel", "5", {})), org)
    # 4 over 5:3:3 — 1.8182 + 1.0909 + 1.0909; dimension 2 keeps its 15, no other weight moves.
    expected = [
        (n, {"4": "6.8182", "6": "4.0909", "7": "4.0909"}.get(n, w), p) for n, w, p in FULL if n != "5"
    ]
    assert live_rows(agreement) == expected
    assert live_dimension_totals(agreement) == FRAMEWORK
    version = AgreementVersion.objects.get(agreement=agreement, number=2)
    assert [k["number"] for k in version.snapshot["kpis"]] == [n for n, _, _ in expected]


def test_a_cancelled_kpi_follows_the_framework_rule_even_to_a_parent(signed, org):
    # "No mission group: 5 to 1.1 and 5 to KPI 3", which 3.1 and 3.2 share 10:5.
    agreement = approve(request_with(signed, org, ("cancel", "2", {})), org)
    changed = {"1": "25.0000", "1.1": "18.0000", "3": "20.0000", "3.1": "13.3333", "3.2": "6.6667"}
    assert live_rows(agreement) == [(n, changed.get(n, w), p) for n, w, p in FULL if n != "2"]
    assert live_dimension_totals(agreement) == FRAMEWORK


def test_a_cancelled_sub_kpi_follows_its_rule_and_the_parent_keeps_its_weight(signed, org):
    agreement = approve(request_with(signed, org, ("cancel", "3.2", {})), org)
    assert live_rows(agreement) == [(n, {"3.1": "15.0000"}.get(n, w), p) for n, w, p in FULL if n != "3.2"]
    assert live_dimension_totals(agreement) == FRAMEWORK


def test_cancelling_a_parent_cancels_its_sub_kpis_and_its_weight_stays_in_the_dimension(signed, org):
    agreement = approve(request_with(signed, org, ("cancel", "3", {})), org)
    assert set(
        agreement.kpis.exclude(cancelled_from_round=None).values_list("mandatory__code", flat=True)
    ) == {
        "3",
        "3.1",
        "3.2",
    }
    # 15 over 1 (20) and 2 (10): 10 and 5; KPI 1's 10 shared 13:5:2 by its sub-KPIs.
    changed = {"1": "30.0000", "1.1": "19.5000", "1.2": "7.5000", "1.3": "3.0000", "2": "15.0000"}
    assert live_rows(agreement) == [
        (n, changed.get(n, w), p) for n, w, p in FULL if n not in ("3", "3.1", "3.2")
    ]
    assert live_dimension_totals(agreement) == FRAMEWORK


def test_cancelling_the_only_kpi_of_a_dimension_cannot_be_submitted(signed, org):
    change = request_with(signed, org, ("cancel", "14", {}))
    with pytest.raises(ValidationError) as exc:
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    text = " ".join(exc.value.messages)
    assert "มิติด้านการพัฒนาองค์กร" in text and "20" in text
    assert ChangeRequest.objects.get(pk=change.pk).status == "draft"


def test_moving_weight_between_dimensions_cannot_be_submitted(signed, org):
    change = request_with(
        signed, org, ("edit", "4", {"weight": Decimal("10")}), ("edit", "14", {"weight": Decimal("15")})
    )
    problems = changes.change_problems(change, list(change.items.all()))
    assert len(problems) == 2  # the total is 100, but dimensions 2 and 4 moved
    assert "มิติด้านคุณภาพการให้บริการ" in problems[0] and "มิติด้านการพัฒนาองค์กร" in problems[1]
    with pytest.raises(ValidationError):
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)


def test_a_parents_weight_is_changed_through_its_sub_kpis(signed, org):
    change = request_with(signed, org)
    with pytest.raises(ValidationError) as exc:
        changes.change_item_add(change=change, kind="edit", kpi=kpi(signed, "1"), weight=Decimal("25"))
    assert "weight" in exc.value.error_dict


def test_cancelling_every_sub_kpi_of_a_parent_is_refused(signed, org):
    change = request_with(signed, org, ("cancel", "3.1", {}), ("cancel", "3.2", {}))
    problems = changes.change_problems(change, list(change.items.all()))
    assert any("3" in p and "3.1" not in p for p in problems)
    with pytest.raises(ValidationError):
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)


def test_no_covering_committee_stops_submission(signed, org):
    change = request_with(signed, org, ("cancel", "5", {}))
    org.committee.units_covered.remove(org.bureau_a)
    with pytest.raises(ValidationError) as exc:
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    assert exc.value.messages == [changes.no_committee_message(signed)]
    assert ChangeRequest.objects.get(pk=change.pk).status == "draft"
    # The agreement itself: its problems before submission say so (issue 13.5), bureau B's do not.
    Agreement.objects.filter(pk=signed.pk).update(status="draft")
    assert changes.no_committee_message(signed) in selectors.submission_problems(
        Agreement.objects.get(pk=signed.pk)
    )
    other = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    assert changes.no_committee_message(other) not in selectors.submission_problems(other)
    assert str(org.bureau_a) in changes.no_committee_message(signed)


def _compared(comparison):
    return [
        (
            (r["before"] or {}).get("number"),
            (r["before"] or {}).get("weight"),
            (r["after"] or {}).get("number"),
            (r["after"] or {}).get("weight"),
            (r["after"] or {}).get("description"),
            r["after_levels"]["cells"] if r["after_levels"] else None,
        )
        for r in comparison["rows"]
    ]


def test_the_committee_sees_the_before_and_after_before_deciding_as_after(signed, org, client_for):
    new_criteria = {"thresholds": ["70", "75", "80", "85", "90"]}
    change = request_with(
        signed,
        org,
        (
            "edit",
            "4",
            {"description": "นิยามใหม่ของผู้รับบริการ", "method": "quantitative", "criteria": new_criteria},
        ),
        ("cancel", "5", {}),
    )
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    client = client_for(org.member)
    page = client.get(reverse("change_detail", args=[change.pk]))
    assert page.status_code == 200 and page.context["deciding"]
    html = page.content.decode()
    # The comparison comes before the decision form on the page.
    assert html.index('data-testid="change-compare"') < html.index(f'action="/changes/{change.pk}/decide/"')
    comparison = page.context["comparison"]
    assert [(r["dimension"].order, f"{r['after']:.4f}", r["kept"]) for r in comparison["dimensions"]] == [
        (1, "45.0000", True),
        (2, "15.0000", True),
        (3, "20.0000", True),
        (4, "20.0000", True),
    ]
    assert comparison["problems"] == []
    row_4 = next(r for r in comparison["rows"] if r["before"]["number"] == "4")
    assert row_4["before_levels"]["cells"] == [["60"], ["70"], ["80"], ["90"], ["100"]]
    assert row_4["after_levels"]["cells"] == [["70"], ["75"], ["80"], ["85"], ["90"]]
    assert (row_4["before"]["weight"], f"{Decimal(row_4['after']['weight']):.4f}") == ("5.0000", "6.8182")
    assert row_4["after"]["description"] == "นิยามใหม่ของผู้รับบริการ"
    row_5 = next(r for r in comparison["rows"] if r["before"]["number"] == "5")
    assert row_5["after"] is None
    assert "นิยามใหม่ของผู้รับบริการ" in html and "6.8182" in html and "คำอธิบายตัวชี้วัด 4" in html
    before_decision = _compared(comparison)

    response = client.post(
        reverse("change_decide", args=[change.pk]),
        {"decision": "approve", "number": "8/2570", "date": "2027-03-20", "text": "อนุมัติ"},
    )
    assert response.status_code == 302
    after = client.get(reverse("change_detail", args=[change.pk])).context["comparison"]
    assert after["decided"] and _compared(after) == before_decision
    assert [(r["dimension"].order, r["after"]) for r in after["dimensions"]] == [
        (r["dimension"].order, r["after"]) for r in comparison["dimensions"]
    ]


def test_the_year_list_does_not_count_cancelled_kpis(signed, org, client_for):
    approve(request_with(signed, org, ("cancel", "5", {})), org)
    page = client_for(org.planner).get(reverse("year_agreements", args=[org.year.pk]))
    row = next(a for a in page.context["agreements"] if a.pk == signed.pk)
    assert (row.kpi_count, row.total_weight) == (len(FULL) - 1, Decimal("100.0000"))
