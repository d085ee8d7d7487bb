"""Who is told of each step of an agreement or a change request (notices in the application and by e-mail).

Registered with the workflow app's notifier when the app is ready (apps.py), so a worker that never loads the
URL configuration still knows whom to tell.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from kpi_agreements.agreements.access import deciders, editors
from kpi_agreements.agreements.models import Agreement
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
