"""Reminders (issue 11, DOMAIN §8): with the clock set to each interesting day, every reminder is sent on its
day or caught up once, to exactly the right people, never twice — sequentially, in a lost race, or from two
threads at once — in the application and in one Thai digest e-mail per person and day."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kpi_agreements.fiscal.models import CalendarDay, Milestone
from kpi_agreements.reminders import services
from kpi_agreements.reminders.models import ReminderDigest, ReminderLog, ReminderPolicy, ReminderRun
from kpi_agreements.reminders.schedule import back, forward, policy_for, timeline
from kpi_agreements.reporting.models import RoundReport
from kpi_agreements.reporting.services import flow
from kpi_agreements.workflow.models import Effect, Notice, Transition
from kpi_agreements.workflow.outbox import sweep
from tests.factories import add_kpi, open_change, open_report, sign

BANGKOK = ZoneInfo("Asia/Bangkok")
K = ReminderLog.Kind
S = ReminderLog.Status
# FY 2570's 6-month report is due Fri 30 Apr 2027. Counting working days: Songkran (13–15 Apr) and Chakri
# Day (6 Apr) before it; after it a weekend, then Labour Day in lieu (Mon 3 May) and Coronation Day (4 May).
DEADLINE = date(2027, 4, 30)
BEFORE = {14: date(2027, 4, 7), 7: date(2027, 4, 21), 1: date(2027, 4, 29)}
LATE = {1: date(2027, 5, 5), 2: date(2027, 5, 6), 3: date(2027, 5, 7), 4: date(2027, 5, 10)}


def on(day: date, hour: int = 8, minute: int = 30):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, minute, tzinfo=BANGKOK), tick=False
    )


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run the daily task with the clock set to ``day`` (08:30 Bangkok); its e-mails go out on commit."""

    def run(day: date, hour: int = 8, minute: int = 30) -> ReminderRun:
        with on(day, hour, minute), django_capture_on_commit_callbacks(execute=True):
            return services.reminders_run()

    return run


def days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


def sent(person) -> list[tuple]:
    """What the person was told: (kind, offset, the day of the run), in order."""
    rows = (
        ReminderLog.objects.filter(person=person, status=S.SENT)
        .select_related("run")
        .order_by("created_at", "id")
    )
    return [(r.kind, r.offset, r.run.day) for r in rows]


def mails_to(person) -> list:
    return [m for m in mail.outbox if m.to == [person.email]]


UNIT_PEOPLE = ("collector", "supervisor", "head_a")
ESCALATED = ("director", "planner")
NOBODY_ELSE = ("member", "admin", "executive", "head_b", "outsider", "sub_admin")


def test_the_days_of_the_6_month_round_count_working_days_across_songkran_and_the_may_holidays(report, org):
    year = report.round.fiscal_year
    holidays = year.holiday_dates
    assert [back(DEADLINE, n, holidays) for n in (14, 7, 1)] == [BEFORE[14], BEFORE[7], BEFORE[1]]
    assert [forward(DEADLINE, k, holidays) for k in (1, 2, 3, 4)] == [LATE[1], LATE[2], LATE[3], LATE[4]]
    milestone = year.milestones.get(kind=Milestone.Kind.REPORT_6)
    rows = timeline(year, policy_for(year), milestone)
    assert [r["day"] for r in rows] == [
        BEFORE[14],
        BEFORE[7],
        BEFORE[1],
        DEADLINE,
        LATE[1],
        LATE[2],
        LATE[3],
        LATE[4],
    ]


def test_before_and_on_the_deadline_each_person_is_told_on_the_policy_days_once(report, org, remind):
    for day in days(date(2027, 4, 1), DEADLINE):
        remind(day)
    expected = [
        (K.BEFORE, 14, BEFORE[14]),
        (K.BEFORE, 7, BEFORE[7]),
        (K.BEFORE, 1, BEFORE[1]),
        (K.ON_DAY, 0, DEADLINE),
    ]
    for name in UNIT_PEOPLE:
        person = getattr(org, name)
        assert sent(person) == expected, name
        assert len(mails_to(person)) == 4, name  # one digest on each of the four days
        assert Notice.objects.filter(recipient=person, key__startswith="reminder:").count() == 4
    for name in ESCALATED + NOBODY_ELSE:
        assert sent(getattr(org, name)) == [], name
    assert len(mail.outbox) == 12


