"""The application side of the scoring engine: the per-year policy and the calculator."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.scoring import ScoringPolicy

POLICY_FORM = {
    "floor": "1",
    "interpolation": "linear",
    "places": "4",
    "pass_score": "5",
    "fail_score": "1",
    "penalty_6": "0",
    "penalty_9": "0",
    "penalty_12": "0.05",
    "incentive_threshold": "3",
    "far_below": "2",
    "far_above": "5",
}


def test_a_new_year_scores_with_the_default_policy(org):
    assert org.year.policy == ScoringPolicy()


def test_administrators_change_the_policy_and_it_is_stored_without_floats(org, client_for):
    client = client_for(org.admin)
    data = dict(POLICY_FORM, floor="0", interpolation="step", penalty_12="0.1", milestone_partial="on")
    response = client.post(reverse("scoring_policy_edit", args=[org.year.pk]), data)
    assert response.status_code == 302
    year = FiscalYear.objects.get(pk=org.year.pk)
    assert year.scoring_policy["late_penalty_per_day"] == {"6": "0", "9": "0", "12": "0.1"}
    policy = year.policy
    assert (policy.floor, policy.interpolation, policy.milestone_partial) == (Decimal(0), "step", True)
    assert policy.late_penalty_per_day[12] == Decimal("0.1")


def test_an_invalid_policy_changes_nothing(org, client_for):
    client = client_for(org.admin)
    response = client.post(reverse("scoring_policy_edit", args=[org.year.pk]), dict(POLICY_FORM, places="11"))
    assert response.status_code == 200 and "places" in response.context["form"].errors
    assert FiscalYear.objects.get(pk=org.year.pk).scoring_policy == {}


@pytest.mark.parametrize("persona", ["planner", "head_a", "executive", "outsider"])
def test_only_administrators_of_a_whole_organisation_change_the_policy(org, client_for, persona):
    client = client_for(getattr(org, persona))
    assert client.post(reverse("scoring_policy_edit", args=[org.year.pk]), POLICY_FORM).status_code == 404
    assert FiscalYear.objects.get(pk=org.year.pk).scoring_policy == {}


def calc(client, **fields):
    return client.post(reverse("calculator"), fields)


def test_calculator_scores_a_quantitative_result_and_says_what_levels_3_and_5_need(org, client_for):
    response = calc(
        client_for(org.head_a),
        method="quantitative",
        q_t1="60",
        q_t2="70",
        q_t3="80",
        q_t4="90",
        q_t5="100",
        q_actual="84.5",
    )
    outcome = response.context["outcome"]
    assert outcome["score"] == Decimal("3.4500")
    assert (outcome["needed_3"], outcome["needed_5"]) == ("80", "100")


def test_calculator_uses_the_years_policy(org, client_for):
    FiscalYear.objects.filter(pk=org.year.pk).update(scoring_policy={"interpolation": "step"})
    response = calc(
        client_for(org.head_a),
        method="quantitative",
        q_t1="60",
        q_t2="70",
        q_t3="80",
        q_t4="90",
        q_t5="100",
        q_actual="84.5",
    )
    assert response.context["outcome"]["score"] == Decimal("3.0000")


def test_calculator_lower_is_better(org, client_for):
    client = client_for(org.head_a)
    thresholds = dict(q_t1="10", q_t2="8", q_t3="6", q_t4="4", q_t5="2", q_actual="5")
    response = calc(client, method="quantitative", direction="lower", **thresholds)
    assert response.context["outcome"]["score"] == Decimal("3.5000")
    # Decreasing thresholds on a KPI that says higher is better are a typing mistake, not a choice.
    response = calc(client, method="quantitative", direction="higher", **thresholds)
    assert response.context["outcome"] is None and response.context["form"].errors["q_t1"]


def test_calculator_several_measures(org, client_for):
    response = calc(
        client_for(org.head_a),
        method="multi_quantitative",
        m0_name="ก",
        m0_weight="60",
        m0_t1="60",
        m0_t2="70",
        m0_t3="80",
        m0_t4="90",
        m0_t5="100",
        m0_actual="85",
        m1_name="ข",
        m1_weight="40",
        m1_t1="1",
        m1_t2="2",
        m1_t3="3",
        m1_t4="4",
        m1_t5="5",
        m1_actual="5",
    )
    # (60 × 3.5 + 40 × 5) / 100
    assert response.context["outcome"]["score"] == Decimal("4.1000")


def test_calculator_milestones_count_only_complete_levels(org, client_for):
    fields = {f"ms_level{k}": f"ขั้น {k}ก\nขั้น {k}ข" for k in range(1, 6)}
    response = calc(
        client_for(org.head_a), method="milestone", ms_done1="2", ms_done2="2", ms_done3="1", **fields
    )
    assert response.context["outcome"]["score"] == Decimal("2.0000")


def test_calculator_pass_fail_and_qualitative(org, client_for):
    client = client_for(org.head_a)
    assert calc(client, method="pass_fail", pf_condition="เปิดระบบได้", pf_passed="on").context["outcome"][
        "score"
    ] == Decimal("5.0000")
    levels = {f"ql_level{k}": f"ระดับ {k}" for k in range(1, 6)}
    assert calc(client, method="qualitative", ql_result="4", **levels).context["outcome"]["score"] == Decimal(
        "4.0000"
    )


def test_invalid_criteria_show_the_engines_thai_message_at_the_field(org, client_for):
    response = calc(
        client_for(org.head_a),
        method="quantitative",
        q_t1="60",
        q_t2="70",
        q_t3="70",
        q_t4="90",
        q_t5="100",
        q_actual="84",
    )
    assert response.context["outcome"] is None
    errors = response.context["form"].errors["q_t1"]
    assert len(errors) == 1 and "เกณฑ์" in errors[0]


def test_a_text_result_is_refused_at_the_result_field(org, client_for):
    response = calc(
        client_for(org.head_a),
        method="quantitative",
        q_t1="60",
        q_t2="70",
        q_t3="80",
        q_t4="90",
        q_t5="100",
        q_actual="abc",
    )
    assert response.context["outcome"]["score"] is None
    assert "abc" in response.context["form"].errors["q_actual"][0]


def test_htmx_requests_get_only_the_result_panel(org, client_for):
    response = client_for(org.head_a).post(
        reverse("calculator"), {"method": "pass_fail", "pf_condition": "x"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="score"' in body
    assert 'id="err-pf_passed"' in body and 'hx-swap-oob="true"' in body


def test_the_calculator_needs_a_login(db, client):
    assert client.get(reverse("calculator")).status_code == 302


def test_the_calculator_scores_an_editors_prefixed_criteria(org, client_for):
    """Beside each criteria editor the calculator receives that editor's fields, named criteria-…."""
    fields = {f"criteria-q_t{k}": str(50 + 10 * k) for k in range(1, 6)}
    response = client_for(org.head_a).post(
        reverse("calculator") + "?prefix=criteria",
        dict(fields, **{"criteria-method": "quantitative", "criteria-q_actual": "75", "name": "x"}),
        HTTP_HX_REQUEST="true",
    )
    assert response.context["outcome"]["score"] == Decimal("2.5000")


@pytest.mark.parametrize("url_name", ["mandatory_kpi_create"])
def test_criteria_pages_carry_the_calculator(org, dims, client_for, url_name):
    page = client_for(org.admin).get(reverse(url_name, args=[org.year.pk]))
    assert page.status_code == 200 and 'id="calc-result"' in page.content.decode()
