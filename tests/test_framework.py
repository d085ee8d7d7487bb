"""The framework of a fiscal year (DOMAIN §4), signing rules (§5) and creating the year's agreements."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements.models import (
    KPI,
    Agreement,
    Dimension,
    MandatoryKPI,
    Party,
    RedistributionRule,
    SigningRule,
)
from kpi_agreements.agreements.services import drafting, framework
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation import services as org_services
from kpi_agreements.organisation.models import Role, RoleAssignment, Unit, UnitType
from tests.conftest import make_person

CRITERIA = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}


def _types():
    return {t.code: t for t in UnitType.objects.all()}


def _dimension(year, order=1, name="ประสิทธิผล", weight="45"):
    return Dimension.objects.create(fiscal_year=year, order=order, name_th=name, weight=Decimal(weight))


def _mandatory(year, dimension, code, weight, types=(), **extra):
    fields = {"name": f"ตัวชี้วัด {code}", "method": "quantitative", "direction": "higher", "criteria": CRITERIA}
    fields.update(extra)
    return framework.mandatory_kpi_save(
        fiscal_year=year, unit_types=types, code=code, dimension=dimension, weight=Decimal(weight), **fields
    )


def _example_framework(year):
    """1.1 (10, every type) and 1.2 (5, departments only); a unit without 1.2 gives its weight to 1.1."""
    dimension = _dimension(year)
    m11 = _mandatory(year, dimension, "1.1", "10")
    m12 = _mandatory(year, dimension, "1.2", "5", types=[_types()["department"]])
    framework.redistribution_rule_add(fiscal_year=year, source=m12, target=m11)
    return dimension, m11, m12


def _with_heads(org):
    """Heads for the ministry and the bureaus (the director heads the department); returns the ministry's
    head, a permanent secretary: the executive reads the ministry but heads nothing."""
    permsec = make_person("permsec")
    RoleAssignment.objects.create(person=permsec, unit=org.ministry, role=Role.UNIT_HEAD)
    for unit, person in [(org.ministry, permsec), (org.bureau_a, org.head_a), (org.bureau_b, org.head_b)]:
        Unit.objects.filter(pk=unit.pk).update(head=person)
    return permsec


def _dimensions_data(rows, initial=0):
    data = {
        "dimensions-TOTAL_FORMS": str(len(rows)),
        "dimensions-INITIAL_FORMS": str(initial),
        "dimensions-MIN_NUM_FORMS": "0",
        "dimensions-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"dimensions-{i}-{key}"] = value
    return data


def _mandatory_data(dimension, **overrides):
    data = {
        "code": "1.1",
        "dimension": dimension.pk,
        "weight": "10",
        "name": "ร้อยละความสำเร็จของการเบิกจ่ายงบประมาณ",
        "unit_of_measure": "ร้อยละ",
        "description": "คำอธิบาย",
        "formula": "(เบิกจ่าย / งบประมาณ) × 100",
        "conditions": "",
        "data_source": "ระบบ GFMIS",
        "collection_method": "รายไตรมาส",
        "baseline_year_0": "2567",
        "baseline_value_0": "91.5",
        "baseline_year_1": "2568",
        "baseline_value_1": "93",
        "baseline_year_2": "2569",
        "baseline_value_2": "",
        "criteria-method": "quantitative",
        "criteria-direction": "higher",
        **{f"criteria-q_t{k}": v for k, v in enumerate(["88", "90", "92", "94", "96"], 1)},
    }
    data.update(overrides)
    return data


# --- dimensions --------------------------------------------------------------------------------------


def test_an_administrator_adds_dimensions_and_an_unbalanced_total_is_saved_with_a_warning(org, client_for):
    client = client_for(org.admin)
    response = client.post(
        reverse("framework_dimensions", args=[org.year.pk]),
        _dimensions_data(
            [
                {"order": "1", "name_th": "ประสิทธิผล", "name_en": "Effectiveness", "weight": "45"},
                {"order": "2", "name_th": "คุณภาพการให้บริการ", "name_en": "Quality", "weight": "15"},
                {"order": "1", "name_th": "", "name_en": "", "weight": ""},
            ]
        ),
        follow=True,
    )
    assert response.status_code == 200
    names = list(org.year.dimensions.values_list("name_th", "weight"))
    assert names == [("ประสิทธิผล", Decimal("45.0000")), ("คุณภาพการให้บริการ", Decimal("15.0000"))]
    page = response.content.decode()
    assert "มิติมีน้ำหนักรวม 60 ไม่ครบ 100" in page
    assert response.context["total"] == Decimal("60.0000") and not response.context["balanced"]


def test_dimensions_are_edited_and_deleted_in_one_save_and_100_is_balanced(org, client_for):
    d1, d2 = _dimension(org.year, 1, "ก", "45"), _dimension(org.year, 2, "ข", "15")
    response = client_for(org.admin).post(
        reverse("framework_dimensions", args=[org.year.pk]),
        _dimensions_data(
            [
                {"id": d1.pk, "order": "1", "name_th": "ก", "weight": "80"},
                {"id": d2.pk, "order": "2", "name_th": "ข", "weight": "15", "DELETE": "on"},
                {"order": "2", "name_th": "ค", "weight": "20"},
            ],
            initial=2,
        ),
        follow=True,
    )
    assert list(org.year.dimensions.values_list("name_th", "weight")) == [
        ("ก", Decimal("80.0000")),
        ("ค", Decimal("20.0000")),
    ]
    assert response.context["balanced"] and "มิติมีน้ำหนักรวม" not in response.content.decode()


def test_the_empty_rows_offered_for_new_dimensions_are_ignored_when_left_alone(org, client_for):
    dimension = _dimension(org.year)
    client = client_for(org.admin)
    formset = client.get(reverse("framework_detail", args=[org.year.pk])).context["formset"]
    # Issue 13.12: one empty row once the year has dimensions (more on request), not two per save.
    assert [f["order"].value() for f in formset.forms] == [1, 2]
    response = client.post(
        reverse("framework_dimensions", args=[org.year.pk]),
        _dimensions_data(
            [
                {"id": dimension.pk, "order": "1", "name_th": dimension.name_th, "weight": "100"},
                {"order": "2", "name_th": "", "name_en": "", "weight": ""},
                {"order": "3", "name_th": "", "name_en": "", "weight": ""},
            ],
            initial=1,
        ),
    )
    assert response.status_code == 302
    assert list(org.year.dimensions.values_list("weight", flat=True)) == [Decimal("100.0000")]


def test_a_dimension_holding_mandatory_kpis_is_not_deleted(org, client_for):
    dimension = _dimension(org.year)
    _mandatory(org.year, dimension, "1.1", "10")
    response = client_for(org.admin).post(
        reverse("framework_dimensions", args=[org.year.pk]),
        _dimensions_data(
            [{"id": dimension.pk, "order": "1", "name_th": "แก้ชื่อ", "weight": "45", "DELETE": "on"}], initial=1
        ),
    )
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["DELETE"]
    dimension.refresh_from_db()
    assert dimension.name_th == "ประสิทธิผล"


def test_a_negative_weight_is_refused_at_the_field(org, client_for):
    response = client_for(org.admin).post(
        reverse("framework_dimensions", args=[org.year.pk]),
        _dimensions_data([{"order": "1", "name_th": "ก", "weight": "-5"}]),
    )
    assert response.status_code == 400 and "weight" in response.context["formset"].forms[0].errors
    assert not org.year.dimensions.exists()


# --- mandatory KPIs ----------------------------------------------------------------------------------


def test_a_new_mandatory_kpi_form_offers_the_three_past_years(org, client_for):
    _dimension(org.year)
    response = client_for(org.admin).get(reverse("mandatory_kpi_create", args=[org.year.pk]))
    form = response.context["form"]
    assert [form[f"baseline_year_{i}"].value() for i in range(3)] == [2567, 2568, 2569]
    assert 'class="criteria-form"' in response.content.decode()


def test_a_mandatory_kpi_is_created_with_its_template_criteria_and_unit_types(org, client_for):
    dimension = _dimension(org.year)
    department = _types()["department"]
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]),
        _mandatory_data(dimension, unit_types=[department.pk], **{"criteria-direction": "higher"}),
    )
    assert response.status_code == 302
    m = MandatoryKPI.objects.get(fiscal_year=org.year, code="1.1")
    assert m.weight == Decimal("10.0000") and m.dimension == dimension
    assert list(m.unit_types.all()) == [department]
    assert m.unit_of_measure == "ร้อยละ" and m.data_source == "ระบบ GFMIS"
    assert m.method == "quantitative" and m.direction == "higher"
    assert m.criteria == {"thresholds": ["88", "90", "92", "94", "96"], "direction": "higher"}
    assert m.baseline == [
        {"year": 2567, "value": "91.5"},
        {"year": 2568, "value": "93"},
        {"year": 2569, "value": ""},
    ]
    page = client_for(org.admin).get(reverse("framework_detail", args=[org.year.pk])).content.decode()
    assert "ร้อยละความสำเร็จของการเบิกจ่ายงบประมาณ" in page and department.name_th in page


def test_a_mandatory_kpi_is_edited_and_no_unit_types_means_every_type(org, client_for):
    dimension = _dimension(org.year)
    m = _mandatory(org.year, dimension, "1.1", "10", types=[_types()["bureau"]])
    client = client_for(org.admin)
    page = client.get(reverse("mandatory_kpi_edit", args=[org.year.pk, m.pk]))
    assert page.context["criteria_form"]["q_t5"].value() == "100"
    response = client.post(
        reverse("mandatory_kpi_edit", args=[org.year.pk, m.pk]), _mandatory_data(dimension, weight="12.5")
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.weight == Decimal("12.5000") and not m.unit_types.exists()


def test_criteria_the_engine_refuses_are_shown_at_the_field_and_nothing_is_saved(org, client_for):
    dimension = _dimension(org.year)
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]),
        _mandatory_data(dimension, **{"criteria-q_t3": "80"}),
    )
    assert response.status_code == 400
    assert response.context["criteria_form"].errors["q_t1"]
    assert not MandatoryKPI.objects.exists()


def test_a_code_is_used_once_a_year(org, client_for):
    dimension = _dimension(org.year)
    _mandatory(org.year, dimension, "1.1", "10")
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]), _mandatory_data(dimension, name="ซ้ำ")
    )
    assert response.status_code == 400 and "code" in response.context["form"].errors
    assert MandatoryKPI.objects.count() == 1


def test_a_dimension_of_another_year_is_refused(org, client_for):
    _dimension(org.year)
    other = _dimension(fiscal_year_create(be_year=2569))
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_create", args=[org.year.pk]), _mandatory_data(other)
    )
    assert response.status_code == 400 and "dimension" in response.context["form"].errors
    assert not MandatoryKPI.objects.exists()


def test_a_weight_below_what_the_rules_move_is_refused(org, client_for):
    dimension = _dimension(org.year)
    m11 = _mandatory(org.year, dimension, "1.1", "10")
    m12 = _mandatory(org.year, dimension, "1.2", "5")
    framework.redistribution_rule_add(fiscal_year=org.year, source=m12, target=m11, amount=Decimal("4"))
    response = client_for(org.admin).post(
        reverse("mandatory_kpi_edit", args=[org.year.pk, m12.pk]),
        _mandatory_data(dimension, code="1.2", weight="3"),
    )
    assert response.status_code == 400 and "weight" in response.context["form"].errors
    m12.refresh_from_db()
    assert m12.weight == Decimal("5.0000")


def test_a_mandatory_kpi_carried_by_agreements_is_not_deleted(org, client_for):
    dimension, m11, m12 = _example_framework(org.year)
    drafting.agreements_create(fiscal_year=org.year, units=[org.dept])
    client = client_for(org.admin)
    response = client.post(reverse("mandatory_kpi_delete", args=[org.year.pk, m12.pk]), follow=True)
    assert MandatoryKPI.objects.filter(pk=m12.pk).exists()
    assert "คำรับรอง 1 ฉบับมีตัวชี้วัด 1.2" in response.content.decode()
    KPI.objects.filter(mandatory=m12).delete()
    client.post(reverse("mandatory_kpi_delete", args=[org.year.pk, m12.pk]))
    assert not MandatoryKPI.objects.filter(pk=m12.pk).exists()
    assert not RedistributionRule.objects.exists()  # its rule went with it


def test_everyone_logged_in_reads_a_mandatory_kpi(org, client_for):
    dimension = _dimension(org.year)
    m = _mandatory(org.year, dimension, "1.1", "10", unit_of_measure="ร้อยละ")
    response = client_for(org.head_a).get(reverse("mandatory_kpi_edit", args=[org.year.pk, m.pk]))
    assert response.status_code == 200 and "form" not in response.context
    assert "ร้อยละ" in response.content.decode()


# --- redistribution rules ----------------------------------------------------------------------------


def test_a_redistribution_rule_is_added_and_removed(org, client_for):
    dimension = _dimension(org.year)
    m11, m12 = _mandatory(org.year, dimension, "1.1", "10"), _mandatory(org.year, dimension, "1.2", "5")
    client = client_for(org.admin)
    response = client.post(
        reverse("redistribution_rule_add", args=[org.year.pk]),
        {"source": m12.pk, "target": m11.pk, "amount": "2.5"},
    )
    assert response.status_code == 302
    rule = RedistributionRule.objects.get()
    assert (rule.source, rule.target, rule.amount) == (m12, m11, Decimal("2.5000"))
    assert rule.fiscal_year == org.year
    client.post(reverse("redistribution_rule_remove", args=[org.year.pk, rule.pk]))
    assert not RedistributionRule.objects.exists()


@pytest.mark.parametrize(
    ("source", "target", "amount", "field"),
    [
        ("1.2", "1.2", "", "target"),
        ("1.2", "1.1", "5.0001", "amount"),
        ("1.2", "1.1", "0", "amount"),
    ],
)
def test_a_rule_to_itself_or_moving_more_than_the_weight_is_refused(
    org, client_for, source, target, amount, field
):
    dimension = _dimension(org.year)
    codes = {
        "1.1": _mandatory(org.year, dimension, "1.1", "10"),
        "1.2": _mandatory(org.year, dimension, "1.2", "5"),
    }
    response = client_for(org.admin).post(
        reverse("redistribution_rule_add", args=[org.year.pk]),
        {"source": codes[source].pk, "target": codes[target].pk, "amount": amount},
    )
    assert response.status_code == 400 and field in response.context["rule_form"].errors
    assert not RedistributionRule.objects.exists()


def test_the_rules_of_one_source_together_move_at_most_its_weight(org):
    dimension = _dimension(org.year)
    m11, m12, m3 = (
        _mandatory(org.year, dimension, c, w) for c, w in [("1.1", "10"), ("1.2", "5"), ("3", "20")]
    )
    framework.redistribution_rule_add(fiscal_year=org.year, source=m12, target=m11, amount=Decimal("3"))
    with pytest.raises(framework.ValidationError) as exc:
        framework.redistribution_rule_add(fiscal_year=org.year, source=m12, target=m3, amount=Decimal("2.5"))
    assert "amount" in exc.value.error_dict
    with pytest.raises(framework.ValidationError) as exc:
        framework.redistribution_rule_add(fiscal_year=org.year, source=m12, target=m3)
    assert "amount" in exc.value.error_dict
    framework.redistribution_rule_add(fiscal_year=org.year, source=m12, target=m3, amount=Decimal("2"))
    assert RedistributionRule.objects.count() == 2


# --- copying the framework ---------------------------------------------------------------------------


def test_the_framework_is_copied_from_the_previous_year(org, client_for):
    previous = fiscal_year_create(be_year=2569)
    _, m11, m12 = _example_framework(previous)
    m11.baseline = [{"year": 2566, "value": "1"}, {"year": 2567, "value": "2"}, {"year": 2568, "value": "3"}]
    m11.save()
    _dimension(previous, 2, "คุณภาพ", "15")
    response = client_for(org.admin).post(reverse("framework_copy", args=[org.year.pk]), follow=True)
    assert response.status_code == 200
    assert list(org.year.dimensions.values_list("order", "name_th", "weight")) == [
        (1, "ประสิทธิผล", Decimal("45.0000")),
        (2, "คุณภาพ", Decimal("15.0000")),
    ]
    copies = {m.code: m for m in org.year.mandatory_kpis.all()}
    assert set(copies) == {"1.1", "1.2"}
    assert copies["1.1"].dimension.fiscal_year == org.year and copies["1.1"].criteria == CRITERIA
    assert copies["1.1"].baseline[-1] == {"year": 2569, "value": ""}
    assert [t.code for t in copies["1.2"].unit_types.all()] == ["department"]
    assert not copies["1.1"].unit_types.exists()
    rule = RedistributionRule.objects.get(fiscal_year=org.year)
    assert (rule.source, rule.target, rule.amount) == (copies["1.2"], copies["1.1"], None)
    assert MandatoryKPI.objects.filter(fiscal_year=previous).count() == 2  # the old year is untouched


def test_the_framework_is_not_copied_into_a_year_that_has_dimensions(org, client_for):
    previous = fiscal_year_create(be_year=2569)
    _example_framework(previous)
    _dimension(org.year, name="มีแล้ว")
    response = client_for(org.admin).post(reverse("framework_copy", args=[org.year.pk]), follow=True)
    assert "มีมิติอยู่แล้ว" in response.content.decode()
    assert list(org.year.dimensions.values_list("name_th", flat=True)) == ["มีแล้ว"]
    assert not org.year.mandatory_kpis.exists()


def test_the_framework_is_not_copied_from_a_year_without_one(org, client_for):
    fiscal_year_create(be_year=2569)
    response = client_for(org.admin).post(reverse("framework_copy", args=[org.year.pk]), follow=True)
    assert "ปีงบประมาณ พ.ศ. 2569 ไม่มีกรอบการประเมินผลให้คัดลอก" in response.content.decode()
    assert not org.year.dimensions.exists()


# --- signing rules -----------------------------------------------------------------------------------


def _signing_data(rows):
    data = {
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": str(len(rows)),
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for i, (unit_type, recipient, co_signer) in enumerate(rows):
        data[f"rules-{i}-unit_type"] = unit_type.pk
        data[f"rules-{i}-recipient_type"] = recipient.pk if recipient else ""
        data[f"rules-{i}-co_signer_type"] = co_signer.pk if co_signer else ""
    return data


def test_an_administrator_sets_the_signing_rules_per_unit_type(org, client_for):
    t = _types()
    client = client_for(org.admin)
    page = client.get(reverse("signing_rules"))
    assert len(page.context["formset"].forms) == 3
    response = client.post(
        reverse("signing_rules"),
        _signing_data(
            [
                (t["bureau"], t["ministry"], t["department"]),
                (t["department"], None, None),
                (t["ministry"], None, None),
            ]
        ),
    )
    assert response.status_code == 302
    rule = SigningRule.objects.get()
    assert (rule.unit_type, rule.recipient_type, rule.co_signer_type) == (
        t["bureau"],
        t["ministry"],
        t["department"],
    )
    client.post(reverse("signing_rules"), _signing_data([(t["bureau"], None, None)]))
    assert not SigningRule.objects.exists()


def test_a_co_signer_of_the_recipients_type_is_refused_at_the_field(org, client_for):
    t = _types()
    response = client_for(org.admin).post(
        reverse("signing_rules"),
        _signing_data([(t["department"], None, None), (t["bureau"], t["ministry"], t["ministry"])]),
    )
    assert response.status_code == 400
    assert "co_signer_type" in response.context["formset"].forms[1].errors
    assert not SigningRule.objects.exists()


@pytest.mark.parametrize("persona", ["planner", "head_a", "executive", "outsider"])
def test_only_managers_of_a_root_unit_change_the_signing_rules(org, client_for, persona):
    t = _types()
    client = client_for(getattr(org, persona))
    assert client.get(reverse("signing_rules")).status_code == 200  # read-only
    response = client.post(reverse("signing_rules"), _signing_data([(t["bureau"], t["ministry"], None)]))
    assert response.status_code == 404
    assert not SigningRule.objects.exists()


# --- creating the year's agreements -------------------------------------------------------------------


def create_drafts(client, capture, year, units):
    """Ask for the drafts of ``units`` (a background job, run at once here); the job's page once done."""
    with capture(execute=True):
        response = client.post(reverse("year_agreements_create", args=[year.pk]), {"units": units})
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"])


