"""Who may read and change agreements and KPIs (issue 4 §9): one helper per object kind."""

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.organisation.access import MANAGERS, scope_of
from kpi_agreements.organisation.models import Committee, Role

from .models import KPI, Agreement

EDITORS = (*MANAGERS, Role.UNIT_HEAD)


def agreements_visible_to(user) -> QuerySet[Agreement]:
    scope = scope_of(user)
    if scope.is_superuser:
        return Agreement.objects.all()
    named = KPI.objects.filter(Q(supervisor=user) | Q(collector=user)).values("agreement_id")
    # Committee members read the agreements of the units their committee covers, in its own year.
    committee = Q(unit__committees__members__person=user, unit__committees__fiscal_year=F("fiscal_year"))
    return Agreement.objects.filter(scope.unit_q(prefix="unit__") | Q(pk__in=named) | committee).distinct()


def can_edit_content(user, agreement: Agreement) -> bool:
    """Planning staff in scope and the unit's head are the agreement's editors (whatever its state)."""
    return scope_of(user).covers(agreement.unit, *EDITORS) or agreement.unit.head_id == user.pk


def can_edit_agreement(user, agreement: Agreement) -> bool:
    """Editors change the content while the agreement is a draft or sent back for revision."""
    return agreement.is_editable and can_edit_content(user, agreement)


def sits_on_committee_for(user, agreement: Agreement) -> bool:
    """A member of a committee of the agreement's year that covers its unit."""
    return Committee.objects.filter(
        fiscal_year_id=agreement.fiscal_year_id, units_covered=agreement.unit_id, members__person=user.pk
    ).exists()


def can_edit_template(user, kpi: KPI) -> bool:
    """The KPI supervisor and data collector named on a KPI may edit its template fields."""
    if can_edit_agreement(user, kpi.agreement):
        return True
    return kpi.agreement.is_editable and user.pk in (kpi.supervisor_id, kpi.collector_id)


def get_agreement_for(user, pk, *, write: bool = False) -> Agreement:
    agreement = get_object_or_404(
        agreements_visible_to(user).select_related("unit__unit_type", "unit__head", "fiscal_year"), pk=pk
    )
    if write and not can_edit_agreement(user, agreement):
        raise Http404
    return agreement


def get_kpi_for(user, pk, *, write: bool = False, template: bool = False) -> KPI:
    """``write``: the whole KPI (weight, place, criteria); ``template``: its template fields only."""
    kpi = get_object_or_404(
        KPI.objects.select_related(
            "agreement__unit__head",
            "agreement__fiscal_year",
            "dimension",
            "parent",
            "supervisor",
            "collector",
            "cascaded_from__agreement__unit",
        ),
        pk=pk,
        agreement__in=agreements_visible_to(user),
    )
    if write and not can_edit_agreement(user, kpi.agreement):
        raise Http404
    if template and not can_edit_template(user, kpi):
        raise Http404
    return kpi


def get_change_for(user, pk, *, write: bool = False):
    """A change request is read by whoever reads its agreement; its editors change it while a draft."""
    from .models import ChangeRequest

    change = get_object_or_404(
        ChangeRequest.objects.select_related(
            "agreement__unit__head", "agreement__fiscal_year", "opened_by", "resolution"
        ),
        pk=pk,
        agreement__in=agreements_visible_to(user),
    )
    if write and not (
        change.status == ChangeRequest.Status.DRAFT and can_edit_content(user, change.agreement)
    ):
        raise Http404
    return change
