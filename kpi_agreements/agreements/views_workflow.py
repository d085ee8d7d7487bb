"""Thin views over the agreement's workflow: access check, form, one service call, redirect."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kpi_agreements.core.scoring_ui import CalculatorForm, CriteriaForm
from kpi_agreements.organisation.models import Committee
from kpi_agreements.organisation.views import _apply_errors

from . import workflow
from .access import can_edit_content, get_agreement_for, get_kpi_for, sits_on_committee_for
from .models import Agreement, ChangeRequest, Party, Proposal


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ResolutionForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Resolution number"), max_length=50)
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=gettext_lazy("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))


class ProposalForm(forms.Form):
    weight = forms.DecimalField(
        label=gettext_lazy("Proposed weight"), required=False, min_value=0, decimal_places=4, max_digits=7
    )
    change_criteria = forms.BooleanField(label=gettext_lazy("Propose these criteria"), required=False)
    note = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _refused(request, exc: ValidationError, pk):
    messages.error(request, " ".join(exc.messages))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def agreement_submit(request, pk):
    agreement = get_agreement_for(request.user, pk)
    if not can_edit_content(request.user, agreement):
        raise Http404
    try:
        workflow.agreement_submit(
            agreement=agreement, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("The agreement was submitted to the committee."))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def agreement_request_revision(request, pk):
    agreement = get_agreement_for(request.user, pk)
    if not sits_on_committee_for(request.user, agreement):
        raise Http404
    try:
        workflow.agreement_request_revision(
            agreement=agreement, user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("The agreement was sent back for revision."))
    return redirect("agreement_detail", pk=pk)


@login_required
def agreement_approve(request, pk):
    agreement = get_agreement_for(request.user, pk)
    if not sits_on_committee_for(request.user, agreement):
        raise Http404
    form = ResolutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.agreement_approve(agreement=agreement, user=request.user, **form.cleaned_data)
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
    agreement = get_agreement_for(request.user, pk)
    party = get_object_or_404(Party, pk=party_pk, agreement=agreement)
    try:
        workflow.agreement_sign(agreement=agreement, party=party, user=request.user)
    except ValidationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("Your signature was recorded."))
    return redirect("agreement_detail", pk=pk)


@login_required
@require_POST
def kpi_comment_add(request, pk):
    kpi = get_kpi_for(request.user, pk)
    if not sits_on_committee_for(request.user, kpi.agreement):
        raise Http404
    try:
        workflow.kpi_comment_add(kpi=kpi, user=request.user, text=request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("kpi_detail", pk=pk)


@login_required
def proposal_add(request, pk):
    kpi = get_kpi_for(request.user, pk)
    if not sits_on_committee_for(request.user, kpi.agreement):
        raise Http404
    form = ProposalForm(request.POST or None)
    initial = CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
    criteria_form = CalculatorForm(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST" and form.is_valid() and criteria_form.is_valid():
        valid = criteria_form.validated_criteria() if form.cleaned_data["change_criteria"] else ("", None)
        if valid is not None:
            method, criteria = valid
            try:
                workflow.proposal_add(
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
    proposal = get_object_or_404(Proposal.objects.select_related("kpi"), pk=pk)
    kpi = get_kpi_for(request.user, proposal.kpi_id)
    if not can_edit_content(request.user, kpi.agreement):
        raise Http404
    try:
        workflow.proposal_decide(
            proposal=proposal, user=request.user, accept=request.POST.get("accept") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("kpi_detail", pk=kpi.pk)


@login_required
def committee_queue(request):
    """Everything awaiting the committees the user sits on, in one list."""
    seats = Committee.objects.filter(members__person=request.user)
    agreements = (
        Agreement.objects.filter(
            status=Agreement.Status.SUBMITTED,
            unit__committees__in=seats,
            fiscal_year=F("unit__committees__fiscal_year"),
        )
        .select_related("unit", "fiscal_year")
        .distinct()
        .order_by("fiscal_year", "unit__path")
    )
    return render(
        request,
        "agreements/committee_queue.html",
        {"agreements": agreements, "change_requests": _pending_change_requests(seats)},
    )


def _pending_change_requests(seats):
    return (
        ChangeRequest.objects.filter(
            status=ChangeRequest.Status.SUBMITTED, agreement__unit__committees__in=seats
        )
        .select_related("agreement__unit", "agreement__fiscal_year")
        .distinct()
    )
