"""Entering results and the report's one state machine (DOMAIN §8): draft → submitted → (returned for more
information → resubmitted) → verified. Each step is one transaction with its transition row and notices."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from kpi_agreements import scoring
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.workflow.services import check_move, move

from ..models import ReportItem, RoundReport
from .cards import refresh_self_card, refresh_verified_card

LABELS = {
    **dict(RoundReport.Status.choices),
    "submit": gettext_lazy("Submit the report"),
    "send_back": gettext_lazy("Return for more information"),
    "resubmit": gettext_lazy("Resubmit the report"),
    "verify": gettext_lazy("Verify the report"),
    "open": gettext_lazy("Open the round"),
    "closed": gettext_lazy("Not yet open"),
}

# The site-visit flags the engine raises (scoring.FLAGS), in words (§8).
FLAG_LABELS = {
    scoring.FAR_FROM_TARGET: gettext_lazy("Far from target"),
    scoring.EXTERNAL_OBSTACLES: gettext_lazy("Obstacles outside the unit's control"),
    scoring.MISSING_REPORT: gettext_lazy("Missing or unclear report"),
}


def _locked_report(report: RoundReport) -> RoundReport:
    return (
        RoundReport.objects.select_for_update()
        .select_related("round__fiscal_year", "agreement__unit")
        .get(pk=report.pk)
    )


def check_result(item: ReportItem, result, field: str = "result") -> None:
    """A result in the method's shape and range (scoring.validate_result), or a Thai message at the field."""
    try:
        scoring.validate_result(item.method, item.criteria, result)
    except scoring.ScoringError as exc:
        raise ValidationError({field: scoring_message(exc)}) from exc


def check_entry(report: RoundReport, item: ReportItem, *, result, later_round: bool, later_reason: str):
    """What ``item_enter`` refuses, as a ValidationError (by field where there is one); the Excel import of a
    round's results (services.results_import) checks every row with it too."""
    if not report.is_enterable:
        raise ValidationError(_("The report has been submitted; results can no longer be changed."))
    if not item.is_leaf:
        raise ValidationError(_("A parent KPI is scored from its sub-KPIs."))
    if later_round:
        if report.round.months == 12:
            raise ValidationError({"later_round": _("In the 12-month round every KPI reports.")})
        if not later_reason.strip():
            raise ValidationError({"later_reason": _("Say why the KPI reports from a later round.")})
    if result is not None:
        check_result(item, result)


@transaction.atomic
def item_enter(
    *,
    item: ReportItem,
    user,
    result=None,
    narrative: str = "",
    obstacles: str = "",
    obstacles_external: bool = False,
    suggestions: str = "",
    later_round: bool = False,
    later_reason: str = "",
) -> ReportItem:
    """Save one KPI's report while the report is being entered; the self-assessed card follows."""
    report = _locked_report(item.report)
    check_entry(report, item, result=result, later_round=later_round, later_reason=later_reason)
    item = ReportItem.objects.select_for_update().get(pk=item.pk)
    item.result = result
    item.narrative = narrative
    item.obstacles = obstacles
    item.obstacles_external = obstacles_external
    item.suggestions = suggestions
    item.later_round = later_round
    item.later_reason = later_reason if later_round else ""
    item.entered_by = user
    item.entered_at = timezone.now()
    item.save()
    refresh_self_card(report)
    return item


def submission_problems(report: RoundReport) -> list[str]:
    """What is missing before the head may submit (§8): one line per KPI and gap, in the card's order."""
    problems = []
    items = list(report.items.filter(is_leaf=True, later_round=False).prefetch_related("evidence"))
    for item in items:
        name = f"{item.code} {item.name}"
        if item.result is None:
            problems.append(_("%(kpi)s: no result entered.") % {"kpi": name})
        if not item.narrative.strip():
            problems.append(_("%(kpi)s: no account of performance.") % {"kpi": name})
        if item.evidence_required and not item.evidence.all():
            problems.append(_("%(kpi)s: the KPI Template requires evidence; attach a file.") % {"kpi": name})
    if not items:
        problems.append(_("No KPI reports in this round."))
    return problems


