"""Who is told of each step of an agreement or a change request (notices in the application and by e-mail).

Registered with the workflow app's notifier when the app is ready (apps.py), so a worker that never loads the
URL configuration still knows whom to tell.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from kpi_agreements.agreements.access import deciders, editors
from kpi_agreements.agreements.models import Agreement, KPIComment, Proposal
from kpi_agreements.organisation.models import Person, Role
from kpi_agreements.workflow.notify import addresser


def editors_of(agreement: Agreement) -> list[Person]:
    """Editors who are told of each step: the unit heads and planning staff covering the unit.

    Administrators edit too (access.EDITORS) but look after accounts; they are not sent every step.
    """
    return list(editors(agreement, roles=(Role.UNIT_HEAD, Role.PLANNING)).filter(is_active=True))


@addresser("agreements.Agreement")
def address_agreement_step(transition):
    agreement = transition.subject
    url = reverse("agreement_detail", args=[agreement.pk])
    name = f"{agreement.unit.name_th} ({agreement.fiscal_year})"
    if transition.action == "submit":
        return (
            deciders(agreement),
            _("Awaiting the committee: the agreement of %(name)s") % {"name": name},
            url,
        )
    if transition.action == "request_revision":
        return (
            editors_of(agreement),
            _("The committee asks for a revision of the agreement of %(name)s") % {"name": name},
            url,
        )
    if transition.action == "approve":
        people = [p.person for p in agreement.parties.select_related("person")]
        return people, _("Please sign the approved agreement of %(name)s") % {"name": name}, url
    if transition.action == "lock":
        people = [p.person for p in agreement.parties.select_related("person")] + editors_of(agreement)
        return people, _("The agreement of %(name)s is signed by all parties") % {"name": name}, url
    return None


@addresser("agreements.ChangeRequest")
def address_change_step(transition):
    change = transition.subject
    url = reverse("change_detail", args=[change.pk])
    name = f"{change.agreement.unit.name_th} ({change.agreement.fiscal_year})"
    if transition.action == "submit":
        return (
            deciders(change.agreement, change),
            _("Awaiting the committee: a change request of %(name)s") % {"name": name},
            url,
        )
    if transition.action in ("approve", "reject"):
        people = [change.opened_by, *editors_of(change.agreement)]
        text = (
            _("The change request of %(name)s was approved")
            if transition.action == "approve"
            else _("The change request of %(name)s was rejected")
        ) % {"name": name}
        return people, text, url
    return None


def _kpi_names(kpi) -> dict:
    agreement = kpi.agreement
    return {"kpi": kpi.name, "name": f"{agreement.unit.name_th} ({agreement.fiscal_year})"}


@addresser("agreements.KPIComment")
def address_kpi_comment(transition):
    """Each committee comment on a KPI is announced to the unit's editors, once (the notice is keyed by the
    comment's own row)."""
    comment: KPIComment = transition.subject
    kpi = comment.kpi
    return (
        editors_of(kpi.agreement),
        _("The committee commented on KPI %(kpi)s of %(name)s") % _kpi_names(kpi),
        reverse("kpi_detail", args=[kpi.pk]),
    )


@addresser("agreements.Proposal")
def address_proposal_step(transition):
    """A proposal goes to the unit's editors; their answer goes back to the member who proposed it."""
    proposal: Proposal = transition.subject
    kpi = proposal.kpi
    url = reverse("kpi_detail", args=[kpi.pk])
    if transition.action == "propose":
        text = _("The committee proposes a change to KPI %(kpi)s of %(name)s") % _kpi_names(kpi)
        return editors_of(kpi.agreement), text, url
    if transition.action == "accept":
        return (
            [proposal.author],
            _("The unit accepted your proposal on KPI %(kpi)s of %(name)s") % _kpi_names(kpi),
            url,
        )
    if transition.action == "reject":
        return (
            [proposal.author],
            _("The unit rejected your proposal on KPI %(kpi)s of %(name)s") % _kpi_names(kpi),
            url,
        )
    return None
