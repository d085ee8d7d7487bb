"""Change requests and agreement versions (DOMAIN §9): thin views over agreements/changes.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from kpi_agreements.agreements.access import (
    can_decide,
    deciders,
    get_agreement_for,
    get_change_for,
    is_editor,
    sits_on_committee_for,
)
from kpi_agreements.agreements.forms.changes import (
    ChangeItemForm,
    ChangeRequestForm,
    DecisionForm,
    EvidenceForm,
)
from kpi_agreements.agreements.models import ChangeItem, ChangeRequest
from kpi_agreements.agreements.services import changes
from kpi_agreements.core import uploads
from kpi_agreements.criteria.forms import CalculatorForm
from kpi_agreements.organisation.views import _apply_errors
from kpi_agreements.workflow.services import timeline


@login_required
def change_create(request, pk):
    agreement = get_agreement_for(request.user, pk, need="manage")
    form = ChangeRequestForm(request.POST or None)
    window = changes.open_window(agreement.fiscal_year)
    closed = None
    if window is None:
        # Outside the windows the button is absent; a direct request is refused with the windows' dates.
        closed = changes._outside_window_message(agreement.fiscal_year)
    elif request.method == "POST" and form.is_valid():
        try:
            change = changes.change_open(agreement=agreement, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("change_detail", pk=change.pk)
    status = 400 if window is None and request.method == "POST" else 200
    return render(
        request,
        "agreements/change_form.html",
        {"agreement": agreement, "form": form, "window": window, "closed": closed},
        status=status,
    )


def _detail_context(
    request, change, item_form=None, criteria_form=None, evidence_form=None, decision_form=None
):
    items = list(change.items.select_related("kpi", "dimension"))
    user, agreement, submitted = (
        request.user,
        change.agreement,
        change.status == ChangeRequest.Status.SUBMITTED,
    )
    editable = change.status == ChangeRequest.Status.DRAFT and is_editor(user, agreement)
    member = submitted and sits_on_committee_for(user, agreement)
    deciding = member and can_decide(user, agreement, change)
    return {
        "change": change,
        "agreement": change.agreement,
        "items": items,
        "editable": editable,
        "deciding": deciding,
        "conflicted_member": member and not deciding,
        "nobody_decides": submitted and not deciders(agreement, change),
        # The before/after the committee decides on, the same before the decision as after it (§9).
        "comparison": changes.change_comparison(change),
        "timeline": timeline(change, changes.LABELS),
        "evidence": change.evidence.all(),
        "item_form": item_form or (ChangeItemForm(change=change) if editable else None),
        "criteria_form": criteria_form or (CalculatorForm(prefix="criteria") if editable else None),
        "evidence_form": evidence_form or (EvidenceForm() if editable else None),
        "decision_form": decision_form
        or (DecisionForm(fiscal_year=change.agreement.fiscal_year) if deciding else None),
    }


@login_required
def change_detail(request, pk):
    change = get_change_for(request.user, pk)
    return render(request, "agreements/change_detail.html", _detail_context(request, change))


@login_required
@require_POST
def change_item_add(request, pk):
    change = get_change_for(request.user, pk, need="edit")
    form = ChangeItemForm(request.POST, change=change)
    criteria_form = CalculatorForm(request.POST, prefix="criteria")
    if form.is_valid() and criteria_form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("kind", "kpi", "change_criteria")}
        valid = criteria_form.validated_criteria() if form.cleaned_data["change_criteria"] else ("", None)
        if valid is not None:
            method, criteria = valid
            if criteria is not None:
                fields.update(
                    method=method, criteria=criteria, direction=criteria_form.cleaned_data["direction"]
                )
            try:
                changes.change_item_add(
                    change=change, kind=form.cleaned_data["kind"], kpi=form.cleaned_data["kpi"], **fields
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                return redirect("change_detail", pk=pk)
    return render(
        request,
        "agreements/change_detail.html",
        _detail_context(request, change, item_form=form, criteria_form=criteria_form),
        status=400,
    )


@login_required
@require_POST
def change_item_remove(request, pk, item_pk):
    change = get_change_for(request.user, pk, need="edit")
    changes.change_item_remove(item=get_object_or_404(ChangeItem, pk=item_pk, change_request=change))
    return redirect("change_detail", pk=pk)


@login_required
@require_POST
def change_evidence_add(request, pk):
    change = get_change_for(request.user, pk, need="edit")
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            changes.evidence_add(change=change, upload=form.cleaned_data["file"], user=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The evidence was attached."))
            return redirect("change_detail", pk=pk)
    return render(
        request,
        "agreements/change_detail.html",
        _detail_context(request, change, evidence_form=form),
        status=400,
    )


@login_required
@require_GET
@cache_control(private=True, no_store=True)  # evidence is never public (DOMAIN §12), nor kept by proxies
def change_evidence_download(request, pk, evidence_pk):
    """Whoever reads the change request may download its evidence, as an attachment only."""
    change = get_change_for(request.user, pk)
    evidence = get_object_or_404(change.evidence, pk=evidence_pk)
    return uploads.attachment(evidence.file, evidence.name)


@login_required
@require_POST
def change_submit(request, pk):
    change = get_change_for(request.user, pk, need="manage")
    try:
        changes.change_submit(change=change, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The change request was submitted to the committee."))
    return redirect("change_detail", pk=pk)


@login_required
@require_POST
def change_decide(request, pk):
    change = get_change_for(request.user, pk, need="decide")
    form = DecisionForm(request.POST, fiscal_year=change.agreement.fiscal_year)
    if form.is_valid():
        data = dict(form.cleaned_data)
        approve = data.pop("decision") == "approve"
        try:
            changes.change_decide(change=change, user=request.user, approve=approve, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("change_detail", pk=pk)
    return render(
        request,
        "agreements/change_detail.html",
        _detail_context(request, change, decision_form=form),
        status=400,
    )


@login_required
def agreement_versions(request, pk, number=None):
    """Every version of the agreement; one version beside the one before it."""
    agreement = get_agreement_for(request.user, pk)
    versions = list(agreement.versions.select_related("change_request"))
    chosen = next((v for v in versions if v.number == number), versions[-1] if versions else None)
    before = next((v for v in versions if chosen and v.number == chosen.number - 1), None)
    old, new = (before.snapshot if before else None), (chosen.snapshot if chosen else None)
    rows = changes.compare(old, new, agreement.fiscal_year.policy)
    dimensions = changes.dimension_weights(old, new, agreement.fiscal_year.dimensions.all())
    return render(
        request,
        "agreements/versions.html",
        {
            "agreement": agreement,
            "versions": versions,
            "chosen": chosen,
            "before": before,
            "rows": rows,
            "dimensions": dimensions,
        },
    )
