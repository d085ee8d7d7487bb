"""Entering a round report (DOMAIN §8): the unit head's report page, one KPI's entry form with its live score,
evidence files, and the collector's "my KPIs to report". Thin views over services/flow.py and
services/evidence.py; every view asks reporting.access for the object and the capability it needs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpi_agreements import scoring
from kpi_agreements.core import uploads
from kpi_agreements.criteria.rows import criteria_rows, measure_rows
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.workflow.services import timeline

from .. import selectors
from ..access import can_enter, can_enter_item, can_submit, can_verify, get_item_for, get_report_for
from ..forms.entry import EntryForm, EvidenceForm
from ..models import ReportEvidence, ReportItem, RoundReport
from ..services import evidence as evidence_service
from ..services import flow

PAGE_SIZE = 50


def _documents_url(report) -> str | None:
    # The documents page belongs to another part of the app; the report page works without it.
    try:
        return reverse("report_documents", args=[report.pk])
    except NoReverseMatch:
        return None


@login_required
@require_GET
def report_detail(request, pk):
    """The unit head's report page: self-assessed and verified figures side by side, from the stored cards."""
    report = get_report_for(request.user, pk)
    user = request.user
    may_submit = can_submit(user, report) and report.is_enterable
    context = {
        "report": report,
        "agreement": report.agreement,
        "round": report.round,
        "deadline": selectors.deadline(report.round),
        "report_flags": selectors.flag_labels(report.flags),
        **selectors.report_rows(report, user),
        "problems": flow.submission_problems(report) if may_submit else [],
        "may_submit": may_submit,
        # The verification controls only while the report awaits verification (the moves refuse otherwise).
        "may_verify": report.status in RoundReport.AWAITING_VERIFICATION and can_verify(user, report),
        "may_enter": can_enter(user, report),
        "timeline": timeline(report, flow.LABELS),
        "documents_url": _documents_url(report),
    }
    return render(request, "reporting/report_detail.html", context)


def _entry_item(user, pk) -> ReportItem:
    """While the report is being entered its KPIs' pages are for the people who enter them; once submitted
    they are read-only pages for whoever reads the report (a result sent then is refused with a message)."""
    item = get_item_for(user, pk)
    if item.report.is_enterable:
        item = get_item_for(user, pk, need="enter")
    if not item.is_leaf:
        raise Http404  # a parent KPI is scored from its sub-KPIs: nothing to enter
    return item


