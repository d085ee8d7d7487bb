"""The report's workflow pages (issue 10 items 1, 3, 4, 5, 8): the year's rounds and their policy, a round's
overview and site-visit flags, the verifier's queue, and the moves of a report. Thin views: an access helper,
a form, one service call, a redirect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpi_agreements import scoring
from kpi_agreements.core.params import id_param
from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.calendar import effective_due_date
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import get_unit_for, scope_of
from kpi_agreements.organisation.views import _apply_errors

from .. import selectors
from ..access import (
    can_open_rounds,
    get_item_for,
    get_report_for,
    get_round_for,
    reports_visible_to,
    verifiable_by,
)
from ..forms.flow import ReportingPolicyForm, SendBackForm, VerifiedResultForm
from ..models import ReportItem, RoundReport
from ..services import flow
from ..services import rounds as round_services
from ..services.policy import reporting_policy_save

PAGE_SIZE = 50


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _flag_labels(rows) -> None:
    for row in rows:
        row.flag_labels = [flow.FLAG_LABELS.get(f, f) for f in row.flags]


# --- the year's rounds and their policy -----------------------------------------------------------------


@login_required
def year_rounds(request, pk):
    year = get_fiscal_year_for(request.user, pk)
    may_open = can_open_rounds(request.user)
    if request.method == "POST" and not may_open:
        raise Http404
    rounds = list(year.rounds.all())
    form = ReportingPolicyForm(request.POST or None, fiscal_year=year, rounds=rounds) if may_open else None
    if request.method == "POST" and form.is_valid():
        try:
            reporting_policy_save(
                fiscal_year=year,
                opens_on=form.opening_dates(),
                return_days=form.cleaned_data["return_days"],
                planning_verifies=form.cleaned_data["planning_verifies"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The reporting policy of %(year)s was saved.") % {"year": year})
            return redirect("year_rounds", pk=year.pk)
    return render(
        request,
        "reporting/round_list.html",
        {"year": year, "rounds": _round_rows(request.user, year, rounds), "may_open": may_open, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


def _round_rows(user, year: FiscalYear, rounds) -> list:
    milestones = {m.kind: m for m in year.milestones.all()}
    counts = {}
    visible = reports_visible_to(user).filter(round__fiscal_year=year)
    for row in visible.values("round_id", "status").annotate(n=Count("pk")):
        counts.setdefault(row["round_id"], {})[row["status"]] = row["n"]
    for r in rounds:
        r.fiscal_year = year  # one year object, so its holidays are read once
        milestone = milestones.get(r.milestone_kind)
        if milestone is not None:
            milestone.fiscal_year = year
            r.due = milestone.due_date
            r.effective_due = effective_due_date(milestone)
        else:
            r.due = r.effective_due = None
        mine = counts.get(r.pk, {})
        r.counts = [(label, mine.get(status, 0)) for status, label in RoundReport.Status.choices]
        r.report_count = sum(mine.values())
    return rounds


@login_required
@require_POST
def round_open(request, pk):
    round = get_round_for(request.user, pk, need="open")
    built = round_services.round_open(round=round, user=request.user)
    messages.success(
        request,
        _("%(round)s is open for results; %(count)s reports were built.") % {"round": round, "count": built},
    )
    return redirect("year_rounds", pk=round.fiscal_year_id)


# --- a round's overview and its site-visit flags ---------------------------------------------------------


def _subtree_units(user) -> list:
    """The units a subtree filter may name: those the user reads that have units below them."""
    units = list(scope_of(user).units().filter(is_active=True, numchild__gt=0).order_by("path"))
    top = min((u.depth for u in units), default=1)
    for u in units:
        u.indent = "\u00a0\u00a0" * (u.depth - top)
    return units


@login_required
@require_GET
def round_overview(request, pk):
    round = get_round_for(request.user, pk)
    reports = (
        reports_visible_to(request.user)
        .filter(round=round)
        .select_related("agreement__unit")
        .order_by("agreement__unit__path", "pk")
    )
    status = request.GET.get("status", "")
    if status:
        if status not in RoundReport.Status.values:
            raise Http404
        reports = reports.filter(status=status)
    unit = None
    if (unit_pk := id_param(request, "unit")) is not None:
        unit = get_unit_for(request.user, unit_pk)
        reports = reports.filter(agreement__unit__path__startswith=unit.path)
    page = _page(request, reports)
    _flag_labels(page.object_list)
    return render(
        request,
        "reporting/round_overview.html",
        {
            "round": round,
            "page": page,
            "statuses": RoundReport.Status.choices,
            "status": status,
            "unit": unit,
            "units": _subtree_units(request.user),
            "query": _query(status=status, unit=unit.pk if unit else ""),
        },
    )


def _query(**params) -> str:
    """The filters for the pager's links."""
    return urlencode({k: v for k, v in params.items() if v})