def test_each_unit_gets_a_draft_with_the_mandatory_kpis_of_its_type_and_redistributed_weights(
    org, client_for, django_capture_on_commit_callbacks
):
    _with_heads(org)
    _, m11, m12 = _example_framework(org.year)
    response = create_drafts(
        client_for(org.admin), django_capture_on_commit_callbacks, org.year, [org.bureau_a.pk, org.dept.pk]
    )
    assert "สร้างร่างคำรับรอง 2 ฉบับเรียบร้อยแล้ว" in response.content.decode()
    bureau = Agreement.objects.get(unit=org.bureau_a, fiscal_year=org.year)
    assert bureau.status == Agreement.Status.DRAFT
    assert [(k.mandatory, k.weight) for k in bureau.kpis.all()] == [(m11, Decimal("15.0000"))]
    kpi = bureau.kpis.get()
    assert kpi.name == "ตัวชี้วัด 1.1" and kpi.criteria == CRITERIA
    dept = Agreement.objects.get(unit=org.dept, fiscal_year=org.year)
    assert sorted((k.mandatory.code, k.weight) for k in dept.kpis.all()) == [
        ("1.1", Decimal("10.0000")),
        ("1.2", Decimal("5.0000")),
    ]
    # §5 default: the bureau head pledges to the head of the parent unit, the department.
    parties = [(p.role, p.person) for p in bureau.parties.all()]
    assert parties == [(Party.Role.PLEDGOR, org.head_a), (Party.Role.RECIPIENT, org.director)]


