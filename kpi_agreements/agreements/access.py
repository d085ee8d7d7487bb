"""Who may do what with agreements, KPIs, proposals and change requests: access by capability.

Every view asks one helper per object kind for the object *and* the capability it needs
(``get_agreement_for(user, pk, need="decide")``); the helper answers 404 when the user lacks it, so views
never re-check inline. Capabilities:

- ``read``: the unit is in one of the user's role subtrees, the user is named on one of its KPIs, or sits on a
  committee that covers the unit in the agreement's year;
- ``manage``: the agreement's editors (planning staff or administrators in scope, the head holding the
  unit-head role) whatever its state: submit, open change requests, answer proposals;
- ``edit``: an editor while the agreement is a draft or under revision;
- ``template`` (KPIs): ``edit``, or the KPI's supervisor or data collector while editable;
- ``decide``: a committee member covering the unit in that year who is not conflicted (DOMAIN §5: not a party,
  not an editor, not the one who opened the change request);
- ``sign`` (agreements): a party of the agreement.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.agreements.models import KPI, Agreement, ChangeRequest, Party, Proposal
from kpi_agreements.organisation.access import MANAGERS, scope_of
from kpi_agreements.organisation.models import Person, Role, RoleAssignment
from kpi_agreements.organisation.selectors import committee_members_covering, sits_for

EDITORS = (*MANAGERS, Role.UNIT_HEAD)


# --- rules ------------------------------------------------------------------------------------------


def visible_q(user, to: str = "") -> Q:
    """A filter for the agreements ``user`` may read: on agreements (``to=""``) or on rows that point to one
    (``to="agreement__"``, ``"kpi__agreement__"``).

    Each branch tests the row in hand: a prefix of its unit's path, membership of the few agreements naming
    the user on a KPI, an EXISTS for a committee seat. So looking one KPI up costs index probes, where
    ``agreement__in=agreements_visible_to(user)`` first built the set of every agreement the user may read.
    """
    scope = scope_of(user)
    if scope.is_superuser:
        return Q()
    if not user.is_authenticated:
        return Q(pk__in=[])
    named = KPI.objects.filter(Q(supervisor=user.pk) | Q(collector=user.pk)).values("agreement_id")
    return (
        scope.unit_q(prefix=f"{to}unit__")
        | Q(**{f"{to}pk__in": named})
        | Q(sits_for(user, unit_ref=f"{to}unit_id", year_ref=f"{to}fiscal_year_id"))
    )


def agreements_visible_to(user) -> QuerySet[Agreement]:
    scope = scope_of(user)
    if scope.is_superuser:
        return Agreement.objects.all()
    if not user.is_authenticated:
        return Agreement.objects.none()
    return Agreement.objects.filter(visible_q(user))


def is_editor(user, agreement: Agreement) -> bool:
    """An editor holds a planning, administrator or unit-head role covering the unit (§5)."""
    return scope_of(user).covers(agreement.unit, *EDITORS)


def can_edit_agreement(user, agreement: Agreement) -> bool:
    return agreement.is_editable and is_editor(user, agreement)


def can_edit_template(user, kpi: KPI) -> bool:
    if can_edit_agreement(user, kpi.agreement):
        return True
    return kpi.agreement.is_editable and user.pk in (kpi.supervisor_id, kpi.collector_id)


def is_party(user, agreement: Agreement) -> bool:
    return Party.objects.filter(agreement=agreement, person=user.pk).exists()


def conflicted(user, agreement: Agreement, change: ChangeRequest | None = None) -> bool:
    """§5 separation of duties: parties, editors and the requester take no part in deciding."""
    if change is not None and change.opened_by_id == user.pk:
        return True
    return is_editor(user, agreement) or is_party(user, agreement)


def sits_on_committee_for(user, agreement: Agreement) -> bool:
    return committee_members_covering(agreement.unit_id, agreement.fiscal_year_id).filter(pk=user.pk).exists()


def can_decide(user, agreement: Agreement, change: ChangeRequest | None = None) -> bool:
    return sits_on_committee_for(user, agreement) and not conflicted(user, agreement, change)


def editors(agreement: Agreement, roles=EDITORS) -> QuerySet[Person]:
    """The people holding an editor role (or ``roles``) on the unit or a unit above it, in one query."""
    holders = RoleAssignment.objects.filter(
        role__in=roles, unit__path__in=agreement.unit.ancestor_paths(include_self=True), unit__is_active=True
    )
    return Person.objects.filter(pk__in=holders.values("person_id"))


def deciders(agreement: Agreement, change: ChangeRequest | None = None) -> list[Person]:
    """The committee members who may decide on the agreement (or the change request): ``conflicted`` for
    the whole committee in one query, so the page costs the same whatever the committee's size."""
    members = committee_members_covering(agreement.unit_id, agreement.fiscal_year_id).exclude(
        Q(is_superuser=True)
        | Q(pk__in=editors(agreement).values("pk"))
        | Q(pk__in=Party.objects.filter(agreement=agreement, person__isnull=False).values("person_id"))
    )
    if change is not None:
        members = members.exclude(pk=change.opened_by_id)
    return list(members)


