"""Thin views over the agreement's workflow: access check, form, one service call, redirect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.agreements.access import decidable_by, get_agreement_for, get_kpi_for, get_proposal_for
from kpi_agreements.agreements.forms.negotiation import ProposalForm, ResolutionForm
from kpi_agreements.agreements.models import Agreement, ChangeRequest, Party
from kpi_agreements.agreements.services import negotiation
from kpi_agreements.core.params import id_param
from kpi_agreements.criteria.forms import CalculatorForm, CriteriaForm
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.views import _apply_errors


def _refused(request, exc: ValidationError, pk):
    messages.error(request, " ".join(exc.messages))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def agreement_submit(request, pk):
    agreement = get_agreement_for(request.user, pk, need="manage")
    try:
        negotiation.agreement_submit(
            agreement=agreement, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("The agreement was submitted to the committee."))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def agreement_request_revision(request, pk):
    agreement = get_agreement_for(request.user, pk, need="decide")
    try:
        negotiation.agreement_request_revision(
            agreement=agreement, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("The agreement was sent back for revision."))
    return redirect("agreement_detail", pk=pk)


@login_required
def agreement_approve(request, pk):
    agreement = get_agreement_for(request.user, pk, need="decide")
    form = ResolutionForm(request.POST or None, fiscal_year=agreement.fiscal_year)
    if request.method == "POST" and form.is_valid():
        try:
            negotiation.agreement_approve(agreement=agreement, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The agreement was approved."))
            return redirect("agreement_detail", pk=pk)
    return render(
        request, "organisation/form.html", {"form": form, "title": _("Approve %(a)s") % {"a": agreement}}
    )


@login_required
@require_POST
def agreement_sign(request, pk, party_pk):
    agreement = get_agreement_for(request.user, pk, need="sign")
    party = get_object_or_404(Party, pk=party_pk, agreement=agreement)
    try:
        negotiation.agreement_sign(agreement=agreement, party=party, user=request.user)
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("Your signature was recorded."))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def kpi_comment_add(request, pk):
    kpi = get_kpi_for(request.user, pk, need="decide")
    try:
        negotiation.kpi_comment_add(kpi=kpi, user=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The comment was sent to the unit."))
    return redirect("kpi_detail", pk=pk)


@login_required
def proposal_add(request, pk):
    kpi = get_kpi_for(request.user, pk, need="decide")
    form = ProposalForm(request.POST or None)
    initial = CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
    criteria_form = CalculatorForm(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST" and form.is_valid() and criteria_form.is_valid():
        valid = criteria_form.validated_criteria() if form.cleaned_data["change_criteria"] else ("", None)
        if valid is not None:
            method, criteria = valid
            try:
                negotiation.proposal_add(
                    kpi=kpi,
                    user=request.user,
                    weight=form.cleaned_data["weight"],
                    method=method,
                    direction=criteria_form.cleaned_data["direction"] if criteria else "",
                    criteria=criteria,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The proposal was sent to the unit."))
                return redirect("kpi_detail", pk=pk)
    return render(
        request, "agreements/proposal_form.html", {"kpi": kpi, "form": form, "criteria_form": criteria_form}
    )


@login_required
@require_POST
def proposal_decide(request, pk):
    proposal = get_proposal_for(request.user, pk)
    kpi = proposal.kpi
    accept = request.POST.get("accept") == "1"
    try:
        negotiation.proposal_decide(proposal=proposal, user=request.user, accept=accept)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = (
            _("You accepted the proposal: the KPI now has the proposed values, and %(author)s is told.")
            if accept
            else _("You rejected the proposal: the KPI stays as it was, and %(author)s is told.")
        )
        messages.success(request, text % {"author": proposal.author.display_name})
    return redirect("kpi_detail", pk=kpi.pk)


QUEUE_PAGE = 50


@login_required
def committee_queue(request):
    """Everything the user may decide on, in one list: items where the user is conflicted (§5) are left to
    the other members of the committee. A committee covering a whole ministry sees thousands: 50 of each
    a page, searched by the unit's name or abbreviation and filtered by year."""
    q = request.GET.get("q", "").strip()[:100]
    year = id_param(request, "year")
    agreements = (
        _queue_filter(
            Agreement.objects.filter(decidable_by(request.user), status=Agreement.Status.SUBMITTED), q, year
        )
        .select_related("unit", "fiscal_year")
        .order_by("-fiscal_year__be_year", "unit__path", "pk")
    )
    changes = _queue_filter(pending_change_requests(request.user), q, year, "agreement__").order_by(
        "-agreement__fiscal_year__be_year", "agreement__unit__path", "pk"
    )
    query = urlencode([(k, v) for k, v in (("q", q), ("year", year)) if v])
    return render(
        request,
        "agreements/committee_queue.html",
        {
            "agreements": Paginator(agreements, QUEUE_PAGE).get_page(request.GET.get("page")),
            "change_requests": Paginator(changes, QUEUE_PAGE).get_page(request.GET.get("cpage")),
            "q": q,
            "year": year,
            "years": FiscalYear.objects.filter(committees__members__person=request.user.pk).distinct(),
            "agreements_query": "&".join(filter(None, [query, _param(request, "cpage")])),
            "changes_query": "&".join(filter(None, [query, _param(request, "page")])),
        },
    )


def _param(request, name: str) -> str:
    value = request.GET.get(name, "")
    return urlencode({name: value}) if value else ""


def _queue_filter(rows, q: str, year: int | None, to: str = ""):
    for word in q.split()[:5]:
        rows = rows.filter(
            Q(**{f"{to}unit__name_th__icontains": word}) | Q(**{f"{to}unit__abbreviation__icontains": word})
        )
    return rows.filter(**{f"{to}fiscal_year": year}) if year is not None else rows


def pending_change_requests(user):
    return (
        ChangeRequest.objects.filter(decidable_by(user, "agreement__"), status=ChangeRequest.Status.SUBMITTED)
        .exclude(opened_by=user.pk)
        .select_related("agreement__unit", "agreement__fiscal_year")
    )
