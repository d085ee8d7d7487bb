"""Hostile numbers and weights on every path that takes them (issue 8, defects 4 and 5, and ?year=abc).

Each number of defect 5 would stall a worker for seconds if it reached the arithmetic; each is refused by the
engine's own bounds, with its message next to the field and nothing stored. Weights follow one rule
(0 < weight ≤ 100, at most 4 decimal places) in every form and every service.
"""

import html
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kpi_agreements.agreements.excel import export, layout
from kpi_agreements.agreements.locking import amending
from kpi_agreements.agreements.models import KPI, Agreement, ChangeItem, Dimension, MandatoryKPI, Proposal
from kpi_agreements.agreements.services import changes, excel_import, framework, kpis, negotiation
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.scoring import ScoringError
from tests.factories import COMPLETE, QUANT, add_kpi, fill, open_change

HOSTILE = ["1e999999999", "1E5", "12345678901234567", "1000000000000"]
BAD_WEIGHTS = ["-35", "0", "100.00001", "12.34567"]
IN_WINDOW = date(2027, 3, 15)  # FY 2570's first change window


def number_message(text: str) -> str:
    """The engine's message for one of HOSTILE, in the user's language."""
    if "e" in text.lower():
        error = ScoringError("exponent_not_allowed", None, value=text)
    elif len(text) > 15:
        error = ScoringError("too_many_digits", None, value=text, max=15)
    else:
        error = ScoringError("too_large", None, value=text, limit="1,000,000,000,000")
    return scoring_message(error)


def weight_message(text: str) -> str:
    code = "weight_places" if text == "12.34567" else "weight_range"
    return scoring_message(ScoringError(code, None, value=text))


def criteria_post(level3="80", **extra):
    thresholds = {f"criteria-q_t{k}": v for k, v in enumerate(["60", "70", level3, "90", "100"], 1)}
    return {"criteria-method": "quantitative", "criteria-direction": "higher", **thresholds, **extra}


def kpi_post(dimension, **extra):
    return {**COMPLETE, "name": "ตัวชี้วัดใหม่", "dimension": dimension.pk, "weight": "10", **extra}


@pytest.fixture
def kpi(agreement, dims, org):
    return add_kpi(agreement, dims[0], "10", "เดิม", supervisor=org.head_a, collector=org.head_a)


@pytest.fixture
def submitted(agreement, kpi):
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")
    return KPI.objects.get(pk=kpi.pk)


@pytest.fixture
def change(agreement, dims, org):
    """An open change request of bureau A's signed, balanced agreement."""
    return open_change(fill(agreement, dims, org.head_a), org.head_a, today=IN_WINDOW)


def mandatory_post(dimension, **extra):
    return {
        "code": "1.1",
        "dimension": dimension.pk,
        "weight": "10",
        "name": "ร้อยละการเบิกจ่าย",
        **criteria_post(),
        **extra,
    }


# --- defect 5: numbers that stall a worker ---------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_the_calculator_refuses_the_number_at_its_field(org, client_for, value):
    data = {k.removeprefix("criteria-"): v for k, v in criteria_post(level3=value).items()}
    response = client_for(org.head_a).post(reverse("calculator"), {**data, "q_actual": "85"})
    assert response.status_code == 200 and response.context["outcome"] is None
    assert response.context["form"].errors["q_t3"] == [number_message(value)]
    data = {k.removeprefix("criteria-"): v for k, v in criteria_post().items()}
    response = client_for(org.head_a).post(reverse("calculator"), {**data, "q_actual": value})
    assert response.context["form"].errors["q_actual"] == [number_message(value)]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_calculator_beside_an_editor_puts_the_message_under_the_editors_field(org, client_for, value):
    response = client_for(org.head_a).post(
        reverse("calculator") + "?prefix=criteria", criteria_post(level3=value), HTTP_HX_REQUEST="true"
    )
    assert response.context["form"].errors["q_t3"] == [number_message(value)]
    body = response.content.decode()
    error_div = body[body.index('id="err-criteria-q_t3"') :].split("</div>")[0]
    assert html.escape(number_message(value)) in error_div


