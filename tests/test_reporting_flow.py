"""The round report's state machine (DOMAIN §8, issue 10 items 3, 4, 8): every state × move × persona, the
worked late-penalty example of §8 through the application, separation of duties, notices and the pages."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kpi_agreements.agreements.services import drafting
from kpi_agreements.fiscal.calendar import effective_due_date
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation.models import Committee, CommitteeMember, Role, RoleAssignment
from kpi_agreements.reporting.access import can_verify, verifiable_by, verifiers
from kpi_agreements.reporting.models import ReportItem, RoundReport
from kpi_agreements.reporting.services import flow
from kpi_agreements.workflow.models import Notice, Transition
from kpi_agreements.workflow.notify import send_step_notices
from tests.conftest import make_person
from tests.factories import add_kpi, open_report, sign

BANGKOK = ZoneInfo("Asia/Bangkok")
REASON = "ขอหลักฐานเพิ่มเติม"


def fill(report, person, actual="85"):
    """Every KPI reported: a result and an account of performance (the collector enters them)."""
    for item in report.items.filter(is_leaf=True):
        flow.item_enter(item=item, user=person, result={"actual": actual}, narrative="ดำเนินการตามแผน")


def fresh(report) -> RoundReport:
    return RoundReport.objects.select_related("round__fiscal_year", "agreement__unit").get(pk=report.pk)


def snapshot(report) -> tuple:
    return (report.status, moves_of(report), report.submitted_at, report.days_late, report.return_due)


def moves_of(report) -> int:
    return Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(RoundReport), object_id=report.pk
    ).count()


# --- the state machine, table-driven ------------------------------------------------------------------------

MOVES = {
    "submit": lambda report, user: flow.report_submit(report=report, user=user),
    "send_back": lambda report, user: flow.report_send_back(report=report, user=user, reason=REASON),
    "resubmit": lambda report, user: flow.report_resubmit(report=report, user=user),
    "verify": lambda report, user: flow.report_verify(report=report, user=user),
}
# Where each move may start, where it leads, and who alone may make it (§8: the head submits, the committee
# covering the unit verifies).
SOURCES = {
    "submit": {"draft"},
    "send_back": {"submitted", "resubmitted"},
    "resubmit": {"returned"},
    "verify": {"submitted", "resubmitted"},
}
TARGETS = {"submit": "submitted", "send_back": "returned", "resubmit": "resubmitted", "verify": "verified"}
MOVERS = {"submit": "head_a", "resubmit": "head_a", "send_back": "member", "verify": "member"}
# How to bring a report to each state, by the legitimate movers.
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "returned": ["submit", "send_back"],
    "resubmitted": ["submit", "send_back", "resubmit"],
    "verified": ["submit", "verify"],
}
STATES = list(PATHS)
PERSONAS = [
    "head_a",
    "director",
    "planner",
    "collector",
    "supervisor",
    "member",
    "executive",
    "outsider",
    "admin",
]


@pytest.fixture
def filled(report, org):
    fill(report, org.collector)
    return fresh(report)


def bring_to(report, state, org):
    for move in PATHS[state]:
        MOVES[move](fresh(report), getattr(org, MOVERS[move]))
    report = fresh(report)
    assert report.status == state
    return report


@pytest.mark.parametrize("move", list(MOVES))
@pytest.mark.parametrize("state", STATES)
def test_each_move_succeeds_exactly_where_the_rules_allow_it(filled, org, state, move):
    """Every persona tries the move; a refused try changes nothing, so the one allowed mover goes last."""
    report = bring_to(filled, state, org)
    mover = MOVERS[move] if state in SOURCES[move] else None
    for persona in sorted(PERSONAS, key=lambda p: p == mover):
        before = snapshot(report)
        if persona != mover:
            with pytest.raises(ValidationError):
                MOVES[move](fresh(report), getattr(org, persona))
            report = fresh(report)
            assert snapshot(report) == before, f"{persona} changed the report trying {move} from {state}"
            continue
        MOVES[move](fresh(report), getattr(org, persona))
        report = fresh(report)
        assert report.status == TARGETS[move], persona
        assert moves_of(report) == before[1] + 1
        row = Transition.objects.filter(object_id=report.pk).order_by("-id").first()
        assert (row.action, row.from_state, row.to_state, row.actor) == (
            move,
            state,
            TARGETS[move],
            getattr(org, persona),
        )


def test_the_table_covers_every_state_and_move():
    # Each state has at least one legal move but the last, and each move a legal state.
    assert {s for sources in SOURCES.values() for s in sources} == set(STATES) - {"verified"}
    assert set(TARGETS.values()) <= set(STATES)


# --- submission ---------------------------------------------------------------------------------------------


def test_submitting_with_missing_results_lists_the_problems_and_changes_nothing(report, org):
    first = report.items.order_by("order").first()
    flow.item_enter(item=first, user=org.collector, result={"actual": "70"}, narrative="")
    with pytest.raises(ValidationError) as exc:
        flow.report_submit(report=report, user=org.head_a)
    problems = exc.value.messages
    # One line per gap: KPI 1 lacks its account; KPIs 2-4 lack both result and account.
    assert len(problems) == 7
    assert any(first.code in p and first.name in p for p in problems)
    after = fresh(report)
    assert (after.status, after.submitted_at, moves_of(after)) == ("draft", None, 0)


def test_a_second_submission_is_refused(filled, org):
    flow.report_submit(report=filled, user=org.head_a)
    submitted_at = fresh(filled).submitted_at
    with pytest.raises(ValidationError):
        flow.report_submit(report=fresh(filled), user=org.head_a)
    after = fresh(filled)
    assert (after.status, after.submitted_at, moves_of(after)) == ("submitted", submitted_at, 1)


def test_a_result_entered_after_submission_is_refused(filled, org):
    flow.report_submit(report=filled, user=org.head_a)
    item = filled.items.order_by("order").first()
    with pytest.raises(ValidationError):
        flow.item_enter(item=item, user=org.collector, result={"actual": "100"}, narrative="แก้")
    assert ReportItem.objects.get(pk=item.pk).result == {"actual": "85"}


# --- the worked penalty example of §8 -----------------------------------------------------------------------


@pytest.fixture
def late_year(org):
    """FY 2552 with bureau A's signed agreement (two KPIs) and its open 12-month report; a committee of FY
    2552 covers bureau A with the member on it."""
    from kpi_agreements.agreements.models import Dimension
    from kpi_agreements.organisation.models import Unit

    year = fiscal_year_create(be_year=2552)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=1, name_th="ประสิทธิผล", weight=Decimal(60)),
        Dimension.objects.create(fiscal_year=year, order=2, name_th="คุณภาพ", weight=Decimal(40)),
    ]
    Unit.objects.filter(pk=org.bureau_a.pk).update(head=org.head_a)
    agreement = drafting.agreements_create(fiscal_year=year, units=[Unit.objects.get(pk=org.bureau_a.pk)])[0]
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัด {d.order}", collector=org.collector)
    committee = Committee.objects.create(
        name="คณะกรรมการประเมินผล 2552", kind="negotiation", fiscal_year=year, unit=org.dept
    )
    committee.units_covered.set([org.bureau_a])
    CommitteeMember.objects.create(committee=committee, person=org.member, position="chair")
    report = open_report(sign(agreement), 12)
    for item, actual in zip(report.items.order_by("order"), ["85", "92"], strict=True):
        flow.item_enter(item=item, user=org.collector, result={"actual": actual}, narrative="ดำเนินการแล้ว")
    return fresh(report)


def at_bangkok(*args):
    return time_machine.travel(datetime(*args, tzinfo=BANGKOK), tick=False)


def test_the_worked_example_a_12_month_report_three_working_days_late_loses_0_15(late_year, org):
    milestone = late_year.round.fiscal_year.milestones.get(kind="report_12")
    assert milestone.due_date == date(2009, 10, 31)  # a Saturday: the default calendar of §3
    assert effective_due_date(milestone) == date(2009, 11, 2)  # rolled to Monday
    with at_bangkok(2009, 11, 5, 10, 0):  # Thursday
        flow.report_submit(report=late_year, user=org.head_a)
    report = fresh(late_year)
    assert report.days_late == 3
    assert report.penalty == Decimal("0.1500")
    card = report.self_card
    assert card["penalty"] == "0.1500"
    # 85 → 3.5000 × 60, 92 → 4.2000 × 40: subtotal 2.1000 + 1.6800 = 3.7800, less 0.15.
    assert card["subtotal"] == "3.7800"
    assert card["total"] == "3.6300" == str(Decimal(card["subtotal"]) - Decimal("0.15"))
    assert report.self_total == Decimal("3.6300")


def test_submitted_on_the_effective_deadline_is_not_late(late_year, org):
    with at_bangkok(2009, 11, 2, 16, 30):
        flow.report_submit(report=late_year, user=org.head_a)
    report = fresh(late_year)
    assert (report.days_late, report.penalty, report.self_card["penalty"]) == (0, Decimal("0.0000"), "0.0000")


def _returned(late_year, org, due):
    with at_bangkok(2009, 11, 5, 10, 0):
        flow.report_submit(report=late_year, user=org.head_a)
    with at_bangkok(2009, 11, 9, 9, 0):
        flow.report_send_back(report=fresh(late_year), user=org.member, reason=REASON, due=due)
    report = fresh(late_year)
    assert (report.status, report.return_due, report.return_reason) == ("returned", due, REASON)
    return report


def test_a_resubmission_by_its_due_date_adds_no_days(late_year, org):
    report = _returned(late_year, org, due=date(2009, 11, 20))  # a Friday
    with at_bangkok(2009, 11, 20, 17, 0):
        flow.report_resubmit(report=report, user=org.head_a)
    report = fresh(report)
    assert (report.status, report.days_late, report.penalty) == ("resubmitted", 3, Decimal("0.1500"))
    assert report.self_card["total"] == "3.6300"


def test_a_resubmission_after_its_due_date_adds_the_working_days_past_it(late_year, org):
    report = _returned(late_year, org, due=date(2009, 11, 20))  # a Friday
    with at_bangkok(2009, 11, 24, 9, 0):  # Tuesday: Monday 23 and Tuesday 24 are past the due date
        flow.report_resubmit(report=report, user=org.head_a)
    report = fresh(report)
    assert (report.days_late, report.penalty) == (5, Decimal("0.2500"))
    assert (report.self_card["penalty"], report.self_card["total"]) == ("0.2500", "3.5300")


def test_a_due_date_in_the_past_is_refused_at_its_field(filled, org):
    flow.report_submit(report=filled, user=org.head_a)
    with pytest.raises(ValidationError) as exc:
        flow.report_send_back(report=fresh(filled), user=org.member, reason=REASON, due=date(2020, 1, 1))
    assert "due" in exc.value.error_dict
    assert fresh(filled).status == "submitted"


def test_returning_needs_a_reason(filled, org):
    flow.report_submit(report=filled, user=org.head_a)
    with pytest.raises(ValidationError) as exc:
        flow.report_send_back(report=fresh(filled), user=org.member, reason="  ")
    assert "reason" in exc.value.error_dict
    assert fresh(filled).status == "submitted"


# --- separation of duties -----------------------------------------------------------------------------------


@pytest.fixture
def submitted(filled, org):
    flow.report_submit(report=filled, user=org.head_a)
    return fresh(filled)


def queue(user):
    return set(RoundReport.objects.filter(verifiable_by(user)).values_list("pk", flat=True))


@pytest.mark.parametrize("persona", ["head_a", "planner", "director"])
def test_the_units_own_people_may_not_verify(submitted, org, persona):
    person = getattr(org, persona)
    assert not can_verify(person, submitted)
    assert submitted.pk not in queue(person)
    with pytest.raises(ValidationError):
        flow.report_verify(report=submitted, user=person)
    assert fresh(submitted).status == "submitted"


def test_the_committee_member_verifies_and_sees_the_report_in_the_queue(submitted, org):
    assert list(verifiers(submitted)) == [org.member]
    assert queue(org.member) == {submitted.pk}


def test_a_member_who_entered_a_result_may_not_verify(submitted, org):
    ReportItem.objects.filter(pk=submitted.items.first().pk).update(entered_by=org.member)
    assert not can_verify(org.member, submitted)
    assert submitted.pk not in queue(org.member)
    with pytest.raises(ValidationError):
        flow.report_verify(report=submitted, user=org.member)
    assert fresh(submitted).status == "submitted"


@pytest.fixture
def ministry_planner(org):
    person = make_person("ministry_planner")
    RoleAssignment.objects.create(person=person, unit=org.ministry, role=Role.PLANNING)
    return person


def test_with_no_committee_a_ministry_planner_verifies_when_the_policy_allows(
    submitted, org, ministry_planner
):
    org.committee.units_covered.clear()
    assert not can_verify(org.member, submitted)
    assert can_verify(ministry_planner, submitted)
    assert submitted.pk in queue(ministry_planner)
    flow.report_verify(report=fresh(submitted), user=ministry_planner)
    assert fresh(submitted).status == "verified"


def test_with_no_committee_and_the_policy_off_nobody_verifies(submitted, org, ministry_planner):
    org.committee.units_covered.clear()
    year = submitted.round.fiscal_year
    year.planning_verifies = False
    year.save()
    report = fresh(submitted)
    assert list(verifiers(report)) == []
    assert report.pk not in queue(ministry_planner)
    with pytest.raises(ValidationError):
        flow.report_verify(report=report, user=ministry_planner)
    assert fresh(report).status == "submitted"


# --- verifying one KPI --------------------------------------------------------------------------------------


def test_a_verified_result_is_scored_apart_from_the_self_assessment(submitted, org):
    first = submitted.items.order_by("order").first()
    flow.item_verify(item=first, user=org.member, result={"actual": "70"}, note="หลักฐานไม่ครบ")
    flow.report_verify(report=fresh(submitted), user=org.member)
    item = ReportItem.objects.get(pk=first.pk)
    assert (item.self_score, item.verified_score) == (Decimal("3.5000"), Decimal("2.0000"))
    report = fresh(submitted)
    # Self: 3.5 everywhere. Verified: 2.0 × 45 + 3.5 × 55 = 0.9000 + 1.9250 = 2.8250.
    assert (report.self_card["total"], report.verified_card["total"]) == ("3.5000", "2.8250")
    assert report.verified_total == Decimal("2.8250")


# --- notices ------------------------------------------------------------------------------------------------


def test_each_step_notifies_once(filled, org, django_capture_on_commit_callbacks):
    def step(move, person):
        with django_capture_on_commit_callbacks(execute=True):
            MOVES[move](fresh(filled), person)
        row = Transition.objects.filter(object_id=filled.pk, action=move).order_by("-id").first()
        notices = Notice.objects.filter(key=f"transition:{row.pk}")
        recipients = sorted(notices.values_list("recipient__username", flat=True))
        assert send_step_notices(row.pk) == 0  # the task running again sends nothing
        assert notices.count() == len(recipients)
        return recipients

    assert step("submit", org.head_a) == ["member"]
    told = step("send_back", org.member)
    assert {"head_a", "collector", "supervisor"} <= set(told) and "member" not in told
    assert step("resubmit", org.head_a) == ["member"]
    assert set(step("verify", org.member)) == set(told)


# --- the pages ----------------------------------------------------------------------------------------------


def test_the_head_submits_from_the_report_page(filled, org, client_for):
    client = client_for(org.head_a)
    page = client.get(reverse("report_detail", args=[filled.pk])).content.decode()
    assert 'data-testid="submit-report"' in page and reverse("report_submit", args=[filled.pk]) in page
    response = client.post(reverse("report_submit", args=[filled.pk]), {"comment": "ส่งแล้ว"})
    assert response.status_code == 302 and response["Location"] == reverse("report_detail", args=[filled.pk])
    assert fresh(filled).status == "submitted"
    assert Transition.objects.get(object_id=filled.pk, action="submit").comment == "ส่งแล้ว"


def test_a_submission_with_gaps_shows_the_problems_as_messages(report, org, client_for):
    client = client_for(org.head_a)
    response = client.post(reverse("report_submit", args=[report.pk]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 8  # no result and no account for each of the four KPIs
    assert fresh(report).status == "draft"


@pytest.mark.parametrize("persona", ["member", "collector", "director", "outsider"])
def test_only_the_head_reaches_the_submit_action(filled, org, client_for, persona):
    response = client_for(getattr(org, persona)).post(reverse("report_submit", args=[filled.pk]))
    assert response.status_code == 404
    assert fresh(filled).status == "draft"


def test_the_verifier_returns_the_report_with_a_reason_a_due_date_and_kpis(submitted, org, client_for):
    client = client_for(org.member)
    url = reverse("report_send_back", args=[submitted.pk])
    page = client.get(url)
    assert page.status_code == 200
    due = timezone.localdate() + timedelta(days=30)  # the year's policy, by default
    assert page.context["form"].fields["due"].initial == due
    assert f'value="{due.day:02d}/{due.month:02d}/{due.year + 543}"' in page.content.decode()
    missing = client.post(url, {"reason": "", "due": ""})
    assert missing.status_code == 400
    assert set(missing.context["form"].errors) == {"reason", "due"}
    assert fresh(submitted).status == "submitted"
    first = submitted.items.order_by("order").first()
    response = client.post(
        url, {"reason": REASON, "due": f"{due.day:02d}/{due.month:02d}/{due.year + 543}", "items": [first.pk]}
    )
    assert response.status_code == 302
    report = fresh(submitted)
    assert (report.status, report.return_reason, report.return_due) == ("returned", REASON, due)
    assert list(report.items.filter(needs_more=True)) == [first]


@pytest.mark.parametrize("persona", ["head_a", "planner", "collector", "outsider"])
def test_only_verifiers_reach_the_return_and_verify_pages(submitted, org, client_for, persona):
    client = client_for(getattr(org, persona))
    item = submitted.items.first()
    assert client.get(reverse("report_send_back", args=[submitted.pk])).status_code == 404
    assert client.post(reverse("report_verify", args=[submitted.pk])).status_code == 404
    assert client.get(reverse("item_verify", args=[item.pk])).status_code == 404
    assert fresh(submitted).status == "submitted"


def test_the_verifier_enters_a_result_or_accepts_the_units(submitted, org, client_for):
    client = client_for(org.member)
    item = submitted.items.order_by("order").first()
    url = reverse("item_verify", args=[item.pk])
    page = client.get(url)
    assert page.status_code == 200 and "85" in page.content.decode()
    wrong = client.post(url, {"actual": "มาก", "note": ""})
    assert wrong.status_code == 400 and wrong.context["form"].errors.get("actual")
    assert ReportItem.objects.get(pk=item.pk).verified_by is None
    assert client.post(url, {"actual": "95", "note": "ตรวจแล้ว"}).status_code == 302
    stored = ReportItem.objects.get(pk=item.pk)
    assert (stored.verified_result, stored.verified_score, stored.verifier_note) == (
        {"actual": "95"},
        Decimal("4.5000"),
        "ตรวจแล้ว",
    )
    # As the unit entered it (or blank): the unit's result is accepted.
    assert client.post(url, {"actual": "85", "note": ""}).status_code == 302
    stored = ReportItem.objects.get(pk=item.pk)
    assert (stored.verified_result, stored.verified_score) == (None, Decimal("3.5000"))
    assert client.post(url, {"actual": "", "note": ""}).status_code == 302
    assert ReportItem.objects.get(pk=item.pk).verified_result is None


def test_the_verifier_verifies_from_the_report_page(submitted, org, client_for):
    client = client_for(org.member)
    page = client.get(reverse("report_detail", args=[submitted.pk])).content.decode()
    assert 'data-testid="verify-report"' in page and 'data-testid="send-back"' in page
    assert reverse("item_verify", args=[submitted.items.first().pk]) in page
    assert client.post(reverse("report_verify", args=[submitted.pk])).status_code == 302
    assert fresh(submitted).status == "verified"
    timeline = client.get(reverse("report_detail", args=[submitted.pk])).content.decode()
    assert timeline.count('class="border-start ps-2 mb-1"') == 2


def test_the_queue_lists_what_awaits_the_verifier_only(submitted, org, client_for):
    page = client_for(org.member).get(reverse("verify_queue"))
    assert [r.pk for r in page.context["page"]] == [submitted.pk]
    assert list(client_for(org.head_a).get(reverse("verify_queue")).context["page"]) == []


def test_the_queue_keeps_its_query_count_as_it_grows(submitted, org, dims, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kpi_agreements.organisation import services as org_services
    from kpi_agreements.reporting.services.rounds import reports_build

    client = client_for(org.member)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("verify_queue"))
    for i in range(3):
        unit = org_services.unit_create(
            parent=org.dept, name_th=f"สำนัก {i}", abbreviation=f"ส{i}.", unit_type=org.bureau_a.unit_type
        )
        RoleAssignment.objects.create(person=make_person(f"head{i}"), unit=unit, role=Role.UNIT_HEAD)
        org.committee.units_covered.add(unit)
        agreement = drafting.agreements_create(fiscal_year=org.year, units=[unit])[0]
        for d in dims:
            add_kpi(agreement, d, d.weight, "ตัวชี้วัด", collector=org.collector)
        sign(agreement)
    reports_build(submitted.round)
    for report in RoundReport.objects.exclude(pk=submitted.pk):
        fill(report, org.collector)
        RoundReport.objects.filter(pk=report.pk).update(status="submitted")
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("verify_queue"))
    assert len(page.context["page"]) == 4
    assert len(large) == len(small)


def test_the_verifier_answers_in_the_kpis_own_method(org, dims, agreement, client_for):
    """Pass/fail and milestones: the same inputs the unit entered with; unchanged means accepted."""
    milestone = {"levels": [["ก"], ["ข"], ["ค", "ง"], ["จ"], ["ฉ"]]}
    add_kpi(agreement, dims[0], 45, "ขั้นตอน", method="milestone", criteria=milestone, collector=org.collector)
    add_kpi(agreement, dims[1], 55, "ผ่าน", method="pass_fail", criteria={"condition": "สำเร็จ"})
    report = open_report(sign(agreement), 6)
    steps, passed = report.items.order_by("order")
    done = [[True], [True], [True, False], [False], [False]]
    flow.item_enter(item=steps, user=org.collector, result={"done": done}, narrative="ทำแล้วบางส่วน")
    flow.item_enter(item=passed, user=org.head_a, result={"passed": True}, narrative="สำเร็จ")
    flow.report_submit(report=fresh(report), user=org.head_a)
    client = client_for(org.member)
    # The unit's ticks come back as they were: posting them unchanged accepts the unit's result.
    url = reverse("item_verify", args=[steps.pk])
    initial = client.get(url).context["form"].initial
    assert (initial["done_1_0"], initial["done_3_0"], initial["done_3_1"]) == (True, True, False)
    assert client.post(url, {"done_1_0": "on", "done_2_0": "on", "done_3_0": "on"}).status_code == 302
    assert ReportItem.objects.get(pk=steps.pk).verified_result is None
    assert client.post(url, {"done_1_0": "on"}).status_code == 302
    stored = ReportItem.objects.get(pk=steps.pk)
    assert stored.verified_result == {"done": [[True], [False], [False, False], [False], [False]]}
    assert (stored.self_score, stored.verified_score) == (Decimal("2.0000"), Decimal("1.0000"))
    url = reverse("item_verify", args=[passed.pk])
    assert client.post(url, {"passed": "no", "note": "ไม่พบหลักฐาน"}).status_code == 302
    stored = ReportItem.objects.get(pk=passed.pk)
    assert (stored.verified_result, stored.self_score, stored.verified_score) == (
        {"passed": False},
        Decimal("5.0000"),
        Decimal("1.0000"),
    )
