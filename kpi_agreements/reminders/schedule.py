"""What is due: every reminder of the year's policy, as its key (what, kind, offset, person) and the working
day it falls due, computed from the state of things today. Nothing is matched against "today ± N days", so
a day the task did not run is found again the next time (issue 11)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi_agreements import scoring
from kpi_agreements.agreements.access import deciders
from kpi_agreements.agreements.models import Agreement, ChangeRequest
from kpi_agreements.core.thai import be_date
from kpi_agreements.fiscal.models import FiscalYear, Milestone
from kpi_agreements.organisation.models import Person, Role, RoleAssignment, Unit
from kpi_agreements.reporting.access import verifiers
from kpi_agreements.reporting.models import ReportItem, RoundReport
from kpi_agreements.workflow.models import Transition

from .models import ReminderLog, ReminderPolicy

Kind = ReminderLog.Kind
ONE_DAY = timedelta(days=1)
WINDOW_KINDS = {Milestone.Kind.CHANGE_WINDOW_1: Kind.WINDOW_1, Milestone.Kind.CHANGE_WINDOW_2: Kind.WINDOW_2}


@dataclass
class Due:
    """One reminder to one person. Reminders of one ``family`` replace each other: after days without a
    run only the latest one due is sent, the earlier ones are logged as skipped (caught up once)."""

    subject: object
    kind: str
    offset: int
    person: Person
    on: date  # the working day it falls due under today's calendar
    deadline: date | None
    unit: Unit | None
    url: str
    family: tuple
    order: int
    # After this day the reminder says nothing useful ("7 days before" a deadline that has passed).
    expires: date | None
    line: Callable[[date], str] = field(repr=False)

    @property
    def key(self) -> tuple:
        return (
            ContentType.objects.get_for_model(self.subject).pk,
            self.subject.pk,
            self.kind,
            self.offset,
            self.person.pk,
        )


def policy_for(year: FiscalYear) -> ReminderPolicy:
    """The year's policy, created with the defaults of §8 when first asked for."""
    return ReminderPolicy.objects.get_or_create(fiscal_year=year)[0]


# --- working days ------------------------------------------------------------------------------------


def back(day: date, n: int, holidays) -> date:
    """The n-th working day before ``day``."""
    while n:
        day -= ONE_DAY
        n -= scoring.is_working_day(day, holidays)
    return day


def forward(day: date, n: int, holidays) -> date:
    """The n-th working day after ``day``."""
    while n:
        day += ONE_DAY
        n -= scoring.is_working_day(day, holidays)
    return day


def between(first: date, last: date, holidays) -> int:
    """Working days after ``first`` up to and including ``last`` (0 when ``last`` is not later)."""
    if last <= first:
        return 0
    return scoring.working_days_late(first, last, holidays)


# --- links -------------------------------------------------------------------------------------------


def report_url(report: RoundReport) -> str:
    return reverse("report_detail", args=[report.pk])


# --- who ---------------------------------------------------------------------------------------------


class People:
    """Heads, parent heads and planning staff of a set of units, read in three queries."""

    def __init__(self, units: list[Unit]):
        self.heads: dict[int, list[Person]] = defaultdict(list)
        self.planners: dict[int, list[Person]] = defaultdict(list)
        for unit in units:
            if unit.head_id and unit.head.is_active:
                self.heads[unit.pk].append(unit.head)
        roles = RoleAssignment.objects.filter(
            role=Role.UNIT_HEAD, unit__in=[u.pk for u in units], person__is_active=True
        ).select_related("person")
        for ra in roles:
            if ra.person not in self.heads[ra.unit_id]:
                self.heads[ra.unit_id].append(ra.person)
        paths = {p for u in units for p in u.ancestor_paths(include_self=True)}
        planning = RoleAssignment.objects.filter(
            role=Role.PLANNING, unit__path__in=paths, unit__is_active=True, person__is_active=True
        ).select_related("person", "unit")
        for unit in units:
            for ra in planning:
                if unit.path.startswith(ra.unit.path) and ra.person not in self.planners[unit.pk]:
                    self.planners[unit.pk].append(ra.person)
        parent_ids = {u.parent_id for u in units if u.parent_id}
        parents = Unit.objects.filter(pk__in=parent_ids, head__is_active=True).select_related("head")
        self.parent_head = {p.pk: p.head for p in parents}

    def escalation(self, unit: Unit) -> list[Person]:
        people = list(self.planners[unit.pk])
        head = self.parent_head.get(unit.parent_id)
        if head is not None and head not in people:
            people.insert(0, head)
        return people


# --- the plan ----------------------------------------------------------------------------------------


