from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.access import (
    agreements_visible_to,
    can_decide,
    can_edit_agreement,
    can_edit_template,
    deciders,
    get_agreement_for,
    get_kpi_for,
    is_editor,
    sits_on_committee_for,
)
from kpi_agreements.agreements.forms.editor import ActionPlanForm, KPIForm, PartyFormSet
from kpi_agreements.agreements.history import kpi_changes
from kpi_agreements.agreements.models import KPI, Agreement
from kpi_agreements.agreements.services import changes, drafting, kpis, negotiation
from kpi_agreements.core.params import id_param
from kpi_agreements.criteria.forms import CalculatorForm, CriteriaForm
from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.views import _apply_errors
from kpi_agreements.workflow.services import timeline


@login_required
def agreements_home(request):
    year = FiscalYear.objects.filter(is_current=True).first() or FiscalYear.objects.first()
    if year is None:
        raise Http404
    return redirect("year_agreements", pk=year.pk)


def _editor_context(request, agreement: Agreement) -> dict:
    """Everything the editor shows, in a fixed number of queries whatever the number of KPIs."""
    all_kpis = list(
        agreement.kpis.select_related(
            "dimension", "supervisor", "collector", "cascaded_from__agreement__unit"
        )
    )
    kpis = selectors.outline([k for k in all_kpis if k.cancelled_from_round is None])
    dimensions = list(agreement.fiscal_year.dimensions.all())
    report = selectors.weight_report(kpis, dimensions)
    groups = [
        (d, [k for k in kpis if k.dimension_id == d.pk], total, diff) for d, total, diff in report.dimensions
    ]
    return {
        "agreement": agreement,
        "groups": groups,
        "report": report,
        "problems": selectors.submission_problems(agreement, kpis, report),
        "can_edit": can_edit_agreement(request.user, agreement),
        "kpi_count": len(kpis),
        "cancelled": [k for k in all_kpis if k.cancelled_from_round is not None],
        **_workflow_context(request, agreement),
    }


def _workflow_context(request, agreement: Agreement) -> dict:
    """What the user may do next with the agreement, and what has happened to it."""
    user = request.user
    parties = list(agreement.parties.select_related("person"))
    editor = is_editor(user, agreement)
    window = changes.open_window(agreement.fiscal_year) if agreement.is_locked else None
    member = sits_on_committee_for(user, agreement)
    return {
        "parties": parties,
        "is_editor": editor,
        "is_committee": member and can_decide(user, agreement),
        # §5: a member who may not decide is told whether anyone else can, instead of being shown the buttons.
        "conflicted_member": member and not can_decide(user, agreement),
        "nobody_decides": agreement.status == Agreement.Status.SUBMITTED and not deciders(agreement),
        "my_parties": [p for p in parties if p.person_id == user.pk and p.signed_at is None],
        "timeline": timeline(agreement, negotiation.LABELS),
        "change_requests": agreement.change_requests.select_related("opened_by"),
        "change_window": window if editor else None,
    }


@login_required
def agreement_detail(request, pk):
    agreement = get_agreement_for(request.user, pk)
    return render(request, "agreements/agreement_detail.html", _editor_context(request, agreement))


def _outline_response(request, agreement):
    """After an in-place change: htmx gets the outline and totals only, a plain form post the whole page."""
    if request.htmx:
        return render(request, "agreements/_outline.html", _editor_context(request, agreement))
    return redirect("agreement_detail", pk=agreement.pk)


