"""The reminders' pages (issue 11 item 5): the unit's reminders sent and coming on its page, the year's policy
linked from the year's page, and the administrator's page of today's run with "run again"; each refused (404)
to the wrong people, and the unit's list costing the same whatever the data."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi_agreements.agreements.models import KPI
from kpi_agreements.reminders.models import ReminderLog, ReminderPolicy, ReminderRun
from kpi_agreements.reminders.services import reminders_run
from kpi_agreements.reminders.templatetags.reminders import unit_reminders
from tests.conftest import make_person
from tests.factories import open_report

BANGKOK = ZoneInfo("Asia/Bangkok")
K = ReminderLog.Kind


def on(day: date, hour: int = 8, minute: int = 30):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK), tick=False
    )


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    def run(day: date) -> ReminderRun:
        with on(day), django_capture_on_commit_callbacks(execute=True):
            return reminders_run()

    return run


# --- the administrator's page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["sub_admin", "planner", "director", "head_a", "executive", "member", "outsider"]
)
def test_the_runs_page_and_run_again_are_refused_to_all_but_administrators_of_a_whole_organisation(
    org, client_for, persona
):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("reminder_runs")).status_code == 404
    assert client.post(reverse("reminder_run_again")).status_code == 404
    assert ReminderRun.objects.count() == 0


def test_the_runs_page_asks_a_visitor_to_log_in(client, db):
    response = client.get(reverse("reminder_runs"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_runs_page_shows_the_latest_run_per_person_and_run_again_sends_nothing_twice(
    report, org, client_for, remind, django_capture_on_commit_callbacks
):
    org.collector.email = ""
    org.collector.save()
    remind(date(2027, 4, 29))
    client = client_for(org.admin)
    page = client.get(reverse("reminder_runs"))  # the latest day's runs, whatever the day today
    assert page.status_code == 200
    html = page.content.decode()
    assert "29 เม.ย. 2570" in html
    people = page.context["people"]
    row = {p["person"]: p for p in people}
    assert (row[org.head_a.pk]["sent"], row[org.head_a.pk]["emailed"]) == (1, 1)
    assert (row[org.collector.pk]["sent"], row[org.collector.pk]["emailed"]) == (1, 0)  # no address
    assert row[org.head_a.pk]["skipped"] == 3  # 14 and 7 days before, and the first window, all past

    assert client.get(reverse("reminder_run_again")).status_code == 405
    with on(date(2027, 4, 29), 9), django_capture_on_commit_callbacks(execute=True):
        client = client_for(org.admin)  # a session of that day
        response = client.post(reverse("reminder_run_again"))
    assert response.status_code == 302 and response["Location"] == reverse("reminder_runs")
    again = ReminderRun.objects.latest("started_at")
    assert (again.trigger, again.started_by, again.sent, again.skipped) == ("manual", org.admin, 0, 0)
    assert ReminderLog.objects.filter(status="sent").count() == 3


# --- the year's policy -----------------------------------------------------------------------------------


def test_the_year_page_links_to_the_policy_which_everyone_signed_in_may_read(org, client_for):
    url = reverse("reminder_policy", args=[org.year.pk])
    assert url in client_for(org.head_a).get(reverse("year_detail", args=[org.year.pk])).content.decode()
    page = client_for(org.head_a).get(url)
    assert page.status_code == 200 and page.context["form"] is None
    # The 6-month round's timeline: 14 working days before Fri 30 Apr 2027 is Wed 7 Apr (Songkran between).
    assert "7 เม.ย. 2570" in page.content.decode()
    assert not ReminderPolicy.objects.exists()  # reading creates nothing


def test_only_administrators_of_a_whole_organisation_change_the_policy(org, client_for):
    url = reverse("reminder_policy", args=[org.year.pk])
    data = {
        "enabled": "on",
        "before_deadline": " 1, 10 ,10",
        "on_deadline": "on",
        "escalate_after": "2",
        "before_return_due": "3",
        "before_window_end": "",
        "committee_wait": "4",
        "send_at": "09:15",
    }
    for persona in ("sub_admin", "planner", "head_a", "outsider"):
        assert client_for(getattr(org, persona)).post(url, data).status_code == 404
    assert not ReminderPolicy.objects.exists()
    response = client_for(org.admin).post(url, data)
    assert response.status_code == 302
    policy = ReminderPolicy.objects.get(fiscal_year=org.year)
    assert (policy.before_deadline, policy.deadline_offsets, policy.after_deadline) == (
        "10,1",
        [10, 1],
        False,
    )
    assert (policy.escalate_after, policy.window_offsets, policy.send_at.strftime("%H:%M")) == (
        2,
        [],
        "09:15",
    )


def test_a_bad_list_of_days_is_refused_at_its_field(org, client_for):
    url = reverse("reminder_policy", args=[org.year.pk])
    data = {"before_deadline": "14, seven", "escalate_after": "3", "committee_wait": "5", "send_at": "08:30"}
    response = client_for(org.admin).post(url, data)
    assert response.status_code == 400
    assert "before_deadline" in response.context["form"].errors
    assert not ReminderPolicy.objects.exists()


# --- the unit's page -------------------------------------------------------------------------------------


def test_the_unit_page_shows_the_reminders_sent_and_those_to_come(report, org, client_for, remind):
    remind(date(2027, 4, 21))
    with on(date(2027, 4, 22), 10):
        page = client_for(org.head_a).get(reverse("unit_detail", args=[org.bureau_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="unit-reminders"' in html
    assert "29 เม.ย. 2570" in html  # "1 working day before" comes next, for the three of them
    context = unit_reminders(org.bureau_a, today=date(2027, 4, 22))
    sent = [(log.person, log.kind, log.offset) for log in context["sent"] if log.status == "sent"]
    assert sorted(sent, key=lambda r: r[0].pk) == sorted(
        [(p, K.BEFORE, 7) for p in (org.collector, org.supervisor, org.head_a)], key=lambda r: r[0].pk
    )
    coming = context["coming"]
    assert [(c["on"], c["label"]) for c in coming] == [
        (date(2027, 4, 29), K.BEFORE.label),
        (date(2027, 5, 7), K.ESCALATION.label),  # if still not submitted three working days late
        (date(2027, 10, 20), K.WINDOW_2.label),  # seven working days before the final window closes
    ]
    assert set(coming[0]["people"]) == {org.collector, org.supervisor, org.head_a}
    assert "30 เม.ย. 2570" in coming[0]["text"]  # as it will read that day: due the next day
    assert set(coming[1]["people"]) == {org.director, org.planner}
    assert coming[2]["people"] == [org.head_a]

    other = client_for(org.head_b).get(reverse("unit_detail", args=[org.bureau_a.pk]))
    assert other.status_code == 404  # the unit's page keeps its own access rule


def test_the_unit_reminders_cost_the_same_whatever_the_data(report, org, remind):
    remind(date(2027, 4, 21))

    def count():
        with CaptureQueriesContext(connection) as queries:
            context = unit_reminders(org.bureau_a, today=date(2027, 4, 22))
        return len(queries), len(context["coming"][0]["people"]) + len(context["sent"])

    small, shown = count()
    # More of everything: a collector of its own for each KPI, a second round open, more reminders sent.
    for n, kpi in enumerate(KPI.objects.filter(agreement=report.agreement_id)):
        KPI.objects.filter(pk=kpi.pk).update(collector=make_person(f"collector{n}"))
    open_report(report.agreement, 9)
    remind(date(2027, 4, 21))
    large, shown_large = count()
    assert shown_large > shown
    assert large == small