@pytest.mark.parametrize("value", HOSTILE)
def test_the_kpi_form_refuses_the_threshold_and_stores_nothing(agreement, dims, org, client_for, value):
    url = reverse("kpi_create", args=[agreement.pk]) + f"?dimension={dims[0].pk}"
    response = client_for(org.head_a).post(url, kpi_post(dims[0], **criteria_post(level3=value)))
    assert response.status_code == 200
    assert response.context["criteria_form"].errors["q_t3"] == [number_message(value)]
    assert not agreement.kpis.filter(name="ตัวชี้วัดใหม่").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_the_kpi_service_refuses_the_threshold_even_without_the_form(kpi, value):
    with pytest.raises(ValidationError) as error:
        kpis.kpi_update(
            kpi=kpi, method="quantitative", criteria={"thresholds": ["60", "70", value, "90", "100"]}
        )
    assert error.value.message_dict["criteria"] == [number_message(value)]
    assert KPI.objects.get(pk=kpi.pk).criteria == QUANT


@pytest.mark.parametrize("value", HOSTILE)
def test_the_mandatory_kpi_form_refuses_the_threshold_and_stores_nothing(org, dims, client_for, value):
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]),
        mandatory_post(dims[0], **criteria_post(level3=value)),
    )
    assert response.status_code == 400
    assert response.context["criteria_form"].errors["q_t3"] == [number_message(value)]
    assert not MandatoryKPI.objects.exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_proposal_refuses_the_threshold_and_stores_nothing(submitted, org, client_for, value):
    response = client_for(org.member).post(
        reverse("proposal_add", args=[submitted.pk]), {"change_criteria": "on", **criteria_post(level3=value)}
    )
    assert response.status_code == 200
    assert response.context["criteria_form"].errors["q_t3"] == [number_message(value)]
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_change_item_refuses_the_threshold_and_stores_nothing(change, org, client_for, value):
    kpi = change.agreement.kpis.order_by("pk").first()
    response = client_for(org.head_a).post(
        reverse("change_item_add", args=[change.pk]),
        {"kind": "edit", "kpi": kpi.pk, "change_criteria": "on", **criteria_post(level3=value)},
    )
    assert response.status_code == 400
    assert response.context["criteria_form"].errors["q_t3"] == [number_message(value)]
    assert not ChangeItem.objects.exists()


def workbook_with(agreement, sheet: str, header: str, value, row=2):
    wb = export.agreement_workbook(agreement)
    ws = wb[sheet]
    column = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == header)
    ws.cell(row, column).value = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return io.BytesIO(buffer.getvalue()), openpyxl.utils.get_column_letter(column)


def stored(agreement):
    return list(KPI.objects.filter(agreement=agreement).order_by("pk").values()), KPI.history.count()


@pytest.mark.parametrize("value", HOSTILE)
def test_the_excel_import_refuses_the_threshold_cell_and_stores_nothing(kpi, agreement, org, value):
    before = stored(agreement)
    file, column = workbook_with(agreement, layout.SHEET_QUANTITATIVE, "ระดับ 3", value)
    report = excel_import.import_workbook(agreement, file, org.head_a)
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        (layout.SHEET_QUANTITATIVE, 2, column, number_message(value))
    ]
    assert stored(agreement) == before


def test_a_number_cell_beyond_the_bounds_is_refused_too(kpi, agreement, org):
    file, column = workbook_with(agreement, layout.SHEET_QUANTITATIVE, "ระดับ 3", 10**12)
    report = excel_import.import_workbook(agreement, file, org.head_a)
    assert [(e.column, e.message) for e in report.errors] == [(column, number_message("1000000000000"))]


# --- /calculator/ and its GET parameters ---------------------------------------------------------------


@pytest.mark.parametrize("year", ["abc", "-1", "1.5", "99999999999999999999999", "๑", "999999"])
def test_a_calculator_year_that_is_not_a_year_is_a_404(org, client_for, year):
    assert client_for(org.head_a).get(reverse("calculator"), {"year": year}).status_code == 404


def test_the_calculator_takes_a_real_year_and_ignores_an_unknown_method(org, client_for):
    client = client_for(org.head_a)
    response = client.get(reverse("calculator"), {"year": org.year.pk, "method": "abc", "prefix": "x"})
    assert response.status_code == 200 and response.context["year"] == org.year
    assert response.context["form"]["method"].value() == "quantitative"


# --- defect 4: weights --------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_the_kpi_form_refuses_the_weight_at_its_field(agreement, dims, org, client_for, weight):
    url = reverse("kpi_create", args=[agreement.pk]) + f"?dimension={dims[0].pk}"
    response = client_for(org.head_a).post(url, kpi_post(dims[0], weight=weight, **criteria_post()))
    assert response.status_code == 200 and response.context["form"].errors["weight"] == [
        weight_message(weight)
    ]
    assert not agreement.kpis.filter(name="ตัวชี้วัดใหม่").exists()