def _apply_errors(form, exc: ValidationError) -> None:
    """A service's refusal at its field: the result's message at the first result field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if field == "result":
            field = form.result_fields[0] if form.result_fields else None
        form.add_error(field if field in form.fields else None, errors)


def _live(request, item, form) -> dict:
    """The self-assessed score of what is typed (the year's policy), or nothing when no result is typed."""
    outcome = {"score": None, "error": None}
    if form.is_valid() and form.cleaned_data["result"] is not None:
        policy = item.report.round.fiscal_year.policy
        try:
            outcome["score"] = scoring.score(item.method, item.criteria, form.cleaned_data["result"], policy)
        except scoring.ScoringError as exc:  # criteria frozen broken: say so rather than fail
            outcome["error"] = scoring_message(exc)
    return outcome


def _entry_context(request, item, form=None, evidence_form=None) -> dict:
    report = item.report
    policy = report.round.fiscal_year.policy
    editable = report.is_enterable and can_enter_item(request.user, item)
    return {
        "item": item,
        "report": report,
        "editable": editable,
        "form": form or (EntryForm(item=item) if editable else None),
        "evidence_form": evidence_form or (EvidenceForm() if editable else None),
        "evidence": list(item.evidence.select_related("uploaded_by")),
        "needed_3": selectors.needed(item, 3, policy),
        "needed_5": selectors.needed(item, 5, policy),
        "criteria_cells": criteria_rows(item.method, item.criteria, policy=policy, failed=_("Not achieved")),
        "measures": measure_rows(item.method, item.criteria),
        "result_text": selectors.result_text(item, item.result),
        "verified_result_text": selectors.result_text(item, item.verified_result),
        "flags": selectors.flag_labels(item.flags),
        "offers_later": report.round.months != 12,
        "live": None,
    }


@login_required
@require_http_methods(["GET", "POST"])
def item_enter(request, pk):
    """One KPI's report. An htmx POST only scores what is typed (nothing is saved); a full POST saves."""
    item = _entry_item(request.user, pk)
    if request.method == "POST" and request.htmx:
        form = EntryForm(request.POST, item=item, live=True)
        live = _live(request, item, form)
        return render(request, "reporting/entry_live.html", {"form": form, "live": live, "item": item})
    if request.method == "POST":
        form = EntryForm(request.POST, item=item)
        if form.is_valid():
            data = form.cleaned_data
            try:
                flow.item_enter(
                    item=item,
                    user=request.user,
                    result=data["result"],
                    narrative=data["narrative"],
                    obstacles=data["obstacles"],
                    obstacles_external=data["obstacles_external"],
                    suggestions=data["suggestions"],
                    later_round=data["later_round"],
                    later_reason=data["later_reason"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The KPI's report was saved."))
                return redirect("report_detail", pk=item.report_id)
        context = _entry_context(request, item, form=form)
        context["live"] = _live(request, item, EntryForm(request.POST, item=item, live=True))
        return render(request, "reporting/entry_form.html", context, status=400)
    context = _entry_context(request, item)
    if context["form"] is not None and item.result is not None:
        context["live"] = {"score": item.self_score, "error": None}
    return render(request, "reporting/entry_form.html", context)


@login_required
@require_POST
def item_evidence_add(request, pk):
    item = get_item_for(request.user, pk, need="enter")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence_service.evidence_add(item=item, upload=form.cleaned_data["file"], user=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The evidence was attached."))
            return redirect("item_enter", pk=pk)
    return render(
        request, "reporting/entry_form.html", _entry_context(request, item, evidence_form=form), status=400
    )


@login_required
@require_POST
def item_evidence_remove(request, pk, evidence_pk):
    item = get_item_for(request.user, pk, need="enter")
    evidence = get_object_or_404(ReportEvidence, pk=evidence_pk, item=item)
    try:
        evidence_service.evidence_remove(evidence=evidence, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The evidence file was removed."))
    return redirect("item_enter", pk=pk)


@login_required
@require_GET
@cache_control(private=True, no_store=True)  # evidence is never public (DOMAIN §12), nor kept by proxies
def evidence_download(request, pk):
    """Whoever reads the report may download its evidence, as an attachment only."""
    evidence = get_object_or_404(ReportEvidence.objects.only("id", "item_id", "file", "name"), pk=pk)
    get_item_for(request.user, evidence.item_id)
    return uploads.attachment(evidence.file, evidence.name)


@login_required
@require_GET
def my_reports(request):
    """The KPIs the user collects or supervises in open rounds, and for unit heads and planning staff the
    reports of their units; both paginated, a fixed number of queries whatever the size."""
    items = Paginator(selectors.my_items(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    reports = selectors.my_unit_reports(request.user)
    if reports is not None:
        reports = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("rpage"))
    return render(request, "reporting/entry_mine.html", {"items": items, "reports": reports})


urlpatterns = [
    path("reports/mine/", my_reports, name="my_reports"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/items/<int:pk>/", item_enter, name="item_enter"),
    path("reports/items/<int:pk>/evidence/", item_evidence_add, name="item_evidence_add"),
    path(
        "reports/items/<int:pk>/evidence/<int:evidence_pk>/remove/",
        item_evidence_remove,
        name="item_evidence_remove",
    ),
    path("reports/evidence/<int:pk>/", evidence_download, name="evidence_download"),
]