def plan(
    year: FiscalYear, policy: ReminderPolicy, today: date, *, unit: Unit | None = None, ahead: bool = False
):
    """Every reminder due on or before ``today`` (with ``ahead``, also the next one of each family), for the
    whole year or one unit."""
    holidays = year.holiday_dates
    found = []
    found += _round_deadlines(year, policy, today, holidays, unit, ahead)
    found += _returned(year, policy, today, holidays, unit, ahead)
    found += _windows(year, policy, today, holidays, unit, ahead)
    found += _committees(year, policy, today, holidays, unit, ahead)
    if not ahead:
        found = [d for d in found if d.on <= today]
    return found


def _unit_filter(unit, prefix: str) -> Q:
    return Q(**{prefix: unit}) if unit is not None else Q()


def _milestones(year: FiscalYear) -> dict[str, Milestone]:
    return {m.kind: m for m in year.milestones.all()}


def _report_name(report: RoundReport, milestone: Milestone) -> str:
    return f"{milestone.get_kind_display()} {report.agreement.unit.abbreviation}"


def _deadline_line(report, name, deadline, holidays, policy_scoring, codes) -> Callable[[date], str]:
    months = report.round.months

    def line(today: date) -> str:
        values = {"report": name, "deadline": be_date(deadline)}
        if today < deadline:
            values["days"] = between(today, deadline, holidays)
            text = _("%(report)s is due on %(deadline)s: %(days)s working days left.") % values
        elif today == deadline:
            text = _("%(report)s is due today, %(deadline)s.") % values
        else:
            late = scoring.working_days_late(deadline, today, holidays)
            values["days"] = late
            text = _("%(report)s was due on %(deadline)s and is %(days)s working days late.") % values
            penalty = scoring.late_penalty(months, late, policy_scoring)
            if penalty:
                text += " " + _("Late penalty so far: %(penalty)s points.") % {"penalty": penalty}
        if codes:
            text += " " + _("Your KPIs without a result: %(codes)s.") % {"codes": ", ".join(codes)}
        return text

    return line


def _round_deadlines(year, policy, today, holidays, unit, ahead) -> list[Due]:
    """Draft reports of the open rounds: before, on and after the round's effective deadline."""
    reports = list(
        RoundReport.objects.filter(
            _unit_filter(unit, "agreement__unit"),
            round__fiscal_year=year,
            round__opened_at__isnull=False,
            status=RoundReport.Status.DRAFT,
        ).select_related("round", "agreement__unit__head")
    )
    if not reports:
        return []
    milestones = _milestones(year)
    people = People([r.agreement.unit for r in reports])
    # The collectors and supervisors of the KPIs still without a result, each with their KPIs' numbers.
    named: dict[int, dict[int, tuple[Person, list[str]]]] = defaultdict(dict)
    missing = ReportItem.objects.filter(
        report__in=reports, is_leaf=True, later_round=False, result__isnull=True
    ).select_related("kpi__collector", "kpi__supervisor")
    for item in missing:
        for person in (item.kpi.collector, item.kpi.supervisor):
            if person is not None and person.is_active:
                entry = named[item.report_id].setdefault(person.pk, (person, []))
                if item.code not in entry[1]:
                    entry[1].append(item.code)
    scoring_policy = year.policy
    found = []
    for report in reports:
        milestone = milestones.get(report.round.milestone_kind)
        if milestone is None:
            continue
        agreement_unit = report.agreement.unit
        deadline = scoring.effective_deadline(milestone.due_date, holidays)
        late = between(deadline, today, holidays)
        steps = [(Kind.BEFORE, n, back(deadline, n, holidays), deadline) for n in policy.deadline_offsets]
        if policy.on_deadline:
            steps.append((Kind.ON_DAY, 0, deadline, None))
        if policy.after_deadline:
            steps += [
                (Kind.AFTER, k, forward(deadline, k, holidays), None) for k in range(1, late + 1 + ahead)
            ]
        recipients = dict(named[report.pk])
        for head in people.heads[agreement_unit.pk]:
            recipients.setdefault(head.pk, (head, []))
        name = _report_name(report, milestone)
        url = report_url(report)
        for person, codes in recipients.values():
            line = _deadline_line(report, name, deadline, holidays, scoring_policy, codes)
            for order, (kind, offset, on, expires) in enumerate(steps):
                found.append(
                    Due(
                        subject=report,
                        kind=kind,
                        offset=offset,
                        person=person,
                        on=on,
                        deadline=deadline,
                        unit=agreement_unit,
                        url=url,
                        family=("deadline", report.pk, person.pk),
                        order=order,
                        expires=expires,
                        line=line,
                    )
                )
        if policy.escalate_after:
            line = _deadline_line(report, name, deadline, holidays, scoring_policy, [])
            for person in people.escalation(agreement_unit):
                if person.pk in recipients:
                    continue  # told already as one of the unit's own people
                for k in range(policy.escalate_after, max(late, policy.escalate_after - 1) + 1 + ahead):
                    on = forward(deadline, k, holidays)
                    found.append(
                        Due(
                            subject=report,
                            kind=Kind.ESCALATION,
                            offset=k,
                            person=person,
                            on=on,
                            deadline=deadline,
                            unit=agreement_unit,
                            url=url,
                            family=("escalation", report.pk, person.pk),
                            order=k,
                            expires=None,
                            line=line,
                        )
                    )
    return found