@login_required
def agreement_plan_edit(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    form = ActionPlanForm(request.POST or None, instance=agreement)
    if request.method == "POST" and form.is_valid():
        drafting.agreement_update(agreement=agreement, **form.cleaned_data)
        messages.success(request, _("The action plan was saved."))
        return redirect("agreement_detail", pk=agreement.pk)
    return render(
        request,
        "organisation/form.html",
        {"form": form, "title": _("Action plan of %(a)s") % {"a": agreement}},
    )


@login_required
def agreement_parties_edit(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    formset = PartyFormSet(request.POST or None, instance=agreement)
    if request.method == "POST" and formset.is_valid():
        try:
            drafting.parties_save(agreement=agreement, formset=formset, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The parties were saved."))
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/parties_edit.html", {"agreement": agreement, "formset": formset})


def _cascade_choices(agreement: Agreement):
    """KPIs of the parent unit's agreement for the same year: what this unit's KPIs can serve (§6)."""
    parent_id = agreement.unit.parent_id
    return KPI.objects.filter(
        agreement__unit_id=parent_id, agreement__fiscal_year_id=agreement.fiscal_year_id
    ).select_related("agreement__unit")


def _kpi_form_page(request, agreement, kpi, *, template_only=False):
    kpi_form = KPIForm(
        request.POST or None,
        instance=kpi,
        agreement=agreement,
        template_only=template_only,
        cascade_choices=_cascade_choices(agreement),
    )
    initial = CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
    # The calculator form is a superset of the criteria form: one set of fields serves saving and trying.
    criteria_form = CalculatorForm(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST":
        kpi_ok = kpi_form.is_valid()
        valid = criteria_form.validated_criteria() if criteria_form.is_valid() else None
        if kpi_ok and valid is not None:
            method, criteria = valid
            values = dict(
                kpi_form.template_values(),
                method=method,
                criteria=criteria,
                direction=criteria_form.cleaned_data["direction"] or "higher",
            )
            try:
                if kpi.pk:
                    kpis.kpi_update(kpi=kpi, **values)
                else:
                    dimension = values.pop("dimension", None) or kpi.dimension
                    kpi = kpis.kpi_create(
                        agreement=agreement, dimension=dimension, parent=kpi.parent, **values
                    )
            except ValidationError as exc:
                _apply_errors(kpi_form, exc)
            else:
                messages.success(request, _("KPI %(name)s was saved.") % {"name": kpi.name})
                return redirect("kpi_detail", pk=kpi.pk)
    return render(
        request,
        "agreements/kpi_form.html",
        {
            "agreement": agreement,
            "kpi": kpi,
            "form": kpi_form,
            "criteria_form": criteria_form,
            "template_only": template_only,
        },
    )


@login_required
def kpi_create(request, pk):
    agreement = get_agreement_for(request.user, pk, need="edit")
    parent = dimension = None
    if (parent_pk := id_param(request, "parent")) is not None:
        parent = get_kpi_for(request.user, parent_pk, need="edit")
        if parent.agreement_id != agreement.pk:
            raise Http404
    if (dimension_pk := id_param(request, "dimension")) is not None:
        dimension = get_object_or_404(agreement.fiscal_year.dimensions, pk=dimension_pk)
    kpi = KPI(agreement=agreement, parent=parent, dimension=parent.dimension if parent else dimension)
    return _kpi_form_page(request, agreement, kpi)


@login_required
def kpi_edit(request, pk):
    kpi = get_kpi_for(request.user, pk, need="template")
    template_only = not can_edit_agreement(request.user, kpi.agreement)
    return _kpi_form_page(request, kpi.agreement, kpi, template_only=template_only)


@login_required
def kpi_detail(request, pk):
    kpi = get_kpi_for(request.user, pk)
    rows = selectors.outline(kpi.agreement.kpis.select_related("dimension"))
    number = next((k.number for k in rows if k.pk == kpi.pk), "")
    return render(
        request,
        "agreements/kpi_detail.html",
        {
            "kpi": kpi,
            "number": number,
            "agreement": kpi.agreement,
            "children": [k for k in rows if k.parent_id == kpi.pk],
            "cascaded_to": agreements_visible_to(request.user)
            .filter(kpis__cascaded_from=kpi)
            .distinct()
            .select_related("unit")
            .prefetch_related(
                Prefetch("kpis", queryset=KPI.objects.filter(cascaded_from=kpi), to_attr="served_by")
            ),
            "changes": kpi_changes(kpi),
            "can_edit": can_edit_agreement(request.user, kpi.agreement),
            "can_edit_template": can_edit_template(request.user, kpi),
            "criteria_form": CriteriaForm(
                initial=CriteriaForm.initial_from(kpi.method, kpi.criteria, kpi.direction)
            ),
            "comments": kpi.comments.select_related("author"),
            "proposals": kpi.proposals.select_related("author", "decided_by"),
            "is_committee": can_decide(request.user, kpi.agreement),
            "is_editor": is_editor(request.user, kpi.agreement),
            "negotiating": kpi.agreement.status in (Agreement.Status.SUBMITTED, Agreement.Status.REVISION),
        },
    )


@login_required
@require_POST
def kpi_move(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    step = -1 if request.POST.get("direction") == "up" else 1
    kpis.kpi_move(kpi=kpi, step=step)
    return _outline_response(request, kpi.agreement)


@login_required
@require_POST
def kpi_weight(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    form = KPIForm(instance=kpi, agreement=kpi.agreement)
    field = form.fields["weight"]
    try:
        if field.disabled:
            raise ValidationError(_("A parent KPI's weight is the sum of its sub-KPIs."))
        weight = field.clean(request.POST.get("weight", ""))
        kpis.kpi_update(kpi=kpi, weight=weight)
    except ValidationError as exc:
        messages.error(
            request, _("KPI %(name)s: %(error)s") % {"name": kpi.name, "error": " ".join(exc.messages)}
        )
    return _outline_response(request, kpi.agreement)


@login_required
@require_POST
def kpi_delete(request, pk):
    kpi = get_kpi_for(request.user, pk, need="edit")
    try:
        kpis.kpi_delete(kpi=kpi)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("kpi_detail", pk=kpi.pk)
    messages.success(request, _("KPI %(name)s was deleted.") % {"name": kpi.name})
    return redirect("agreement_detail", pk=kpi.agreement_id)


@login_required
def cascade_map(request, pk):
    """The chain from ministry to bureau: each visible KPI under the parent-unit KPI it serves."""
    year = get_fiscal_year_for(request.user, pk)
    kpis = (
        KPI.objects.filter(agreement__in=agreements_visible_to(request.user), agreement__fiscal_year=year)
        .select_related("agreement__unit", "dimension")
        .order_by("agreement__unit__path", "dimension__order", "order")
    )
    return render(
        request, "agreements/cascade_map.html", {"year": year, "rows": selectors.cascade_chains(kpis)}
    )