def test_weekends_and_holidays_are_skipped_and_the_late_report_is_escalated_on_the_third_working_day(
    report, org, remind
):
    remind(DEADLINE)
    for holiday in (date(2027, 5, 1), date(2027, 5, 2), date(2027, 5, 3), date(2027, 5, 4)):
        run = remind(holiday)
        assert (run.sent, run.skipped) == (0, 0)
        assert "2570" in run.note  # FY 2570: not a working day
    for day in (LATE[1], LATE[2], LATE[3], LATE[4]):
        remind(day)
    after = [(K.AFTER, k, LATE[k]) for k in (1, 2, 3, 4)]
    for name in UNIT_PEOPLE:
        assert sent(getattr(org, name)) == [(K.ON_DAY, 0, DEADLINE), *after], name
    for name in ESCALATED:  # the head of the department above, and the planning staff covering bureau A
        assert sent(getattr(org, name)) == [(K.ESCALATION, 3, LATE[3]), (K.ESCALATION, 4, LATE[4])], name
    for name in NOBODY_ELSE:
        assert sent(getattr(org, name)) == [], name


def test_the_beat_down_for_three_days_is_caught_up_once(report, org, remind):
    remind(DEADLINE)
    run = remind(LATE[4])  # nothing ran on 5, 6 and 7 May
    for name in UNIT_PEOPLE:
        person = getattr(org, name)
        assert sent(person) == [(K.ON_DAY, 0, DEADLINE), (K.AFTER, 4, LATE[4])], name
        skipped = ReminderLog.objects.filter(person=person, status=S.SKIPPED, kind=K.AFTER)
        assert sorted(skipped.values_list("offset", flat=True)) == [1, 2, 3]
        assert len(mails_to(person)) == 2  # the deadline's and today's: not three more
    for name in ESCALATED:
        person = getattr(org, name)
        assert sent(person) == [(K.ESCALATION, 4, LATE[4])], name
        assert list(
            ReminderLog.objects.filter(person=person, status=S.SKIPPED).values_list("offset", flat=True)
        ) == [3]
    assert (run.sent, run.skipped) == (5, 3 * 3 + 2)
    again = remind(LATE[4])
    assert (again.sent, again.skipped, again.failed) == (0, 0, 0)
    assert len(mail.outbox) == 3 + 5


def test_a_missed_reminder_is_sent_late_while_useful_and_logged_as_skipped_once_pointless(
    report, org, remind
):
    remind(BEFORE[14])
    remind(date(2027, 4, 23))  # the beat was down on 21 and 22 April: "7 days before" is caught up
    assert sent(org.head_a)[-1] == (K.BEFORE, 7, date(2027, 4, 23))
    log = ReminderLog.objects.get(person=org.head_a, kind=K.BEFORE, offset=7)
    assert log.due_on == BEFORE[7]
    assert "5" in log.text  # what is true on the day it went out: five working days left (26–30 April)

    # Down again from 26 April until after the deadline: nothing announces a date already gone.
    remind(LATE[1])
    assert sent(org.head_a)[-1] == (K.AFTER, 1, LATE[1])
    pointless = ReminderLog.objects.get(person=org.head_a, kind=K.BEFORE, offset=1)
    assert pointless.status == S.SKIPPED and pointless.due_on == BEFORE[1]
    assert ReminderLog.objects.get(person=org.head_a, kind=K.ON_DAY).status == S.SKIPPED


def test_a_deadline_moved_after_reminders_were_sent_moves_only_the_reminders_to_come(report, org, remind):
    remind(BEFORE[14])
    remind(BEFORE[7])
    milestone = report.round.fiscal_year.milestones.get(kind=Milestone.Kind.REPORT_6)
    milestone.due_date = date(2027, 5, 14)  # Friday: "1 day before" is now Thu 13 May
    milestone.save()
    for day in days(date(2027, 4, 22), date(2027, 5, 14)):
        remind(day)
    expected = [
        (K.BEFORE, 14, BEFORE[14]),
        (K.BEFORE, 7, BEFORE[7]),  # its new day (5 May) came, but it was sent already: not again
        (K.BEFORE, 1, date(2027, 5, 13)),
        (K.ON_DAY, 0, date(2027, 5, 14)),
    ]
    for name in UNIT_PEOPLE:
        assert sent(getattr(org, name)) == expected, name