def test_a_signing_rule_decides_the_parties_of_new_agreements(
    org, client_for, django_capture_on_commit_callbacks
):
    permsec = _with_heads(org)
    t = _types()
    client = client_for(org.admin)
    client.post(reverse("signing_rules"), _signing_data([(t["bureau"], t["ministry"], t["department"])]))
    create_drafts(client, django_capture_on_commit_callbacks, org.year, [org.bureau_b.pk])
    agreement = Agreement.objects.get(unit=org.bureau_b, fiscal_year=org.year)
    assert [(p.role, p.person) for p in agreement.parties.all()] == [
        (Party.Role.PLEDGOR, org.head_b),
        (Party.Role.RECIPIENT, permsec),
        (Party.Role.CO_SIGNER, org.director),
    ]


def test_a_unit_gets_no_second_agreement_for_the_same_year(
    org, client_for, django_capture_on_commit_callbacks
):
    _example_framework(org.year)
    client = client_for(org.planner)
    create_drafts(client, django_capture_on_commit_callbacks, org.year, [org.bureau_a.pk])
    response = create_drafts(client, django_capture_on_commit_callbacks, org.year, [org.bureau_a.pk])
    page = response.content.decode()
    assert "สร้างร่างคำรับรอง 0 ฉบับเรียบร้อยแล้ว" in page and "มีคำรับรองของปีนี้อยู่แล้ว" in page
    assert Agreement.objects.filter(unit=org.bureau_a, fiscal_year=org.year).count() == 1
    listing = client.get(reverse("year_agreements", args=[org.year.pk]))
    assert org.bureau_a not in listing.context["candidates"]