@login_required
@require_GET
def round_flags(request, pk):
    round = get_round_for(request.user, pk)
    items = (
        ReportItem.objects.filter(
            report__in=reports_visible_to(request.user).filter(round=round), is_leaf=True
        )
        # The flags are a JSON list: its text form is searched the same way on SQLite and PostgreSQL.
        .annotate(flag_text=Cast("flags", TextField()))
        .select_related("report__agreement__unit")
        .order_by("report__agreement__unit__path", "order", "pk")
    )
    flag = request.GET.get("flag", "")
    if flag:
        if flag not in scoring.FLAGS:
            raise Http404
        items = items.filter(flag_text__contains=f'"{flag}"')
    else:
        any_flag = Q(pk__in=[])
        for code in scoring.FLAGS:
            any_flag |= Q(flag_text__contains=f'"{code}"')
        items = items.filter(any_flag)
    page = _page(request, items)
    _flag_labels(page.object_list)
    return render(
        request,
        "reporting/round_flags.html",
        {
            "round": round,
            "page": page,
            "flags": [(code, flow.FLAG_LABELS[code]) for code in scoring.FLAGS],
            "flag": flag,
            "query": _query(flag=flag),
        },
    )


# --- the verifier's queue ----------------------------------------------------------------------------------


@login_required
@require_GET
def verify_queue(request):
    reports = (
        reports_visible_to(request.user)
        .filter(verifiable_by(request.user))
        .select_related("round__fiscal_year", "agreement__unit")
        .order_by("submitted_at", "pk")
    )
    page = _page(request, reports)
    return render(
        request,
        "reporting/flow_queue.html",
        {"page": page, "current_year": FiscalYear.objects.filter(is_current=True).first()},
    )


# --- the moves of a report ---------------------------------------------------------------------------------


def _refused(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _move(request, pk, need: str, service, done: str):
    """One button's move on the report: the capability, the service, its messages, back to the report."""
    report = get_report_for(request.user, pk, need=need)
    try:
        service(report=report, user=request.user, comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect("report_detail", pk=pk)


@login_required
@require_POST
def report_submit(request, pk):
    return _move(request, pk, "submit", flow.report_submit, _("The report was submitted for verification."))


@login_required
@require_POST
def report_resubmit(request, pk):
    return _move(
        request, pk, "submit", flow.report_resubmit, _("The report was resubmitted for verification.")
    )


@login_required
@require_POST
def report_verify(request, pk):
    return _move(request, pk, "verify", flow.report_verify, _("The report was verified."))


def _not_awaiting(request, report):
    """The verifier's pages serve a report awaiting verification only; otherwise back to the report."""
    state = report.get_status_display()
    messages.info(request, _("This report is not awaiting verification (%(state)s).") % {"state": state})
    return redirect("report_detail", pk=report.pk)


@login_required
def report_send_back(request, pk):
    report = get_report_for(request.user, pk, need="verify")
    if report.status not in RoundReport.AWAITING_VERIFICATION:
        return _not_awaiting(request, report)
    form = SendBackForm(request.POST or None, report=report)
    if request.method == "POST" and form.is_valid():
        try:
            flow.report_send_back(
                report=report,
                user=request.user,
                reason=form.cleaned_data["reason"],
                item_ids=[i.pk for i in form.cleaned_data["items"]],
                due=form.cleaned_data["due"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The report was returned for more information."))
            return redirect("report_detail", pk=pk)
    return render(
        request,
        "reporting/flow_send_back.html",
        {"report": report, "form": form},
        status=400 if form.errors else 200,
    )


def _apply_result_errors(form, exc: ValidationError) -> None:
    """The service's message about the result goes to the first result input, the rest as usual."""
    if hasattr(exc, "error_dict") and "result" in exc.error_dict:
        form.add_error(form.result_fields[0] if form.result_fields else None, exc.error_dict.pop("result"))
        if not exc.error_dict:
            return
    _apply_errors(form, exc)


@login_required
def item_verify(request, pk):
    item = get_item_for(request.user, pk, need="verify")
    if not item.is_leaf:
        raise Http404  # a parent KPI is scored from its sub-KPIs: nothing to verify
    if item.report.status not in RoundReport.AWAITING_VERIFICATION:
        return _not_awaiting(request, item.report)
    form = VerifiedResultForm(request.POST if request.method == "POST" else None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            flow.item_verify(
                item=item,
                user=request.user,
                result=form.cleaned_data["verified_result"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _apply_result_errors(form, exc)
        else:
            messages.success(request, _("The verified result of %(kpi)s was saved.") % {"kpi": item.code})
            return redirect("report_detail", pk=item.report_id)
    item.flag_labels = [flow.FLAG_LABELS.get(f, f) for f in item.flags]
    return render(
        request,
        "reporting/flow_item_verify.html",
        {
            "item": item,
            "report": item.report,
            "form": form,
            "evidence": list(item.evidence.all()),
            "unit_result": selectors.result_text(item, item.result),
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("years/<int:pk>/rounds/", year_rounds, name="year_rounds"),
    path("rounds/<int:pk>/", round_overview, name="round_overview"),
    path("rounds/<int:pk>/open/", round_open, name="round_open"),
    path("rounds/<int:pk>/flags/", round_flags, name="round_flags"),
    path("reports/verify/", verify_queue, name="verify_queue"),
    path("reports/<int:pk>/submit/", report_submit, name="report_submit"),
    path("reports/<int:pk>/resubmit/", report_resubmit, name="report_resubmit"),
    path("reports/<int:pk>/verify/", report_verify, name="report_verify"),
    path("reports/<int:pk>/return/", report_send_back, name="report_send_back"),
    path("reports/items/<int:pk>/verify/", item_verify, name="item_verify"),
]
