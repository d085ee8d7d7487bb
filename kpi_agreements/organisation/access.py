"""Who may read and change what: one access helper per object kind, used by every view.

A role on a unit covers the unit's subtree, so "may user X act on unit U" is "does one of X's role paths
prefix U's path". The user's roles are read once per request and kept on the user object.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Committee, Person, Role, RoleAssignment, Unit

MANAGERS = (Role.ADMIN, Role.PLANNING)


class Scope:
    """The subtrees a user covers, by role."""

    def __init__(self, user):
        self.user = user
        self.is_superuser = bool(user.is_active and user.is_superuser)
        if user.is_authenticated:
            rows = RoleAssignment.objects.filter(person=user, unit__is_active=True).values_list(
                "role", "unit__path"
            )
        else:
            rows = []
        self.paths: dict[str, list[str]] = {}
        for role, path in rows:
            self.paths.setdefault(role, []).append(path)

    def roles(self) -> set[str]:
        return set(self.paths)

    def _paths(self, roles) -> list[str]:
        roles = roles or self.paths.keys()
        return [p for r in roles for p in self.paths.get(r, [])]

    def covers(self, unit: Unit, *roles: str) -> bool:
        if self.is_superuser:
            return True
        return any(unit.path.startswith(p) for p in self._paths(roles))

    def unit_q(self, *roles: str, prefix: str = "") -> Q:
        """A filter for units (or rows with a unit at ``prefix``) inside the user's subtrees."""
        if self.is_superuser:
            return Q()
        q = Q(pk__in=[])
        for path in self._paths(roles):
            q |= Q(**{f"{prefix}path__startswith": path})
        return q

    def manages_anything(self) -> bool:
        return self.is_superuser or any(r in self.paths for r in MANAGERS)

    def manages_root(self) -> bool:
        """Year-wide settings (calendar, holidays) belong to managers of a whole organisation."""
        return self.is_superuser or any(len(p) == Unit.steplen for p in self._paths(MANAGERS))

    def units(self, *roles: str) -> QuerySet[Unit]:
        return Unit.objects.filter(self.unit_q(*roles))


def scope_of(user) -> Scope:
    scope = getattr(user, "_kpi_scope", None)
    if scope is None:
        scope = Scope(user)
        if user.is_authenticated:
            user._kpi_scope = scope
    return scope


def forget_scope(user) -> None:
    user.__dict__.pop("_kpi_scope", None)


# --- units -------------------------------------------------------------------------------------------


def can_read_unit(user, unit: Unit) -> bool:
    return scope_of(user).covers(unit)


def can_manage_unit(user, unit: Unit) -> bool:
    return scope_of(user).covers(unit, *MANAGERS)


def get_unit_for(user, pk, *, need: str = "read") -> Unit:
    unit = get_object_or_404(Unit.objects.select_related("unit_type", "head"), pk=pk)
    if not {"read": can_read_unit, "manage": can_manage_unit}[need](user, unit):
        raise Http404
    return unit


# --- people ------------------------------------------------------------------------------------------


def people_visible_to(user) -> QuerySet[Person]:
    scope = scope_of(user)
    if scope.is_superuser:
        return Person.objects.all()
    in_scope = RoleAssignment.objects.filter(scope.unit_q(prefix="unit__")).values("person_id")
    visible = Q(pk__in=in_scope) | Q(pk=user.pk)
    if scope.manages_root():
        # Outside experts on committees hold no role; the organisation's top managers look after them.
        visible |= ~Q(Exists(RoleAssignment.objects.filter(person=OuterRef("pk"))))
    return Person.objects.filter(visible)


def get_person_for(user, pk, *, need: str = "read") -> Person:
    person = get_object_or_404(people_visible_to(user), pk=pk)
    if need == "manage" and not can_manage_person(user, person):
        raise Http404
    return person


def can_manage_person(user, person: Person) -> bool:
    """§5: a person's e-mail, roles and invitations belong to an administrator covering *every* unit on
    which the person holds a role; otherwise one department's administrator could take over a ministry
    executive's account by changing the address and re-inviting. People with no role at all (outside
    committee members) and superusers are left to administrators of a whole organisation."""
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if person.is_superuser or Role.ADMIN not in scope.paths:
        return False
    paths = list(person.roles.values_list("unit__path", flat=True))
    if not paths:
        return scope.manages_root() and person.pk != user.pk
    return all(any(path.startswith(p) for p in scope.paths[Role.ADMIN]) for path in paths)


# --- committees --------------------------------------------------------------------------------------


def committees_visible_to(user) -> QuerySet[Committee]:
    scope = scope_of(user)
    if scope.is_superuser:
        return Committee.objects.all()
    # A unit's people see the committees that cover their units: who negotiates with them is no secret.
    covering = Q(units_covered__in=scope.units())
    return Committee.objects.filter(
        Q(pk__in=Committee.objects.filter(scope.unit_q(prefix="unit__") | Q(members__person=user) | covering))
    )


def can_manage_committee(user, committee: Committee) -> bool:
    return scope_of(user).covers(committee.unit, *MANAGERS)


def get_committee_for(user, pk, *, need: str = "read") -> Committee:
    committee = get_object_or_404(committees_visible_to(user).select_related("unit", "fiscal_year"), pk=pk)
    if need == "manage" and not can_manage_committee(user, committee):
        raise Http404
    return committee
