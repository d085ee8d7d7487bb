"""Who may do what with reporting rounds and round reports: access by capability (ADR 0004).

One helper per object kind answers 404 when the user lacks the capability. Capabilities of a report:

- ``read``: whoever reads the agreement (agreements.access);
- ``enter``: while the report is being entered (draft, or returned for more information), the unit's editors
  (its head, planning staff and administrators covering it) and anyone named as a KPI's supervisor or data
  collector on it — the latter for their own KPIs only (``can_enter_item``);
- ``submit``: the head of the unit itself (§8: the unit head submits the report once);
- ``verify``: the verifiers (``verifiers``): members of the committee covering the unit in that year, or where
  no committee covers it and the year's policy allows, planning staff of a unit above it; never a party,
  an editor of the agreement, nor anyone who entered a result in the report or submitted it (§5);
- ``manage``: planning staff and administrators covering the unit (documents, the round's workbook).

A round is read by everyone signed in (its pages list only what the user may read) and opened by the managers
of a whole organisation, as the year's calendar is (fiscal.access).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from kpi_agreements.agreements.access import agreements_visible_to, editors, is_editor
from kpi_agreements.agreements.models import Party
from kpi_agreements.organisation.access import MANAGERS, scope_of
from kpi_agreements.organisation.models import Person, Role, RoleAssignment
from kpi_agreements.organisation.selectors import committee_members_covering, committees_covering

from .models import ReportItem, Round, RoundReport

# --- rules ------------------------------------------------------------------------------------------


def reports_visible_to(user) -> QuerySet[RoundReport]:
    return RoundReport.objects.filter(agreement__in=agreements_visible_to(user))


def is_unit_head(user, report: RoundReport) -> bool:
    unit = report.agreement.unit
    if not user.is_authenticated:
        return False
    return (
        unit.head_id == user.pk
        or RoleAssignment.objects.filter(person=user.pk, unit=unit, role=Role.UNIT_HEAD).exists()
    )


def can_enter_item(user, item: ReportItem) -> bool:
    if not item.report.is_enterable:
        return False
    if user.pk in (item.kpi.collector_id, item.kpi.supervisor_id):
        return True
    return is_editor(user, item.report.agreement)


def can_enter(user, report: RoundReport) -> bool:
    """May enter at least one KPI of the report."""
    if not report.is_enterable:
        return False
    if is_editor(user, report.agreement):
        return True
    return report.items.filter(Q(kpi__collector=user.pk) | Q(kpi__supervisor=user.pk)).exists()


def can_submit(user, report: RoundReport) -> bool:
    return is_unit_head(user, report)


def _took_part(report: RoundReport) -> Q:
    """People who entered a result in the report, submitted it, or are its parties: they do not verify."""
    entered = ReportItem.objects.filter(report=report, entered_by__isnull=False).values("entered_by")
    parties = Party.objects.filter(agreement=report.agreement_id, person__isnull=False).values("person_id")
    return Q(pk__in=entered) | Q(pk__in=parties) | Q(pk=report.submitted_by_id) | Q(is_superuser=True)


def verifiers(report: RoundReport) -> QuerySet[Person]:
    """Everyone who may verify the report, in one query (the queue and the notices use it too)."""
    agreement = report.agreement
    if committees_covering(agreement.unit_id, report.round.fiscal_year_id).exists():
        people = committee_members_covering(agreement.unit_id, report.round.fiscal_year_id)
        people = people.exclude(pk__in=editors(agreement).values("pk"))
    elif report.round.fiscal_year.planning_verifies:
        above = agreement.unit.ancestor_paths(include_self=False)
        holders = RoleAssignment.objects.filter(
            role=Role.PLANNING, unit__path__in=above, unit__is_active=True
        )
        people = Person.objects.filter(is_active=True, pk__in=holders.values("person_id"))
        # A planner of the unit itself is its editor, not its verifier.
        own = RoleAssignment.objects.filter(unit=agreement.unit_id).values("person_id")
        people = people.exclude(pk__in=own)
    else:
        return Person.objects.none()
    return people.exclude(_took_part(report))


def can_verify(user, report: RoundReport) -> bool:
    return user.is_authenticated and verifiers(report).filter(pk=user.pk).exists()


def is_manager(user, report: RoundReport) -> bool:
    return scope_of(user).covers(report.agreement.unit, *MANAGERS)


def verifiable_by(user) -> Q:
    """The reports awaiting the user's verification (the verifier's queue): ``verifiers`` in SQL."""
    scope = scope_of(user)
    if not user.is_authenticated or scope.is_superuser:
        return Q(pk__in=[])
    covering = committees_covering(OuterRef("agreement__unit_id"), OuterRef("round__fiscal_year_id"))
    on_committee = Q(Exists(covering.filter(members__person=user.pk))) & ~scope.unit_q(
        *MANAGERS, Role.UNIT_HEAD, prefix="agreement__unit__"
    )
    own_units = [p for paths in scope.paths.values() for p in paths]
    planning_above = (
        ~Q(Exists(covering))
        & Q(round__fiscal_year__planning_verifies=True)
        & scope.unit_q(Role.PLANNING, prefix="agreement__unit__")
        & ~Q(agreement__unit__path__in=own_units)
    )
    party = Exists(Party.objects.filter(agreement=OuterRef("agreement_id"), person=user.pk))
    entered = Exists(ReportItem.objects.filter(report=OuterRef("pk"), entered_by=user.pk))
    return (
        (on_committee | planning_above)
        & ~Q(party)
        & ~Q(entered)
        & ~Q(submitted_by=user.pk)
        & Q(status__in=RoundReport.AWAITING_VERIFICATION)
    )


# --- one helper per object kind ---------------------------------------------------------------------

REPORT_NEEDS = {
    "read": lambda user, r: True,
    "enter": can_enter,
    "submit": can_submit,
    "verify": can_verify,
    "manage": is_manager,
}


def get_report_for(user, pk, *, need: str = "read") -> RoundReport:
    report = get_object_or_404(
        reports_visible_to(user).select_related(
            "round__fiscal_year",
            "agreement__unit__head",
            "agreement__unit__unit_type",
            "agreement__fiscal_year",
        ),
        pk=pk,
    )
    if not REPORT_NEEDS[need](user, report):
        raise Http404
    return report


ITEM_NEEDS = {
    "read": lambda user, i: True,
    "enter": can_enter_item,
    "verify": lambda user, i: can_verify(user, i.report),
}


def get_item_for(user, pk, *, need: str = "read") -> ReportItem:
    item = get_object_or_404(
        ReportItem.objects.select_related(
            "report__round__fiscal_year",
            "report__agreement__unit__head",
            "report__agreement__fiscal_year",
            "kpi",
            "dimension",
        ),
        pk=pk,
        report__agreement__in=agreements_visible_to(user),
    )
    if not ITEM_NEEDS[need](user, item):
        raise Http404
    return item


def can_open_rounds(user) -> bool:
    return scope_of(user).manages_root()


def get_round_for(user, pk, *, need: str = "read") -> Round:
    if not user.is_authenticated or (need == "open" and not can_open_rounds(user)):
        raise Http404
    return get_object_or_404(Round.objects.select_related("fiscal_year"), pk=pk)