def test_the_kpi_form_accepts_a_weight_with_4_places(agreement, dims, org, client_for):
    url = reverse("kpi_create", args=[agreement.pk]) + f"?dimension={dims[0].pk}"
    assert (
        client_for(org.head_a).post(url, kpi_post(dims[0], weight="12.3456", **criteria_post())).status_code
        == 302
    )
    assert agreement.kpis.get(name="ตัวชี้วัดใหม่").weight == Decimal("12.3456")


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_the_weight_editor_in_place_refuses_the_weight_with_its_message(kpi, org, client_for, weight):
    response = client_for(org.head_a).post(
        reverse("kpi_weight", args=[kpi.pk]), {"weight": weight}, HTTP_HX_REQUEST="true"
    )
    assert html.escape(weight_message(weight)) in response.content.decode()
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("10.0000")


def test_the_weight_editor_in_place_accepts_a_weight_with_4_places(kpi, org, client_for):
    client_for(org.head_a).post(
        reverse("kpi_weight", args=[kpi.pk]), {"weight": "12.3456"}, HTTP_HX_REQUEST="true"
    )
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("12.3456")


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_the_kpi_services_refuse_the_weight_without_a_form(agreement, dims, kpi, weight):
    with pytest.raises(ValidationError) as error:
        kpis.kpi_update(kpi=kpi, weight=Decimal(weight))
    assert error.value.message_dict == {"weight": [weight_message(weight)]}
    with pytest.raises(ValidationError):
        add_kpi(agreement, dims[1], weight, "ใหม่")
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("10.0000") and agreement.kpis.count() == 1


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_a_proposal_refuses_the_weight_at_its_field_and_in_the_service(submitted, org, client_for, weight):
    response = client_for(org.member).post(
        reverse("proposal_add", args=[submitted.pk]), {"weight": weight, "criteria-method": "quantitative"}
    )
    assert response.context["form"].errors["weight"] == [weight_message(weight)]
    with pytest.raises(ValidationError) as error:
        negotiation.proposal_add(kpi=submitted, user=org.member, weight=Decimal(weight))
    assert error.value.message_dict == {"weight": [weight_message(weight)]}
    assert not Proposal.objects.exists()


def test_a_proposal_accepts_a_weight_with_4_places(submitted, org, client_for):
    response = client_for(org.member).post(
        reverse("proposal_add", args=[submitted.pk]), {"weight": "12.3456", "criteria-method": "quantitative"}
    )
    assert response.status_code == 302 and Proposal.objects.get().weight == Decimal("12.3456")


@pytest.mark.parametrize("kind", ["edit", "add"])
@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_a_change_item_refuses_the_weight_at_its_field_and_in_the_service(
    change, org, client_for, kind, weight
):
    kpi = change.agreement.kpis.order_by("pk").first()
    fields = {"kpi": kpi} if kind == "edit" else {"name": "ใหม่", "dimension": kpi.dimension}
    post = {k: getattr(v, "pk", v) for k, v in fields.items()}
    response = client_for(org.head_a).post(
        reverse("change_item_add", args=[change.pk]),
        {"kind": kind, "weight": weight, "criteria-method": "quantitative", **post},
    )
    assert response.status_code == 400 and response.context["item_form"].errors["weight"] == [
        weight_message(weight)
    ]
    with pytest.raises(ValidationError) as error:
        changes.change_item_add(change=change, kind=kind, weight=Decimal(weight), **fields)
    assert error.value.message_dict == {"weight": [weight_message(weight)]}
    assert not ChangeItem.objects.exists()


def test_a_change_item_accepts_a_weight_with_4_places_and_a_new_kpi_needs_one(change, org):
    kpi = change.agreement.kpis.order_by("pk").first()
    item = changes.change_item_add(change=change, kind="edit", kpi=kpi, weight="12.3456")
    assert ChangeItem.objects.get(pk=item.pk).weight == Decimal("12.3456")
    with pytest.raises(ValidationError) as error:
        changes.change_item_add(change=change, kind="add", name="ใหม่", dimension=kpi.dimension)
    assert "weight" in error.value.message_dict


def no_kpi_weighs_nothing(agreement):
    return not KPI.objects.filter(
        agreement=agreement, cancelled_from_round__isnull=True, weight__lte=0
    ).exists()