def _last_transitions(model, ids, **filters) -> dict[int, Transition]:
    """The latest transition of each object, in one query."""
    rows = Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=list(ids), **filters
    ).order_by("object_id", "-at", "-id")
    last = {}
    for row in rows:
        last.setdefault(row.object_id, row)
    return last


def _returned(year, policy, today, holidays, unit, ahead) -> list[Due]:
    """Reports returned for more information: before their due date. Each return is its own subject (the
    transition that returned it), so a second return is announced again."""
    offsets = policy.return_offsets
    if not offsets:
        return []
    reports = list(
        RoundReport.objects.filter(
            _unit_filter(unit, "agreement__unit"),
            round__fiscal_year=year,
            status=RoundReport.Status.RETURNED,
            return_due__isnull=False,
        ).select_related("round", "agreement__unit__head")
    )
    if not reports:
        return []
    returns = _last_transitions(RoundReport, [r.pk for r in reports], action="send_back")
    people = People([r.agreement.unit for r in reports])
    asked: dict[int, dict[int, Person]] = defaultdict(dict)
    items = ReportItem.objects.filter(report__in=reports, needs_more=True).select_related(
        "kpi__collector", "kpi__supervisor"
    )
    for item in items:
        for person in (item.kpi.collector, item.kpi.supervisor):
            if person is not None and person.is_active:
                asked[item.report_id][person.pk] = person
    milestones = _milestones(year)
    found = []
    for report in reports:
        sent_back = returns.get(report.pk)
        milestone = milestones.get(report.round.milestone_kind)
        if sent_back is None or milestone is None:
            continue
        due = scoring.effective_deadline(report.return_due, holidays)
        name = _report_name(report, milestone)

        def line(today, name=name, due=due):
            values = {"report": name, "due": be_date(due), "days": between(today, due, holidays)}
            return (
                _("%(report)s was returned for more information, due on %(due)s: %(days)s working days left.")
                % values
            )

        recipients = {p.pk: p for p in people.heads[report.agreement.unit_id]} | asked[report.pk]
        url = report_url(report)
        for person in recipients.values():
            for order, n in enumerate(offsets):
                found.append(
                    Due(
                        subject=sent_back,
                        kind=Kind.RETURN_DUE,
                        offset=n,
                        person=person,
                        on=back(due, n, holidays),
                        deadline=due,
                        unit=report.agreement.unit,
                        url=url,
                        family=("return", sent_back.pk, person.pk),
                        order=order,
                        expires=due,
                        line=line,
                    )
                )
    return found


def _windows(year, policy, today, holidays, unit, ahead) -> list[Due]:
    """Before each change-request window closes: the heads of units whose agreement is signed and who have
    no change request open."""
    offsets = policy.window_offsets
    windows = [m for m in year.milestones.all() if m.kind in WINDOW_KINDS]
    if not offsets or not windows:
        return []
    open_requests = ChangeRequest.objects.filter(
        status__in=[ChangeRequest.Status.DRAFT, ChangeRequest.Status.SUBMITTED]
    ).values("agreement_id")
    agreements = list(
        Agreement.objects.filter(_unit_filter(unit, "unit"), fiscal_year=year, status=Agreement.Status.SIGNED)
        .exclude(pk__in=open_requests)
        .select_related("unit__head")
    )
    if not agreements:
        return []
    people = People([a.unit for a in agreements])
    found = []
    for milestone in windows:
        start = milestone.start_date or milestone.due_date
        end = scoring.effective_deadline(milestone.due_date, holidays)
        kind = WINDOW_KINDS[milestone.kind]
        label = milestone.get_kind_display()

        def line(today, end=end, label=label):
            values = {"window": label, "end": be_date(end), "days": between(today, end, holidays)}
            return _("%(window)s closes on %(end)s: %(days)s working days left to request a change.") % values

        for agreement in agreements:
            url = reverse("agreement_detail", args=[agreement.pk])
            for person in people.heads[agreement.unit_id]:
                for order, n in enumerate(offsets):
                    on = max(back(end, n, holidays), start)  # not before the window opens
                    found.append(
                        Due(
                            subject=agreement,
                            kind=kind,
                            offset=n,
                            person=person,
                            on=on,
                            deadline=end,
                            unit=agreement.unit,
                            url=url,
                            family=("window", agreement.pk, kind, person.pk),
                            order=order,
                            expires=end,
                            line=line,
                        )
                    )
    return found


