"""Reporting rounds (DOMAIN §8, issue 10 items 1 and 8): the year's three rounds and their policy, opening a
round, the version of the agreement each report follows, the round's overview and flags, the daily task."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.agreements.services import changes, drafting
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.fiscal.services import fiscal_year_create
from kpi_agreements.organisation import services as org_services
from kpi_agreements.organisation.models import Role, RoleAssignment
from kpi_agreements.reporting import tasks
from kpi_agreements.reporting.models import ReportItem, Round, RoundReport
from kpi_agreements.reporting.services import flow
from kpi_agreements.reporting.services.rounds import round_open
from tests.conftest import make_person
from tests.factories import add_kpi, open_change, open_report, sign

IN_WINDOW = date(2027, 3, 15)  # FY 2570's first change-request window


def rounds_of(year) -> dict[int, Round]:
    return {r.months: r for r in Round.objects.filter(fiscal_year=year)}


# --- the rounds of a year -----------------------------------------------------------------------------------


def test_a_new_year_has_three_rounds_opening_on_the_first_day_of_each_periods_last_month(db):
    year = fiscal_year_create(be_year=2575)  # 1 Oct 2031 – 30 Sep 2032
    rounds = rounds_of(year)
    assert sorted(rounds) == [6, 9, 12]
    assert {m: r.opens_on for m, r in rounds.items()} == {
        6: date(2032, 3, 1),
        9: date(2032, 6, 1),
        12: date(2032, 9, 1),
    }
    assert {m: (r.period_start, r.period_end) for m, r in rounds.items()} == {
        6: (date(2031, 10, 1), date(2032, 3, 31)),
        9: (date(2031, 10, 1), date(2032, 6, 30)),
        12: (date(2031, 10, 1), date(2032, 9, 30)),
    }
    assert not any(r.is_open for r in rounds.values())
    assert [r.has_sar for r in (rounds[6], rounds[9], rounds[12])] == [True, False, True]


@pytest.fixture
def bureau_b_signed(org, dims):
    """Bureau B's signed agreement, beside bureau A's draft (the ``agreement`` fixture)."""
    agreement = drafting.agreements_create(fiscal_year=org.year, units=[org.bureau_b])[0]
    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัด บี {d.order}", collector=org.collector)
    return sign(agreement)


def test_opening_builds_one_report_per_signed_agreement_and_none_for_drafts_once(
    agreement, bureau_b_signed, org
):
    round = rounds_of(org.year)[6]
    assert round_open(round=round, user=org.admin) == 1
    reports = RoundReport.objects.filter(round=round)
    assert [r.agreement_id for r in reports] == [bureau_b_signed.pk]
    assert reports.get().items.count() == 4
    round.refresh_from_db()
    opened_at = round.opened_at
    assert opened_at is not None and round.opened_by == org.admin
    # Again: nothing new, the opening kept.
    assert round_open(round=round, user=org.planner) == 0
    round.refresh_from_db()
    assert (RoundReport.objects.filter(round=round).count(), round.opened_at, round.opened_by) == (
        1,
        opened_at,
        org.admin,
    )
    # An agreement signed since is built by the next opening (the daily task does the same).
    sign(agreement)
    assert round_open(round=round) == 1
    assert RoundReport.objects.filter(round=round).count() == 2


# --- the version each report follows ------------------------------------------------------------------------


def _decide(change, org, number):
    changes.change_submit(change=change, user=org.head_a, today=IN_WINDOW)
    changes.change_decide(
        change=change, user=org.member, approve=True, number=number, date=date(2027, 3, 20), text="อนุมัติ"
    )


@pytest.fixture
def two_in_first(org, dims, agreement):
    """Bureau A's signed agreement with two KPIs in the first dimension (30 and 15) and one in each other,
    and its open 6-month report."""
    add_kpi(agreement, dims[0], 30, "ตัวชี้วัดหนึ่งก", collector=org.collector)
    add_kpi(agreement, dims[0], 15, "ตัวชี้วัดหนึ่งข", collector=org.collector)
    for d in dims[1:]:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", collector=org.collector)
    return open_report(sign(agreement), 6)


def _swap(agreement, org, dims, effective_round):
    """Two approved change requests from ``effective_round`` (dimension weights stay, §9): KPI "หนึ่งข" (15)
    cancelled, its weight going to "หนึ่งก" beside it (45); then "หนึ่งก" made 15 lighter again and a new
    pass/fail KPI of 15 added in the first dimension."""
    agreement = Agreement.objects.get(pk=agreement.pk)
    change = open_change(agreement, org.head_a, effective_round=effective_round)
    changes.change_item_add(change=change, kind="cancel", kpi=agreement.kpis.get(name="ตัวชี้วัดหนึ่งข"))
    _decide(change, org, "9/2570")
    first = agreement.kpis.get(name="ตัวชี้วัดหนึ่งก")
    assert first.weight == Decimal("45.0000")
    change = open_change(agreement, org.head_a, effective_round=effective_round)
    changes.change_item_add(change=change, kind="edit", kpi=first, weight=Decimal("30"))
    changes.change_item_add(
        change=change,
        kind="add",
        dimension=dims[0],
        name="ตัวชี้วัดใหม่",
        weight=Decimal("15"),
        method="pass_fail",
        criteria={"condition": "สำเร็จ"},
    )
    _decide(change, org, "10/2570")
    return agreement.kpis.get(name="ตัวชี้วัดหนึ่งข")


def names(report) -> list[str]:
    return list(ReportItem.objects.filter(report=report).order_by("order").values_list("name", flat=True))


def test_a_kpi_cancelled_from_round_9_is_in_the_6_month_report_only_and_one_added_appears_from_9(
    two_in_first, org, dims
):
    report = two_in_first
    cancelled = _swap(report.agreement, org, dims, effective_round=9)
    six = RoundReport.objects.get(pk=report.pk)
    assert cancelled.name in names(six) and "ตัวชี้วัดใหม่" not in names(six)
    assert six.version == 1
    agreement = Agreement.objects.get(pk=report.agreement_id)
    for months in (9, 12):
        later = open_report(agreement, months)
        assert cancelled.name not in names(later) and "ตัวชี้วัดใหม่" in names(later), months
        assert later.version == 3
        added = later.items.get(name="ตัวชี้วัดใหม่")
        assert (added.method, added.weight, added.is_leaf) == ("pass_fail", Decimal("15.0000"), True)


def test_a_report_still_being_entered_follows_an_approved_change_and_keeps_what_was_entered(
    two_in_first, org, dims
):
    report = two_in_first
    first = report.items.order_by("order").first()
    flow.item_enter(item=first, user=org.collector, result={"actual": "90"}, narrative="ดำเนินการแล้ว")
    cancelled = _swap(report.agreement, org, dims, effective_round=6)
    six = RoundReport.objects.get(pk=report.pk)
    assert cancelled.name not in names(six) and "ตัวชี้วัดใหม่" in names(six)
    assert six.version == 3
    kept = ReportItem.objects.get(pk=first.pk)
    assert (kept.result, kept.self_score) == ({"actual": "90"}, Decimal("4.0000"))
    # The stored card follows: the new KPI counts, unreported, at the floor.
    assert set(six.self_card["kpis"]) == set(six.items.values_list("code", flat=True))


def test_a_submitted_report_keeps_the_kpis_it_was_submitted_with(two_in_first, org, dims):
    report = two_in_first
    for item in report.items.all():
        flow.item_enter(item=item, user=org.collector, result={"actual": "80"}, narrative="ดำเนินการแล้ว")
    flow.report_submit(report=RoundReport.objects.get(pk=report.pk), user=org.head_a)
    before = names(report)
    _swap(report.agreement, org, dims, effective_round=6)
    assert names(report) == before and RoundReport.objects.get(pk=report.pk).version == 1


# --- the year's rounds page and its policy ------------------------------------------------------------------


def test_the_rounds_page_shows_periods_deadlines_and_counts(report, org, client_for):
    page = client_for(org.planner).get(reverse("year_rounds", args=[org.year.pk]))
    assert page.status_code == 200
    rows = {r.months: r for r in page.context["rounds"]}
    # FY 2570: the 6-month report is due Fri 30 Apr 2027; the 12-month one Sun 31 Oct 2027 → Mon 1 Nov.
    assert (rows[6].due, rows[6].effective_due) == (date(2027, 4, 30), date(2027, 4, 30))
    assert (rows[12].due, rows[12].effective_due) == (date(2027, 10, 31), date(2027, 11, 1))
    assert rows[6].is_open and not rows[9].is_open
    assert dict(rows[6].counts)[RoundReport.Status.DRAFT.label] == 1
    html = page.content.decode()
    assert "1 มี.ค. 2570" in html or "1 Mar 2570" in html
    # Only managers of a whole organisation see the opening buttons and the policy.
    assert page.context["form"] is None and 'data-testid="open-round"' not in html
    admin_page = client_for(org.admin).get(reverse("year_rounds", args=[org.year.pk]))
    assert admin_page.context["form"] is not None
    assert admin_page.content.decode().count('data-testid="open-round"') == 2


def test_the_policy_is_saved_with_its_history(org, client_for):
    year = org.year
    rounds = rounds_of(year)
    history_before = (rounds[6].history.count(), year.history.count())
    response = client_for(org.admin).post(
        reverse("year_rounds", args=[year.pk]),
        {
            "opens_on_6": "15/02/2570",
            "opens_on_9": "01/06/2570",
            "opens_on_12": "01/09/2570",
            "return_days": "14",
        },
    )
    assert response.status_code == 302
    rounds = rounds_of(year)
    assert [rounds[m].opens_on for m in (6, 9, 12)] == [date(2027, 2, 15), date(2027, 6, 1), date(2027, 9, 1)]
    year = FiscalYear.objects.get(pk=year.pk)
    assert (year.return_days, year.planning_verifies) == (14, False)
    assert (rounds[6].history.count(), year.history.count()) == (history_before[0] + 1, history_before[1] + 1)
    assert rounds[9].history.count() == 1  # unchanged: no new history row
    assert year.history.first().history_user == org.admin


def test_a_bad_policy_is_refused_at_the_field_and_changes_nothing(org, client_for):
    response = client_for(org.admin).post(
        reverse("year_rounds", args=[org.year.pk]),
        {"opens_on_6": "01/09/2568", "opens_on_9": "31/02/2570", "opens_on_12": "", "return_days": "0"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"opens_on_6", "opens_on_9", "opens_on_12", "return_days"}
    assert rounds_of(org.year)[6].opens_on == date(2027, 3, 1)
    assert FiscalYear.objects.get(pk=org.year.pk).return_days == 30


@pytest.mark.parametrize("persona", ["planner", "sub_admin", "director", "head_a", "member", "outsider"])
def test_only_managers_of_a_whole_organisation_change_the_policy_or_open_a_round(org, client_for, persona):
    client = client_for(getattr(org, persona))
    round = rounds_of(org.year)[6]
    policy = client.post(reverse("year_rounds", args=[org.year.pk]), {"return_days": "5"})
    opening = client.post(reverse("round_open", args=[round.pk]))
    assert (policy.status_code, opening.status_code) == (404, 404)
    round.refresh_from_db()
    assert round.opened_at is None and FiscalYear.objects.get(pk=org.year.pk).return_days == 30


def test_open_now_opens_the_round_and_builds_the_reports(bureau_b_signed, org, client_for):
    round = rounds_of(org.year)[9]
    response = client_for(org.admin).post(reverse("round_open", args=[round.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("year_rounds", args=[org.year.pk])
    round.refresh_from_db()
    assert round.is_open and RoundReport.objects.filter(round=round).count() == 1
    assert any("1" in str(m) for m in response.context["messages"])


# --- the round's overview and flags -------------------------------------------------------------------------


def _bureaus(org, dims, count, parent=None):
    """``count`` more bureaus under the department (or ``parent``), each with a signed agreement."""
    for i in range(count):
        unit = org_services.unit_create(
            parent=parent or org.dept,
            name_th=f"สำนักเพิ่ม {i}",
            abbreviation=f"สพ{i}.",
            unit_type=org.bureau_a.unit_type,
        )
        RoleAssignment.objects.create(person=make_person(f"extra_head_{i}"), unit=unit, role=Role.UNIT_HEAD)
        agreement = drafting.agreements_create(fiscal_year=org.year, units=[unit])[0]
        for d in dims:
            add_kpi(agreement, d, d.weight, f"ตัวชี้วัด {d.order}", collector=org.collector)
        sign(agreement)


def overview(client, round, **params):
    return client.get(reverse("round_overview", args=[round.pk]), params)


def test_the_overview_lists_every_unit_with_its_figures_and_filters(report, bureau_b_signed, org, client_for):
    round = report.round
    round_open(round=round)
    for item in report.items.all():
        flow.item_enter(item=item, user=org.collector, result={"actual": "85"}, narrative="ดำเนินการแล้ว")
    flow.report_submit(report=RoundReport.objects.get(pk=report.pk), user=org.head_a)
    client = client_for(org.planner)
    page = overview(client, round)
    rows = list(page.context["page"])
    assert [r.agreement.unit for r in rows] == [org.bureau_a, org.bureau_b]
    html = page.content.decode()
    assert "3.5000" in html  # bureau A's stored self-assessed total
    assert reverse("report_detail", args=[report.pk]) in html
    b = RoundReport.objects.get(agreement=bureau_b_signed)
    assert rows[1].flags == ["missing_report"]
    assert rows[1].flag_labels == [flow.FLAG_LABELS["missing_report"]]
    assert [r.pk for r in overview(client, round, status="submitted").context["page"]] == [report.pk]
    assert [r.pk for r in overview(client, round, status="draft").context["page"]] == [b.pk]
    assert overview(client, round, status="nonsense").status_code == 404
    assert len(overview(client, round, unit=org.bureau_b.pk).context["page"]) == 1
    assert len(overview(client, round, unit=org.dept.pk).context["page"]) == 2
    # A unit the planner cannot read, or no unit at all, is no page.
    assert overview(client, round, unit=org.other_dept.pk).status_code == 404
    assert overview(client, round, unit="abc").status_code == 404
    assert [u.pk for u in page.context["units"]] == [org.dept.pk]


def test_the_round_pages_keep_their_query_count_as_they_grow(report, org, dims, client_for):
    client = client_for(org.planner)
    pages = [
        reverse("round_overview", args=[report.round.pk]),
        reverse("round_flags", args=[report.round.pk]),
        reverse("year_rounds", args=[org.year.pk]),
    ]

    def counts():
        found = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    small = counts()
    _bureaus(org, dims, 4)
    round_open(round=report.round)
    assert len(client.get(pages[0]).context["page"]) == 5
    assert len(client.get(pages[1]).context["page"]) == 20  # every KPI unreported: flagged
    assert counts() == small


def test_the_overview_pages_by_fifty(report, org, dims, client_for, monkeypatch):
    from kpi_agreements.reporting.views import flow as views

    assert views.PAGE_SIZE == 50
    _bureaus(org, dims, 2)
    round_open(round=report.round)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)  # three reports, two to a page
    first = overview(client_for(org.planner), report.round)
    second = overview(client_for(org.planner), report.round, page=2)
    assert (len(first.context["page"]), len(second.context["page"])) == (2, 1)
    assert 'data-testid="pager"' in first.content.decode()


def test_an_outsider_sees_no_reports_in_the_overview(report, org, client_for):
    page = overview(client_for(org.outsider), report.round)
    assert page.status_code == 200 and list(page.context["page"]) == []
    assert list(page.context["units"]) == []


def test_the_flags_page_lists_flagged_kpis_with_a_filter(report, org, client_for):
    items = list(report.items.order_by("order"))
    flow.item_enter(item=items[0], user=org.collector, result={"actual": "50"}, narrative="ต่ำกว่าเป้า")
    flow.item_enter(
        item=items[1],
        user=org.collector,
        result={"actual": "85"},
        narrative="ดำเนินการแล้ว",
        obstacles="น้ำท่วมสำนักงาน",
        obstacles_external=True,
    )
    flow.item_enter(item=items[2], user=org.collector, result={"actual": "85"}, narrative="ดำเนินการแล้ว")
    client = client_for(org.planner)
    url = reverse("round_flags", args=[report.round.pk])
    flagged = client.get(url)
    # KPI 1 far below target, KPI 2 obstacles outside the unit's control, KPI 4 not reported; KPI 3 is fine.
    assert [i.code for i in flagged.context["page"]] == [items[0].code, items[1].code, items[3].code]
    assert "น้ำท่วมสำนักงาน" in flagged.content.decode()
    far = client.get(url, {"flag": "far_from_target"})
    assert [i.code for i in far.context["page"]] == [items[0].code]
    assert client.get(url, {"flag": "x"}).status_code == 404
    outsider = client_for(org.outsider).get(url)
    assert list(outsider.context["page"]) == []


# --- the daily task -----------------------------------------------------------------------------------------


def test_the_daily_task_opens_a_round_whose_opening_date_has_come_once(bureau_b_signed, org):
    round = rounds_of(org.year)[6]  # opens 1 Mar 2027
    with time_machine.travel(datetime(2027, 2, 28, 7, 0, tzinfo=ZoneInfo("Asia/Bangkok")), tick=False):
        assert tasks.open_due_rounds() == 0
    round.refresh_from_db()
    assert not round.is_open
    with time_machine.travel(datetime(2027, 3, 1, 7, 0, tzinfo=ZoneInfo("Asia/Bangkok")), tick=False):
        assert tasks.open_due_rounds() == 1
        assert tasks.open_due_rounds() == 0
    round.refresh_from_db()
    assert round.is_open and round.opened_by is None
    assert RoundReport.objects.filter(round=round, agreement=bureau_b_signed).count() == 1
    assert not rounds_of(org.year)[9].is_open
