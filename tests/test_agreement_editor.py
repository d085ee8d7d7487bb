from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import drafting, kpis
from tests.factories import COMPLETE, add_kpi

CRITERIA_POST = {
    "quantitative": {
        "criteria-method": "quantitative",
        "criteria-direction": "higher",
        **{f"criteria-q_t{k}": str(50 + 10 * k) for k in range(1, 6)},
    },
    "multi_quantitative": {
        "criteria-method": "multi_quantitative",
        "criteria-m0_name": "ก",
        "criteria-m0_weight": "60",
        **{f"criteria-m0_t{k}": str(k) for k in range(1, 6)},
        "criteria-m1_name": "ข",
        "criteria-m1_weight": "40",
        **{f"criteria-m1_t{k}": str(k * 10) for k in range(1, 6)},
    },
    "milestone": {
        "criteria-method": "milestone",
        **{f"criteria-ms_level{k}": f"ขั้น {k}ก\nขั้น {k}ข" for k in range(1, 6)},
    },
    "pass_fail": {"criteria-method": "pass_fail", "criteria-pf_condition": "เปิดระบบภายใน 30 ก.ย."},
    "qualitative": {
        "criteria-method": "qualitative",
        **{f"criteria-ql_level{k}": f"ระดับ {k}" for k in range(1, 6)},
    },
}


def kpi_post(dimension, **extra):
    data = dict(
        COMPLETE,
        name="ตัวชี้วัดใหม่",
        dimension=dimension.pk,
        weight="10",
        baseline_1="80",
        baseline_2="82.5",
        baseline_3="85",
    )
    data.update(extra)
    return data


def test_the_outline_numbers_kpis_through_the_agreement_with_nested_sub_kpis(agreement, dims):
    one = add_kpi(agreement, dims[0], "1", "หนึ่ง")  # a weight > 0 until its sub-KPIs sum
    add_kpi(agreement, dims[0], "13", "หนึ่งจุดหนึ่ง", parent=one)
    add_kpi(agreement, dims[0], "5", "หนึ่งจุดสอง", parent=one)
    add_kpi(agreement, dims[1], "15", "สอง")
    rows = selectors.outline(agreement.kpis.select_related("dimension"))
    assert [(k.number, k.name) for k in rows] == [
        ("1", "หนึ่ง"),
        ("1.1", "หนึ่งจุดหนึ่ง"),
        ("1.2", "หนึ่งจุดสอง"),
        ("2", "สอง"),
    ]


def test_a_parent_kpi_weighs_the_sum_of_its_children(agreement, dims):
    one = add_kpi(agreement, dims[0], "1", "หนึ่ง")  # a weight > 0 until its sub-KPIs sum
    a = add_kpi(agreement, dims[0], "13", parent=one)
    add_kpi(agreement, dims[0], "5", parent=one)
    add_kpi(agreement, dims[0], "2", parent=one)
    assert KPI.objects.get(pk=one.pk).weight == Decimal("20.0000")
    kpis.kpi_update(kpi=a, weight=Decimal("12.5"))
    assert KPI.objects.get(pk=one.pk).weight == Decimal("19.5000")


def test_unbalanced_weights_are_saved_with_the_exact_difference_and_block_submission(agreement, dims):
    add_kpi(agreement, dims[0], "40")
    add_kpi(agreement, dims[1], "15")
    add_kpi(agreement, dims[2], "20")
    add_kpi(agreement, dims[3], "20.5")
    problems = selectors.submission_problems(agreement)
    assert "ไม่ครบ 100" in problems[0] or "not 100" in problems[0]
    assert "-4.5" in problems[0]
    assert any("-5" in p for p in problems) and any("+0.5" in p for p in problems)


def test_a_complete_balanced_agreement_has_no_problems(agreement, dims, org):
    for d in dims:
        add_kpi(agreement, d, d.weight, supervisor=org.head_a, collector=org.head_a)
    assert selectors.submission_problems(agreement) == []


def test_incomplete_templates_and_invalid_criteria_are_listed(agreement, dims, org):
    add_kpi(agreement, dims[0], "45", formula="", supervisor=org.head_a, collector=org.head_a)
    kpi = add_kpi(agreement, dims[1], "15", supervisor=org.head_a, collector=org.head_a)
    KPI.objects.filter(pk=kpi.pk).update(criteria={"thresholds": ["1", "2"]})
    problems = selectors.submission_problems(Agreement.objects.get(pk=agreement.pk))
    assert any(p.startswith(("ตัวชี้วัด 1:", "KPI 1:")) for p in problems)  # the formula is missing
    assert any(p.startswith(("ตัวชี้วัด 2:", "KPI 2:")) and "2" in p[8:] for p in problems)  # 2 thresholds, not 5


