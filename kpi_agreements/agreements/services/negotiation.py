"""Moves of an agreement through negotiation and signing (DOMAIN §1, §5); each in one transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.models import KPI, Agreement, KPIComment, Party, Proposal
from kpi_agreements.agreements.services import kpis
from kpi_agreements.criteria.validation import check_criteria, check_weight
from kpi_agreements.organisation.models import Resolution
from kpi_agreements.organisation.selectors import committees_covering
from kpi_agreements.organisation.services import resolution_record
from kpi_agreements.workflow.notify import queue_notices
from kpi_agreements.workflow.services import check_move, move, record

LABELS = {
    **{s.value: s.label for s in Agreement.Status},
    "submit": gettext_lazy("submit to the committee"),
    "request_revision": gettext_lazy("request a revision"),
    "approve": gettext_lazy("approve"),
    "lock": gettext_lazy("lock after signing"),
    "sign": gettext_lazy("sign"),
}
# Steps of the revision round on one KPI: recorded like moves, so each is announced once (addressers.py).
KPI_STEPS = {
    "comment": gettext_lazy("comment"),
    "propose": gettext_lazy("propose"),
    "accept": gettext_lazy("accept the proposal"),
    "reject": gettext_lazy("reject the proposal"),
}


def _announce(obj, action: str, user, comment: str = "") -> None:
    """A step with no change of state (a comment, a proposal and its answer): a row, and its notices."""
    queue_notices(record(obj, action=action, from_state="", to_state="", actor=user, comment=comment))


def _locked(pk) -> Agreement:
    return Agreement.objects.select_for_update().select_related("unit", "fiscal_year").get(pk=pk)


def _move(obj, action: str, user, comment: str = "", *, check=True):
    return move(obj, action, user, labels=LABELS, comment=comment, check=check)


@transaction.atomic
def agreement_submit(*, agreement: Agreement, user, comment: str = ""):
    agreement = _locked(agreement.pk)
    if agreement.status in Agreement.EDITABLE:
        problems = selectors.submission_problems(agreement)
        if problems:
            raise ValidationError(problems)
    return _move(agreement, "submit", user, comment)


@transaction.atomic
def agreement_request_revision(*, agreement: Agreement, user, comment: str):
    if not comment.strip():
        raise ValidationError({"comment": _("Say what the unit should revise.")})
    return _move(_locked(agreement.pk), "request_revision", user, comment)


@transaction.atomic
def agreement_approve(*, agreement: Agreement, user, number: str, date, text: str):
    """Approval is the committee's resolution (number, date, text), recorded with the move."""
    agreement = _locked(agreement.pk)
    check_move(agreement.approve, user, labels=LABELS)
    resolution = committee_resolution(agreement=agreement, user=user, number=number, date=date, text=text)
    agreement.approval_resolution = resolution
    return _move(agreement, "approve", user, _("Resolution %(number)s") % {"number": number}, check=False)


@transaction.atomic
def agreement_sign(*, agreement: Agreement, party: Party, user):
    """One party signs; with the last signature the agreement locks and its official PDF is rendered."""
    agreement = _locked(agreement.pk)
    party = Party.objects.select_for_update().get(pk=party.pk, agreement=agreement)
    if agreement.status != Agreement.Status.APPROVED:
        raise ValidationError(_("Only an approved agreement can be signed."))
    if party.person_id != user.pk:
        raise ValidationError(
            _("Only %(person)s signs as %(role)s.")
            % {"person": party.person or "—", "role": party.get_role_display()}
        )
    if party.signed_at is not None:
        raise ValidationError(_("%(role)s has already signed.") % {"role": party.get_role_display()})
    if selectors.party_problems(list(agreement.parties.all())):
        # Parties are fixed at submission; this guards rows changed behind the application's back.
        raise ValidationError(_("The pledgor, the recipient and the co-signer must be different people."))
    party.signed_at = timezone.now()
    party.signed_name = user.display_name
    party.signed_position = party.position or user.position
    party.save(update_fields=["signed_at", "signed_name", "signed_position"])
    row = record(
        agreement,
        action="sign",
        from_state=agreement.status,
        to_state=agreement.status,
        actor=user,
        comment=party.get_role_display(),
    )
    if not agreement.parties.filter(signed_at__isnull=True).exists():
        row = _move(agreement, "lock", user, check=False)
        from kpi_agreements.documents.services import document_request

        document_request(agreement=agreement, kind="signed", user=user)
    return row


def committee_resolution(*, agreement: Agreement, user, number: str, date, text: str) -> Resolution:
    """The committee decides by resolution: recorded on the user's committee that covers the agreement."""
    committee = (
        committees_covering(agreement.unit_id, agreement.fiscal_year_id)
        .filter(members__person=user)
        .order_by("pk")
        .first()
    )
    return resolution_record(committee=committee, recorded_by=user, number=number, date=date, text=text)


# --- negotiation on KPIs -------------------------------------------------------------------------


def _check_negotiating(agreement: Agreement) -> None:
    if agreement.status not in (Agreement.Status.SUBMITTED, Agreement.Status.REVISION):
        raise ValidationError(
            _("The committee negotiates only while the agreement is with it or under revision.")
        )


@transaction.atomic
def kpi_comment_add(*, kpi: KPI, user, text: str) -> KPIComment:
    agreement = _locked(kpi.agreement_id)
    _check_negotiating(agreement)
    if not text.strip():
        raise ValidationError({"text": _("Write the comment.")})
    comment = KPIComment.objects.create(kpi=kpi, author=user, text=text)
    _announce(comment, "comment", user)  # the unit is told of each comment, once
    return comment


@transaction.atomic
def proposal_add(*, kpi: KPI, user, weight=None, method="", direction="", criteria=None, note="") -> Proposal:
    agreement = _locked(kpi.agreement_id)
    _check_negotiating(agreement)
    if weight is None and criteria is None:
        raise ValidationError(_("Propose a weight, criteria or both."))
    if weight is not None:
        weight = check_weight(weight)
    if criteria is not None:
        check_criteria(method, criteria)
    proposal = Proposal.objects.create(
        kpi=kpi, author=user, weight=weight, method=method, direction=direction, criteria=criteria, note=note
    )
    _announce(proposal, "propose", user)
    return proposal


@transaction.atomic
def proposal_decide(*, proposal: Proposal, user, accept: bool) -> Proposal:
    """The unit accepts (the KPI takes the proposed values) or rejects a committee proposal."""
    agreement = _locked(proposal.kpi.agreement_id)
    _check_negotiating(agreement)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != Proposal.Status.PENDING:
        raise ValidationError(_("This proposal has already been decided."))
    if accept:
        fields = {}
        if proposal.weight is not None:
            fields["weight"] = proposal.weight
        if proposal.criteria is not None:
            fields.update(method=proposal.method, criteria=proposal.criteria)
            fields["direction"] = proposal.direction or proposal.kpi.direction
        kpis.kpi_update(
            kpi=proposal.kpi,
            proposal=proposal,
            user=user,
            reason="proposal",
            **fields,
        )
    proposal.status = Proposal.Status.ACCEPTED if accept else Proposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at = user, timezone.now()
    proposal.save()
    _announce(proposal, "accept" if accept else "reject", user)  # its author learns the answer
    return proposal