def decidable_by(user, to: str = "") -> Q:
    """A filter for agreements the user may decide on (the committee queue), in SQL; on rows that point to
    an agreement with ``to="agreement__"``."""
    scope = scope_of(user)
    if scope.is_superuser or not user.is_authenticated:
        return Q(pk__in=[])
    party = Exists(Party.objects.filter(agreement=OuterRef(f"{to}pk"), person=user.pk))
    return (
        Q(sits_for(user, unit_ref=f"{to}unit_id", year_ref=f"{to}fiscal_year_id"))
        & ~Q(party)
        & ~scope.unit_q(*EDITORS, prefix=f"{to}unit__")
    )


# --- one helper per object kind ---------------------------------------------------------------------

AGREEMENT_NEEDS = {
    "read": lambda user, a: True,
    "manage": is_editor,
    "edit": can_edit_agreement,
    "decide": can_decide,
    "sign": is_party,
}


def _check(needs: dict, need: str, *args) -> None:
    if not needs[need](*args):
        raise Http404


def get_agreement_for(user, pk, *, need: str = "read") -> Agreement:
    agreement = get_object_or_404(
        agreements_visible_to(user).select_related("unit__unit_type", "unit__head", "fiscal_year").order_by(),
        pk=pk,
    )
    _check(AGREEMENT_NEEDS, need, user, agreement)
    return agreement


KPI_NEEDS = {
    "read": lambda user, k: True,
    "manage": lambda user, k: is_editor(user, k.agreement),
    "edit": lambda user, k: can_edit_agreement(user, k.agreement),
    "template": can_edit_template,
    "decide": lambda user, k: can_decide(user, k.agreement),
}


def get_kpi_for(user, pk, *, need: str = "read") -> KPI:
    kpi = get_object_or_404(
        KPI.objects.select_related(
            "agreement__unit__head",
            "agreement__fiscal_year",
            "dimension",
            "parent",
            "supervisor",
            "collector",
            "cascaded_from__agreement__unit",
        )
        .filter(visible_q(user, "agreement__"))
        .order_by(),
        pk=pk,
    )
    _check(KPI_NEEDS, need, user, kpi)
    return kpi


def get_proposal_for(user, pk, *, need: str = "manage") -> Proposal:
    """The unit's editors answer the committee's proposals."""
    proposal = get_object_or_404(
        Proposal.objects.select_related("kpi__agreement__unit", "kpi__agreement__fiscal_year")
        .filter(visible_q(user, "kpi__agreement__"))
        .order_by(),
        pk=pk,
    )
    _check(KPI_NEEDS, need, user, proposal.kpi)
    return proposal


CHANGE_NEEDS = {
    "read": lambda user, c: True,
    "manage": lambda user, c: is_editor(user, c.agreement),
    "edit": lambda user, c: c.status == ChangeRequest.Status.DRAFT and is_editor(user, c.agreement),
    "decide": lambda user, c: can_decide(user, c.agreement, c),
}


def get_change_for(user, pk, *, need: str = "read") -> ChangeRequest:
    change = get_object_or_404(
        ChangeRequest.objects.select_related(
            "agreement__unit__head", "agreement__fiscal_year", "opened_by", "resolution"
        )
        .filter(visible_q(user, "agreement__"))
        .order_by(),
        pk=pk,
    )
    _check(CHANGE_NEEDS, need, user, change)
    return change