def test_a_signed_agreement_never_gets_a_kpi_of_weight_35_below_zero_from_a_stored_item(change, org):
    kpi = change.agreement.kpis.order_by("pk").first()  # weighs 45
    ChangeItem.objects.create(change_request=change, kind="edit", kpi=kpi, weight=Decimal("-35"))
    other = change.agreement.kpis.order_by("pk")[1]
    ChangeItem.objects.create(
        change_request=change, kind="edit", kpi=other, weight=Decimal("95")
    )  # total 100
    with pytest.raises(ValidationError) as error:
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    assert error.value.message_dict == {"weight": [weight_message("-35.0000")]}
    type(change).objects.filter(pk=change.pk).update(status="submitted")  # as if submitted before the fix
    with pytest.raises(ValidationError):
        changes.change_decide(
            change=change, user=org.member, approve=True, number="9/2570", date=IN_WINDOW, text="เห็นชอบ"
        )
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("45.0000") and no_kpi_weighs_nothing(change.agreement)
    assert Agreement.objects.get(pk=change.agreement_id).version == 1


def test_cancelling_every_sub_kpi_of_a_kpi_that_stays_is_refused(change, org):
    agreement = change.agreement
    parent = agreement.kpis.order_by("pk").first()
    with amending(agreement):  # the signed KPI 1 (45) as two sub-KPIs of 22.5
        kids = [
            KPI.objects.create(
                agreement=agreement,
                dimension=parent.dimension,
                parent=parent,
                order=n,
                name=f"ย่อย {n}",
                weight=22.5,
            )
            for n in (1, 2)
        ]
    for kid in kids:
        changes.change_item_add(change=change, kind="cancel", kpi=kid)
    with pytest.raises(ValidationError) as error:
        changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    assert parent.name in error.value.messages[0]
    assert no_kpi_weighs_nothing(agreement)


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_a_dimension_weight_is_refused_at_its_field_and_in_the_service(org, dims, client_for, weight):
    rows = [{"id": d.pk, "order": d.order, "name_th": d.name_th, "weight": str(d.weight)} for d in dims]
    rows[0]["weight"] = weight
    data = {"dimensions-TOTAL_FORMS": "4", "dimensions-INITIAL_FORMS": "4"}
    data.update({f"dimensions-{i}-{k}": v for i, row in enumerate(rows) for k, v in row.items()})
    response = client_for(org.admin).post(reverse("framework_dimensions", args=[org.year.pk]), data)
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["weight"] == [weight_message(weight)]
    with pytest.raises(ValidationError) as error:
        framework.dimensions_save(
            fiscal_year=org.year, dimensions=[Dimension(order=5, name_th="ใหม่", weight=Decimal(weight))]
        )
    assert error.value.message_dict == {"weight": [weight_message(weight)]}
    assert (
        Dimension.objects.get(pk=dims[0].pk).weight == Decimal("45.0000") and Dimension.objects.count() == 4
    )


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
def test_a_mandatory_kpi_weight_is_refused_at_its_field_and_in_the_service(org, dims, client_for, weight):
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]), mandatory_post(dims[0], weight=weight)
    )
    assert response.status_code == 400 and response.context["form"].errors["weight"] == [
        weight_message(weight)
    ]
    with pytest.raises(ValidationError) as error:
        framework.mandatory_kpi_save(
            fiscal_year=org.year,
            code="1.1",
            dimension=dims[0],
            weight=Decimal(weight),
            name="x",
            criteria=QUANT,
        )
    assert error.value.message_dict == {"weight": [weight_message(weight)]}
    assert not MandatoryKPI.objects.exists()


def test_a_mandatory_kpi_accepts_a_weight_with_4_places(org, dims, client_for):
    client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]), mandatory_post(dims[0], weight="12.3456")
    )
    assert MandatoryKPI.objects.get().weight == Decimal("12.3456")


@pytest.mark.parametrize("weight", [*BAD_WEIGHTS, -35, 12.34567, "1e1", None])
def test_the_excel_weight_cell_is_refused_and_nothing_is_stored(kpi, agreement, org, weight):
    before = stored(agreement)
    file, column = workbook_with(agreement, layout.SHEET_KPIS, layout.H_WEIGHT, weight)
    report = excel_import.import_workbook(agreement, file, org.head_a)
    assert [(e.sheet, e.row, e.column) for e in report.errors] == [(layout.SHEET_KPIS, 2, column)]
    if isinstance(weight, str) and "e" not in weight:
        assert report.errors[0].message == weight_message(weight)
    assert stored(agreement) == before


@pytest.mark.parametrize("weight", ["12.3456", 12.3456])
def test_the_excel_weight_cell_accepts_4_places(kpi, agreement, org, weight):
    file, _column = workbook_with(agreement, layout.SHEET_KPIS, layout.H_WEIGHT, weight)
    assert excel_import.import_workbook(agreement, file, org.head_a).ok
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("12.3456")