def _committees(year, policy, today, holidays, unit, ahead) -> list[Due]:
    """Items waiting in a committee's queue: agreements and change requests to decide, reports to verify,
    counted from their last transition; after N working days, then every N working days."""
    wait = policy.committee_wait
    if not wait:
        return []
    waiting = []  # (subject, people, unit, url, label)
    agreements = Agreement.objects.filter(
        _unit_filter(unit, "unit"), fiscal_year=year, status=Agreement.Status.SUBMITTED
    ).select_related("unit", "fiscal_year")
    for agreement in agreements:
        label = _("The agreement of %(unit)s") % {"unit": agreement.unit.abbreviation}
        waiting.append(
            (
                agreement,
                deciders(agreement),
                agreement.unit,
                reverse("agreement_detail", args=[agreement.pk]),
                label,
            )
        )
    changes = ChangeRequest.objects.filter(
        _unit_filter(unit, "agreement__unit"),
        agreement__fiscal_year=year,
        status=ChangeRequest.Status.SUBMITTED,
    ).select_related("agreement__unit", "agreement__fiscal_year")
    for change in changes:
        label = _("Change request %(n)s of %(unit)s") % {
            "n": change.pk,
            "unit": change.agreement.unit.abbreviation,
        }
        waiting.append(
            (
                change,
                deciders(change.agreement, change),
                change.agreement.unit,
                reverse("change_detail", args=[change.pk]),
                label,
            )
        )
    reports = RoundReport.objects.filter(
        _unit_filter(unit, "agreement__unit"),
        round__fiscal_year=year,
        status__in=RoundReport.AWAITING_VERIFICATION,
    ).select_related("round__fiscal_year", "agreement__unit")
    milestones = _milestones(year)
    for report in reports:
        name = (
            _report_name(report, milestones[report.round.milestone_kind])
            if report.round.milestone_kind in milestones
            else str(report)
        )
        waiting.append((report, list(verifiers(report)), report.agreement.unit, report_url(report), name))
    last = {}
    for model in (Agreement, ChangeRequest, RoundReport):
        ids = [s.pk for s, *_rest in waiting if isinstance(s, model)]
        if ids:
            last.update({(model, pk): t for pk, t in _last_transitions(model, ids).items()})
    found = []
    for subject, members, subject_unit, url, label in waiting:
        arrived = last.get((type(subject), subject.pk))
        if arrived is None:
            continue
        since = timezone.localtime(arrived.at).date()
        waited = between(since, today, holidays)

        def line(today, label=label, since=since):
            values = {"item": label, "since": be_date(since), "days": between(since, today, holidays)}
            return _("%(item)s has waited for the committee since %(since)s: %(days)s working days.") % values

        offsets = list(range(wait + 1, waited + 1, wait))
        if ahead:
            offsets.append(offsets[-1] + wait if offsets else wait + 1)
        for person in members:
            if not person.is_active:
                continue
            for order, k in enumerate(offsets):
                found.append(
                    Due(
                        subject=arrived,
                        kind=Kind.COMMITTEE,
                        offset=k,
                        person=person,
                        on=forward(since, k, holidays),
                        deadline=None,
                        unit=subject_unit,
                        url=url,
                        family=("committee", arrived.pk, person.pk),
                        order=order,
                        expires=None,
                        line=line,
                    )
                )
    return found


# --- the timeline of one round, for the policy page and docs/reminders.md ------------------------------


def timeline(year: FiscalYear, policy: ReminderPolicy, milestone: Milestone) -> list[dict]:
    """Day → who is told, for one round's deadline under the policy (the first days after it; then every
    working day until the report is submitted)."""
    holidays = year.holiday_dates
    deadline = scoring.effective_deadline(milestone.due_date, holidays)
    unit_people = _("collectors and supervisors of KPIs without a result; the unit head")
    above = _("also the head of the unit above and the planning staff covering the unit")
    rows = [
        {
            "day": back(deadline, n, holidays),
            "when": _("%(n)s working days before") % {"n": n},
            "who": unit_people,
        }
        for n in policy.deadline_offsets
    ]
    if policy.on_deadline:
        rows.append({"day": deadline, "when": _("on the deadline"), "who": unit_people})
    if policy.after_deadline:
        last = max(policy.escalate_after, 1) + 1
        for k in range(1, last + 1):
            who = unit_people
            if policy.escalate_after and k >= policy.escalate_after:
                who = f"{unit_people}; {above}"
            rows.append(
                {
                    "day": forward(deadline, k, holidays),
                    "when": _("%(n)s working days late") % {"n": k},
                    "who": who,
                }
            )
    return rows