def test_a_unit_outside_the_planners_scope_is_refused_at_the_field(org, client_for):
    _example_framework(org.year)
    response = client_for(org.planner).post(
        reverse("year_agreements_create", args=[org.year.pk]), {"units": [org.bureau_a.pk, org.other_dept.pk]}
    )
    assert response.status_code == 400
    errors = response.context["create_form"].errors["units"]
    assert "กรมสอง (ก2.)" in errors[0]
    assert not Agreement.objects.exists()


def test_the_planner_is_offered_the_units_of_their_scope_without_an_agreement(org, client_for):
    drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_a])
    response = client_for(org.planner).get(reverse("year_agreements", args=[org.year.pk]))
    assert response.context["candidates"] == [org.dept, org.bureau_b]


def test_an_agreement_is_copied_from_last_year_with_its_baseline_shifted(org, client_for):
    previous = fiscal_year_create(be_year=2569)
    old_dimension = _dimension(previous)
    old = Agreement.objects.create(unit=org.bureau_a, fiscal_year=previous, vision="วิสัยทัศน์")
    KPI.objects.create(
        agreement=old,
        dimension=old_dimension,
        weight=Decimal("20"),
        name="ความพึงพอใจ",
        unit_of_measure="ร้อยละ",
        criteria=CRITERIA,
        baseline=[
            {"year": 2566, "value": "80"},
            {"year": 2567, "value": "82"},
            {"year": 2568, "value": "85"},
        ],
    )
    _dimension(org.year)
    client = client_for(org.planner)
    page = client.get(reverse("year_agreements", args=[org.year.pk]))
    assert page.context["copyable"] == [org.bureau_a]
    response = client.post(reverse("year_agreement_copy", args=[org.year.pk]), {"unit": org.bureau_a.pk})
    assert response.status_code == 302
    agreement = Agreement.objects.get(unit=org.bureau_a, fiscal_year=org.year)
    assert agreement.copied_from == old and agreement.vision == "วิสัยทัศน์"
    kpi = agreement.kpis.get()
    assert (kpi.name, kpi.unit_of_measure, kpi.weight, kpi.criteria) == (
        "ความพึงพอใจ",
        "ร้อยละ",
        Decimal("20.0000"),
        CRITERIA,
    )
    assert kpi.baseline == [
        {"year": 2567, "value": "82"},
        {"year": 2568, "value": "85"},
        {"year": 2569, "value": ""},
    ]
    assert kpi.dimension.fiscal_year == org.year