def test_a_holiday_added_moves_the_reminders_after_it(report, org, remind):
    remind(BEFORE[7])
    CalendarDay.objects.create(fiscal_year=report.round.fiscal_year, date=date(2027, 4, 30), name="วันหยุดพิเศษ")
    # The deadline rolls to Wed 5 May (the weekend, 3 and 4 May are holidays); "1 day before" to Thu 29 April.
    for day in days(date(2027, 4, 22), LATE[1]):
        remind(day)
    assert sent(org.head_a) == [
        (K.BEFORE, 7, BEFORE[7]),
        (K.BEFORE, 1, date(2027, 4, 29)),
        (K.ON_DAY, 0, LATE[1]),
    ]


def test_nothing_before_the_policy_time_and_nothing_when_the_year_sends_no_reminders(report, org, remind):
    early = remind(BEFORE[1], hour=7)
    assert early.sent == 0 and "08:30" in early.note
    assert remind(BEFORE[1]).sent == 3
    policy = policy_for(report.round.fiscal_year)
    policy.enabled = False
    policy.save()
    assert remind(DEADLINE).sent == 0


def test_reminders_stop_for_results_entered_and_once_the_report_is_submitted(report, org, remind):
    for item in report.items.all():
        flow.item_enter(item=item, user=org.collector, result={"actual": "85"}, narrative="ดำเนินการตามแผน")
    remind(BEFORE[1])
    assert [n for n in UNIT_PEOPLE if sent(getattr(org, n))] == ["head_a"]  # only the head, to submit
    assert "KPIs" not in ReminderLog.objects.get(person=org.head_a, status=S.SENT).text
    with on(BEFORE[1], 10):
        flow.report_submit(report=RoundReport.objects.get(pk=report.pk), user=org.head_a)
    run = remind(DEADLINE)
    assert run.sent == 0
    assert ReminderLog.objects.filter(run=run).count() == 0


def test_collectors_are_told_which_of_their_kpis_have_no_result(report, org, remind):
    first = report.items.order_by("order").first()
    flow.item_enter(item=first, user=org.collector, result={"actual": "85"}, narrative="ดำเนินการตามแผน")
    remind(BEFORE[1])
    text = ReminderLog.objects.get(person=org.collector, status=S.SENT).text
    codes = [i.code for i in report.items.order_by("order")]
    assert ", ".join(codes[1:]) in text and f"{codes[0]}," not in text


def test_the_12_month_email_is_thai_with_the_be_deadline_days_late_penalty_so_far_and_a_link(
    agreement, dims, org, remind, settings
):
    settings.SITE_URL = "https://kpi.example.go.th"
    for d in dims:
        add_kpi(
            agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.supervisor, collector=org.collector
        )
    report = open_report(sign(agreement), 12)
    # Due Sun 31 Oct 2027, rolled to Mon 1 Nov; Thu 4 Nov is three working days late: −0.05 × 3.
    remind(date(2027, 11, 4))
    [message] = mails_to(org.head_a)
    body = message.body
    assert "1 พ.ย. 2570" in body and "4 พ.ย. 2570" in message.subject
    assert " 3 " in body and "0.1500" in body
    assert f"https://kpi.example.go.th{reverse('report_detail', args=[report.pk])}" in body
    [escalated] = mails_to(org.director)
    assert "0.1500" in escalated.body
    # The window closing with the report and the reminders before the deadline are past: skipped, not sent.
    assert sent(org.head_a) == [(K.AFTER, 3, date(2027, 11, 4))]


def test_one_digest_a_day_carries_every_reminder_of_the_person(report, org, remind):
    other = open_report(report.agreement, 9)  # both rounds open: the 6- and the 9-month report
    assert other.pk != report.pk
    remind(LATE[1])
    [message] = mails_to(org.head_a)
    assert reverse("report_detail", args=[report.pk]) in message.body
    assert reverse("report_detail", args=[other.pk]) not in message.body  # due 16 July: nothing yet
    remind(date(2027, 7, 16))
    last = mails_to(org.head_a)[-1]
    assert reverse("report_detail", args=[report.pk]) in last.body
    assert reverse("report_detail", args=[other.pk]) in last.body
    assert ReminderDigest.objects.filter(person=org.head_a).count() == 2


def test_a_person_without_an_email_address_is_told_in_the_application_only(report, org, remind):
    org.collector.email = ""
    org.collector.save()
    remind(BEFORE[1])
    log = ReminderLog.objects.get(person=org.collector, status=S.SENT)
    assert log.digest is None and log.reason
    assert Notice.objects.filter(recipient=org.collector, key=f"reminder:{log.pk}").exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.head_a.email, org.supervisor.email])