@pytest.mark.parametrize("method", list(CRITERIA_POST))
def test_planning_staff_draft_a_kpi_of_each_method_with_its_full_template(
    agreement, dims, org, client_for, method
):
    client = client_for(org.planner)
    url = reverse("kpi_create", args=[agreement.pk]) + f"?dimension={dims[0].pk}"
    response = client.post(
        url, kpi_post(dims[0], supervisor=org.head_a.pk, collector=org.planner.pk, **CRITERIA_POST[method])
    )
    assert response.status_code == 302, response.context and (
        response.context["form"].errors,
        response.context["criteria_form"].errors,
    )
    kpi = KPI.objects.get(name="ตัวชี้วัดใหม่")
    assert kpi.method == method and kpi.weight == Decimal("10.0000")
    assert kpi.baseline == [
        {"year": 2567, "value": "80"},
        {"year": 2568, "value": "82.5"},
        {"year": 2569, "value": "85"},
    ]
    assert (kpi.supervisor, kpi.collector) == (org.head_a, org.planner)
    from kpi_agreements import scoring

    scoring.validate_criteria(kpi.method, kpi.criteria)  # stored as the engine's document, numbers as text


def test_invalid_criteria_show_the_engines_message_at_the_field_and_save_nothing(
    agreement, dims, org, client_for
):
    data = kpi_post(dims[0], **CRITERIA_POST["quantitative"])
    data["criteria-q_t3"] = "65"
    response = client_for(org.planner).post(reverse("kpi_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert "เกณฑ์" in response.context["criteria_form"].errors["q_t1"][0]
    assert not KPI.objects.filter(name="ตัวชี้วัดใหม่").exists()


def test_switching_method_keeps_what_was_typed_for_the_other_method(agreement, dims, org, client_for):
    data = kpi_post(dims[0], **CRITERIA_POST["quantitative"], **{"criteria-pf_condition": "ผ่าน"})
    data["criteria-method"] = "pass_fail"
    data["name"] = ""  # an error elsewhere re-renders the form
    response = client_for(org.planner).post(reverse("kpi_create", args=[agreement.pk]), data)
    page = response.content.decode()
    assert 'value="90"' in page and "ผ่าน" in page


def test_reordering_swaps_siblings(agreement, dims, org, client_for):
    a = add_kpi(agreement, dims[0], "10", "ก")
    b = add_kpi(agreement, dims[0], "10", "ข")
    client_for(org.head_a).post(reverse("kpi_move", args=[b.pk]), {"direction": "up"})
    rows = selectors.outline(agreement.kpis.select_related("dimension"))
    assert [(k.number, k.pk) for k in rows] == [("1", b.pk), ("2", a.pk)]


def test_weight_change_in_place_returns_the_outline_with_new_totals(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10")
    response = client_for(org.head_a).post(
        reverse("kpi_weight", args=[kpi.pk]), {"weight": "45"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and 'id="outline"' in body
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("45.0000")
    assert response.context["report"].dimensions[0][2] == Decimal(0)


def test_a_text_weight_is_refused_and_changes_nothing(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10")
    response = client_for(org.head_a).post(
        reverse("kpi_weight", args=[kpi.pk]), {"weight": "สิบ"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and KPI.objects.get(pk=kpi.pk).weight == Decimal("10.0000")
    assert "alert-danger" in response.content.decode()


def test_history_shows_who_changed_what(agreement, dims, org, client_for):
    client = client_for(org.head_a)
    kpi = add_kpi(agreement, dims[0], "10", "ชื่อเดิม")
    data = kpi_post(dims[0], name="ชื่อใหม่", **CRITERIA_POST["quantitative"])
    client.post(reverse("kpi_edit", args=[kpi.pk]), data)
    changes = client.get(reverse("kpi_detail", args=[kpi.pk])).context["changes"]
    newest = changes[0]
    assert newest["record"].history_user == org.head_a
    assert any(old == "ชื่อเดิม" and new == "ชื่อใหม่" for _, old, new in newest["changes"])


def test_cascading_links_a_kpi_to_the_parent_units_kpi(agreement, dims, org, client_for):
    parent_agreement = drafting.agreements_create(fiscal_year=org.year, units=[org.dept])[0]
    served = add_kpi(parent_agreement, dims[0], "45", "ของกรม")
    kpi = add_kpi(agreement, dims[0], "45", "ของสำนัก")
    data = kpi_post(
        dims[0], name="ของสำนัก", cascaded_from=served.pk, weight="45", **CRITERIA_POST["quantitative"]
    )
    response = client_for(org.head_a).post(reverse("kpi_edit", args=[kpi.pk]), data)
    assert response.status_code == 302
    page = client_for(org.planner).get(reverse("kpi_detail", args=[served.pk]))
    assert "ของสำนัก" in page.content.decode()
    chain = client_for(org.planner).get(reverse("cascade_map", args=[org.year.pk])).context["rows"]
    assert [(k.name, depth) for k, depth in chain] == [("ของกรม", 0), ("ของสำนัก", 1)]


def test_a_kpi_can_only_serve_a_kpi_of_the_parent_unit(agreement, dims, org, client_for):
    other = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    foreign = add_kpi(other, dims[0], "45", "ของสำนักบี")
    kpi = add_kpi(agreement, dims[0], "45")
    data = kpi_post(dims[0], cascaded_from=foreign.pk, **CRITERIA_POST["quantitative"])
    response = client_for(org.head_a).post(reverse("kpi_edit", args=[kpi.pk]), data)
    assert response.status_code == 200 and "cascaded_from" in response.context["form"].errors
    assert KPI.objects.get(pk=kpi.pk).cascaded_from is None


# --- permissions ---------------------------------------------------------------------------------


def test_the_unit_head_and_planning_staff_edit_the_draft(agreement, dims, org, client_for):
    for person in (org.head_a, org.planner):
        assert client_for(person).get(reverse("kpi_create", args=[agreement.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["head_b", "outsider"])
def test_users_outside_the_units_subtree_get_404(agreement, dims, org, client_for, persona):
    kpi = add_kpi(agreement, dims[0], "10")
    client = client_for(getattr(org, persona))
    for name, args in [
        ("agreement_detail", [agreement.pk]),
        ("kpi_detail", [kpi.pk]),
        ("kpi_edit", [kpi.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    assert client.post(reverse("kpi_weight", args=[kpi.pk]), {"weight": "1"}).status_code == 404
    assert KPI.objects.get(pk=kpi.pk).weight == Decimal("10.0000")


def test_everyone_else_in_scope_reads_but_does_not_edit(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10")
    client = client_for(org.executive)
    assert client.get(reverse("agreement_detail", args=[agreement.pk])).status_code == 200
    assert client.get(reverse("kpi_edit", args=[kpi.pk])).status_code == 404
    assert client.post(reverse("kpi_move", args=[kpi.pk]), {"direction": "up"}).status_code == 404
    assert client.post(reverse("kpi_delete", args=[kpi.pk])).status_code == 404


def test_named_supervisor_edits_the_template_but_not_the_weight(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10", supervisor=org.head_b)
    client = client_for(org.head_b)
    assert client.get(reverse("kpi_detail", args=[kpi.pk])).status_code == 200
    data = kpi_post(dims[0], name="แก้โดยผู้กำกับ", weight="99", **CRITERIA_POST["quantitative"])
    assert client.post(reverse("kpi_edit", args=[kpi.pk]), data).status_code == 302
    kpi.refresh_from_db()
    assert kpi.name == "แก้โดยผู้กำกับ" and kpi.weight == Decimal("10.0000")
    assert client.post(reverse("kpi_weight", args=[kpi.pk]), {"weight": "1"}).status_code == 404


def test_a_non_draft_agreement_cannot_be_edited(agreement, dims, org, client_for):
    kpi = add_kpi(agreement, dims[0], "10")
    Agreement.objects.filter(pk=agreement.pk).update(status="submitted")
    client = client_for(org.planner)
    assert client.get(reverse("kpi_edit", args=[kpi.pk])).status_code == 404
    assert client.get(reverse("agreement_detail", args=[agreement.pk])).status_code == 200


# --- speed ---------------------------------------------------------------------------------------


def test_editor_query_count_is_the_same_for_10_and_60_kpis(agreement, dims, org, client_for):
    client = client_for(org.planner)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("agreement_detail", args=[agreement.pk])).status_code == 200
        return len(ctx.captured_queries)

    for i in range(10):
        add_kpi(agreement, dims[i % 4], "1", f"k{i}", supervisor=org.head_a)
    ten = count()
    parents = list(agreement.kpis.all()[:5])
    for i in range(50):
        add_kpi(agreement, dims[i % 4], "1", f"s{i}", parent=parents[i % 5], collector=org.head_b)
    assert KPI.objects.filter(agreement=agreement).count() == 60
    assert count() == ten


def test_the_cascade_map_is_refused_to_anonymous_and_unknown_years(client, org, client_for):
    assert client.get(reverse("cascade_map", args=[org.year.pk])).status_code == 302
    assert client_for(org.head_a).get(reverse("cascade_map", args=[999999])).status_code == 404


def test_creating_the_years_agreements_leaves_history_for_its_parties_and_kpis(org, dims):
    from kpi_agreements.agreements.models import MandatoryKPI, Party

    MandatoryKPI.objects.create(
        fiscal_year=org.year, dimension=dims[0], code="1.1", weight=10, name="ภาคบังคับ"
    )
    created = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    assert KPI.history.filter(agreement_id=created.pk, history_type="+").count() == 1
    assert (
        Party.history.filter(agreement_id=created.pk, history_type="+").count() == created.parties.count() > 0
    )