def test_copying_a_unit_outside_the_scope_is_refused(org, client_for):
    previous = fiscal_year_create(be_year=2569)
    Agreement.objects.create(unit=org.other_dept, fiscal_year=previous)
    _dimension(org.year)
    response = client_for(org.planner).post(
        reverse("year_agreement_copy", args=[org.year.pk]), {"unit": org.other_dept.pk}
    )
    assert response.status_code == 400 and "unit" in response.context["copy_form"].errors
    assert not Agreement.objects.filter(fiscal_year=org.year).exists()


# --- who may do what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["planner", "head_a", "executive", "outsider", "member"])
def test_only_managers_of_a_root_unit_edit_the_framework(org, client_for, persona):
    previous = fiscal_year_create(be_year=2569)
    _example_framework(previous)
    dimension, m11, m12 = _example_framework(org.year)
    client = client_for(getattr(org, persona))
    page = client.get(reverse("framework_detail", args=[org.year.pk]))
    assert page.status_code == 200 and page.context["formset"] is None and page.context["rule_form"] is None
    year = org.year.pk
    refused = [
        (
            reverse("framework_dimensions", args=[year]),
            _dimensions_data([{"order": "2", "name_th": "ใหม่", "weight": "1"}]),
        ),
        (reverse("mandatory_kpi_create", args=[year]), _mandatory_data(dimension, code="9")),
        (reverse("mandatory_kpi_edit", args=[year, m11.pk]), _mandatory_data(dimension, weight="99")),
        (reverse("mandatory_kpi_delete", args=[year, m11.pk]), {}),
        (reverse("redistribution_rule_add", args=[year]), {"source": m11.pk, "target": m12.pk}),
        (
            reverse(
                "redistribution_rule_remove", args=[year, RedistributionRule.objects.get(fiscal_year=year).pk]
            ),
            {},
        ),
        (reverse("framework_copy", args=[year]), {}),
    ]
    for url, data in refused:
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("mandatory_kpi_create", args=[year])).status_code == 404
    assert org.year.dimensions.count() == 1 and org.year.mandatory_kpis.count() == 2
    m11.refresh_from_db()
    assert m11.weight == Decimal("10.0000")
    assert RedistributionRule.objects.filter(fiscal_year=org.year).count() == 1