def test_a_failed_smtp_send_is_retried_through_the_outbox_never_twice(
    report, org, remind, monkeypatch, django_capture_on_commit_callbacks
):
    real = EmailBackend.send_messages
    calls = {"n": 0}

    def flaky(self, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("SMTP server down")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    Effect.objects.update(done_at=timezone.now())  # the round's opening notices are not under test here
    remind(BEFORE[1])
    assert len(mail.outbox) == 2
    failed = Effect.objects.get(done_at__isnull=True)
    assert "SMTP server down" in failed.last_error
    waiting = ReminderDigest.objects.get(sent_at__isnull=True)
    assert waiting.queued_at is not None and not waiting.logs.filter(emailed_at__isnull=False).exists()
    assert remind(BEFORE[1]).sent == 0  # a rerun neither repeats the reminder nor queues the e-mail again
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(getattr(org, n).email for n in UNIT_PEOPLE)
    assert not ReminderLog.objects.filter(status=S.SENT, emailed_at__isnull=True).exists()


def test_a_rerun_sends_nothing_twice(report, org, remind):
    first = remind(BEFORE[1])
    second = remind(BEFORE[1])
    assert first.sent == 3 and (second.sent, second.skipped, second.failed) == (0, 0, 0)
    assert Notice.objects.filter(key__startswith="reminder:").count() == 3 and len(mail.outbox) == 3


def test_a_run_that_loses_the_race_at_the_unique_key_stands_back(report, org, remind, monkeypatch):
    remind(BEFORE[1])
    # As if the other run committed between this run's reading of the log and its inserting.
    monkeypatch.setattr(services, "logged_keys", lambda dues: set())
    late = remind(BEFORE[1])
    assert (late.sent, late.skipped) == (0, 0)
    assert ReminderLog.objects.filter(status=S.SENT).count() == 3
    assert Notice.objects.filter(key__startswith="reminder:").count() == 3 and len(mail.outbox) == 3


def test_a_reminder_that_failed_is_logged_failed_and_sent_by_the_next_run(report, org, remind, monkeypatch):
    real = services._tell

    def broken(log, due, today, now):
        if due.person.pk == org.supervisor.pk:
            raise RuntimeError("broken address book")
        return real(log, due, today, now)

    monkeypatch.setattr(services, "_tell", broken)
    run = remind(BEFORE[1])
    assert (run.sent, run.failed) == (2, 1)
    failed = ReminderLog.objects.get(person=org.supervisor, kind=K.BEFORE, offset=1)
    assert failed.status == S.FAILED and "broken address book" in failed.reason
    monkeypatch.setattr(services, "_tell", real)
    again = remind(BEFORE[1])
    assert (again.sent, again.failed) == (1, 0)
    assert ReminderLog.objects.get(person=org.supervisor, kind=K.BEFORE, offset=1).status == S.SENT
    assert len(mails_to(org.supervisor)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(report, org):
    """Two threads, each with its own connection, run the same day at the same moment, on four days."""
    before = len(mail.outbox)  # the round's opening was announced when the fixture opened it
    errors = []

    def race(day):
        barrier, runs = threading.Barrier(2), []

        def run():
            try:
                barrier.wait()
                runs.append(services.reminders_run())
            except Exception as exc:  # reported by the test, not swallowed
                errors.append(exc)
            finally:
                connection.close()

        with on(day):
            threads = [threading.Thread(target=run) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        return runs

    for day in (BEFORE[14], BEFORE[7], BEFORE[1], DEADLINE):
        runs = race(day)
        assert errors == []
        # SQLite: one run after the other, the second finds it all done. PostgreSQL: they may share the work.
        assert len(runs) == 2 and sum(r.sent for r in runs) == 3, day
    expected = [
        (K.BEFORE, 14, BEFORE[14]),
        (K.BEFORE, 7, BEFORE[7]),
        (K.BEFORE, 1, BEFORE[1]),
        (K.ON_DAY, 0, DEADLINE),
    ]
    for name in UNIT_PEOPLE:
        person = getattr(org, name)
        assert [(kind, offset) for kind, offset, _day in sent(person)] == [(k, o) for k, o, _d in expected]
        assert Notice.objects.filter(recipient=person, key__startswith="reminder:").count() == 4
        assert len([m for m in mail.outbox[before:] if m.to == [person.email]]) == 4
    assert len(mail.outbox[before:]) == 12


# --- returned reports, change-request windows, committees --------------------------------------------------


def submitted(report, org):
    for item in report.items.all():
        flow.item_enter(item=item, user=org.collector, result={"actual": "85"}, narrative="ดำเนินการตามแผน")
    return flow.report_submit(report=RoundReport.objects.get(pk=report.pk), user=org.head_a)


def test_a_returned_report_is_reminded_before_its_due_date(report, org, remind):
    with on(date(2027, 4, 28), 10):
        submitted(report, org)
        asked = report.items.order_by("order").first()
        flow.report_send_back(
            report=RoundReport.objects.get(pk=report.pk),
            user=org.member,
            reason="ขอหลักฐานเพิ่มเติม",
            item_ids=[asked.pk],
            due=date(2027, 5, 21),
        )
    # Due Fri 21 May; Visakha Bucha is Thu 20 May: "1 day before" is Wed 19 May, "7 days before" Tue 11 May.
    for day in days(date(2027, 5, 5), date(2027, 5, 21)):
        remind(day)
    for name in UNIT_PEOPLE:
        assert sent(getattr(org, name)) == [
            (K.RETURN_DUE, 7, date(2027, 5, 11)),
            (K.RETURN_DUE, 1, date(2027, 5, 19)),
        ], name
    assert sent(org.member) == [] and sent(org.director) == []


def test_units_with_a_signed_agreement_and_no_open_request_are_told_once_before_the_window_closes(
    report, org, remind
):
    # The first window closes Wed 31 March 2027; seven working days before it is Mon 22 March.
    for day in days(date(2027, 3, 15), date(2027, 3, 31)):
        remind(day)
    assert sent(org.head_a) == [(K.WINDOW_1, 7, date(2027, 3, 22))]
    assert sent(org.collector) == [] and sent(org.head_b) == []


def test_a_unit_with_an_open_change_request_is_not_told_of_the_window(report, org, remind):
    open_change(report.agreement, org.head_a)
    for day in days(date(2027, 3, 15), date(2027, 3, 31)):
        remind(day)
    assert sent(org.head_a) == []


def test_the_committee_is_reminded_of_a_report_waiting_more_than_five_working_days(report, org, remind):
    with on(DEADLINE, 10):
        submitted(report, org)
    # Arrived Fri 30 April; the sixth working day after it is Wed 12 May (3 and 4 May are holidays), then
    # every five working days while it waits (Wed 19 May).
    for day in days(LATE[1], date(2027, 5, 19)):
        remind(day)
    assert sent(org.member) == [(K.COMMITTEE, 6, date(2027, 5, 12)), (K.COMMITTEE, 11, date(2027, 5, 19))]
    for name in UNIT_PEOPLE + ESCALATED:
        assert sent(getattr(org, name)) == [], name
    with on(date(2027, 5, 20), 9):
        flow.report_verify(report=RoundReport.objects.get(pk=report.pk), user=org.member)
    assert remind(date(2027, 5, 26)).sent == 0


def test_an_agreement_waiting_for_the_committee_reminds_its_deciders(agreement, dims, org, remind):
    from kpi_agreements.agreements.services import negotiation

    for d in dims:
        add_kpi(agreement, d, d.weight, f"ตัวชี้วัดมิติ {d.order}", supervisor=org.head_a, collector=org.head_a)
    with on(date(2026, 11, 2), 10):  # Monday
        negotiation.agreement_submit(agreement=agreement, user=org.head_a)
    arrived = Transition.objects.get(action="submit")
    for day in days(date(2026, 11, 2), date(2026, 11, 10)):
        remind(day)
    log = ReminderLog.objects.get(person=org.member)
    assert (log.kind, log.offset, log.run.day, log.object_id) == (
        K.COMMITTEE,
        6,
        date(2026, 11, 10),
        arrived.pk,
    )
    assert log.url == reverse("agreement_detail", args=[agreement.pk])
    assert ReminderLog.objects.exclude(person=org.member).filter(status=S.SENT).count() == 0


def test_the_policy_is_created_with_the_defaults_of_section_8(org):
    policy = policy_for(org.year)
    assert ReminderPolicy.objects.get(fiscal_year=org.year) == policy
    assert (policy.deadline_offsets, policy.on_deadline, policy.after_deadline) == ([14, 7, 1], True, True)
    assert (policy.escalate_after, policy.return_offsets, policy.window_offsets) == (3, [7, 1], [7])
    assert (policy.committee_wait, policy.send_at.strftime("%H:%M")) == (5, "08:30")


def test_the_beat_runs_the_task_on_working_days_at_0830_bangkok():
    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    assert entry["task"] == "kpi_agreements.reminders.tasks.send_reminders"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({8}, {30}, {1, 2, 3, 4, 5})
    assert settings.CELERY_TIMEZONE == "Asia/Bangkok"