def _late_days(report: RoundReport, deadline, day) -> int:
    return scoring.working_days_late(deadline, day, report.round.fiscal_year.holiday_dates)


def _set_penalty(report: RoundReport) -> None:
    policy = report.round.fiscal_year.policy
    report.penalty = scoring.late_penalty(report.round.months, report.days_late, policy)


@transaction.atomic
def report_submit(*, report: RoundReport, user, comment: str = "", at=None) -> RoundReport:
    """The head submits once; lateness is counted now, from the round's effective deadline (§3, §8).

    ``at``: when a report handed in on paper was received (back-office entry and the demo data); the pages
    always submit now.
    """
    report = _locked_report(report)
    check_move(report.submit, user, labels=LABELS)
    problems = submission_problems(report)
    if problems:
        raise ValidationError(problems)
    now = at or timezone.now()
    milestone = report.round.fiscal_year.milestones.get(kind=report.round.milestone_kind)
    report.submitted_at = now
    report.submitted_by = user
    report.days_late = _late_days(report, milestone.due_date, timezone.localdate(now))
    _set_penalty(report)
    move(report, "submit", user, labels=LABELS, comment=comment, check=False)
    refresh_self_card(report)
    return report


def _mark_asked(items: list[ReportItem], asked: bool, user, reason: str) -> None:
    """A verifier's question on a KPI is part of its history: never a bare .update() (STYLE.md)."""
    for item in items:
        item.needs_more = asked
    if items:
        bulk_update_with_history(
            items, ReportItem, ["needs_more"], default_user=user, default_change_reason=reason
        )


@transaction.atomic
def report_send_back(*, report: RoundReport, user, reason: str, item_ids=(), due=None) -> RoundReport:
    """A verifier returns the report for more information with a reason and a due date (policy: 30 days)."""
    report = _locked_report(report)
    check_move(report.send_back, user, labels=LABELS)
    if not reason.strip():
        raise ValidationError({"reason": _("Say what more information is needed.")})
    today = timezone.localdate()
    due = due or today + timedelta(days=report.round.fiscal_year.return_days)
    if due < today:
        raise ValidationError({"due": _("The due date cannot be in the past.")})
    report.return_reason = reason
    report.return_due = due
    _mark_asked(list(report.items.filter(pk__in=list(item_ids))), True, user, "returned for more information")
    move(report, "send_back", user, labels=LABELS, comment=reason, check=False)
    return report


@transaction.atomic
def report_resubmit(*, report: RoundReport, user, comment: str = "") -> RoundReport:
    """Resubmitted by its own due date it is not late again; after it, the working days past the due date add
    to the penalty (§8)."""
    report = _locked_report(report)
    check_move(report.resubmit, user, labels=LABELS)
    problems = submission_problems(report)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    report.resubmitted_at = now
    if report.return_due:
        report.days_late += _late_days(report, report.return_due, timezone.localdate(now))
        _set_penalty(report)
    _mark_asked(list(report.items.filter(needs_more=True)), False, user, "resubmitted")
    move(report, "resubmit", user, labels=LABELS, comment=comment, check=False)
    refresh_self_card(report)
    return report


@transaction.atomic
def item_verify(*, item: ReportItem, user, result=None, note: str = "") -> ReportItem:
    """A verifier's result (None: the unit's result accepted as entered) and note for one KPI."""
    report = _locked_report(item.report)
    check_move(report.verify, user, labels=LABELS)
    if not item.is_leaf:
        raise ValidationError(_("A parent KPI is scored from its sub-KPIs."))
    if result is not None:
        check_result(item, result)
    item = ReportItem.objects.select_for_update().get(pk=item.pk)
    item.verified_result = result
    item.verifier_note = note
    item.verified_by = user
    item.save()
    refresh_verified_card(report)
    return item


@transaction.atomic
def report_verify(*, report: RoundReport, user, comment: str = "") -> RoundReport:
    report = _locked_report(report)
    check_move(report.verify, user, labels=LABELS)
    report.verified_at = timezone.now()
    report.verified_by = user
    move(report, "verify", user, labels=LABELS, comment=comment, check=False)
    refresh_verified_card(report)
    return report