@pytest.mark.parametrize("persona", ["head_a", "executive", "outsider", "member"])
def test_only_planning_staff_and_administrators_create_agreements(org, client_for, persona):
    previous = fiscal_year_create(be_year=2569)
    Agreement.objects.create(unit=org.bureau_a, fiscal_year=previous)
    _example_framework(org.year)
    client = client_for(getattr(org, persona))
    assert client.get(reverse("year_agreements", args=[org.year.pk])).context["can_create"] is False
    create = client.post(reverse("year_agreements_create", args=[org.year.pk]), {"units": [org.bureau_a.pk]})
    copy = client.post(reverse("year_agreement_copy", args=[org.year.pk]), {"unit": org.bureau_a.pk})
    assert create.status_code == copy.status_code == 404
    assert not Agreement.objects.filter(fiscal_year=org.year).exists()


def test_the_year_list_shows_each_persona_only_the_agreements_they_may_read(org, client_for):
    _example_framework(org.year)
    drafting.agreements_create(
        fiscal_year=org.year, units=[org.dept, org.other_dept, org.bureau_a, org.bureau_b]
    )
    url = reverse("year_agreements", args=[org.year.pk])
    seen = lambda person: [a.unit for a in client_for(person).get(url).context["agreements"]]  # noqa: E731
    assert seen(org.head_a) == [org.bureau_a]
    assert seen(org.outsider) == []
    assert seen(org.member) == [org.bureau_a, org.bureau_b]  # the committee covers both bureaus
    assert seen(org.planner) == [org.dept, org.bureau_a, org.bureau_b]
    page = client_for(org.head_a).get(url)
    row = page.context["agreements"][0]
    assert row.kpi_count == 1 and row.total_weight == Decimal("15.0000")
    assert reverse("agreement_detail", args=[row.pk]) in page.content.decode()


def test_the_year_list_does_not_query_more_for_more_agreements(org, client_for):
    _example_framework(org.year)
    client = client_for(org.admin)
    url = reverse("year_agreements", args=[org.year.pk])

    def count():
        client.get(url)  # warm the session and the user's scope
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(response.context["agreements"])

    drafting.agreements_create(fiscal_year=org.year, units=[org.dept, org.bureau_a])
    small, n_small = count()
    extra = [
        org_services.unit_create(
            parent=org.dept, name_th=f"กอง {i}", abbreviation=f"ก{i}.", unit_type=_types()["bureau"]
        )
        for i in range(5)
    ]
    drafting.agreements_create(fiscal_year=org.year, units=[org.other_dept, org.bureau_b, *extra])
    large, n_large = count()
    assert (n_small, n_large) == (2, 9)
    assert small == large
