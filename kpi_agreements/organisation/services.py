"""Writes to the organisation: each service owns its transaction and checks the rules of DOMAIN §2."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi_agreements.workflow.outbox import enqueue

from .models import Committee, CommitteeMember, Invitation, Person, Resolution, Role, RoleAssignment, Unit


def _check_abbreviation_free(*, parent: Unit | None, abbreviation: str, exclude: Unit | None = None) -> None:
    siblings = Unit.objects.filter(parent=parent, abbreviation__iexact=abbreviation)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise ValidationError(
            {
                "abbreviation": _(
                    "Another unit under the same parent already uses the abbreviation %(abbr)s."
                )
                % {"abbr": abbreviation}
            }
        )


def _check_parent_usable(parent: Unit | None) -> None:
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": _("The unit %(unit)s is inactive.") % {"unit": parent}})


@transaction.atomic
def unit_create(*, parent: Unit | None, **fields) -> Unit:
    _check_parent_usable(parent)
    _check_abbreviation_free(parent=parent, abbreviation=fields["abbreviation"])
    if parent is None:
        unit = Unit.objects.add_root(dict(fields, parent=None))
    else:
        # treebeard's add_child works on a possibly stale parent; lock it so numchild stays right.
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
        unit = Unit.objects.add_child(parent, dict(fields, parent=parent))
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, **fields) -> Unit:
    _check_abbreviation_free(
        parent=unit.parent, abbreviation=fields.get("abbreviation", unit.abbreviation), exclude=unit
    )
    for name, value in fields.items():
        setattr(unit, name, value)
    if (
        unit.head_id
        and not RoleAssignment.objects.filter(person=unit.head_id, unit=unit, role=Role.UNIT_HEAD).exists()
    ):
        raise ValidationError(
            {"head": _("%(person)s does not hold the unit-head role on this unit.") % {"person": unit.head}}
        )
    unit.full_clean(exclude=["path", "depth", "numchild"])
    unit.save()
    return unit


@transaction.atomic
def unit_move(*, unit: Unit, new_parent: Unit) -> Unit:
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    if new_parent.pk == unit.pk or unit.contains(new_parent):
        raise ValidationError(
            {
                "parent": _("A unit cannot be moved under itself or one of its own sub-units (%(unit)s).")
                % {"unit": new_parent}
            }
        )
    _check_parent_usable(new_parent)
    _check_abbreviation_free(parent=new_parent, abbreviation=unit.abbreviation, exclude=unit)
    Unit.objects.move(unit, new_parent, pos="last-child")
    unit = Unit.objects.get(pk=unit.pk)
    unit.parent = new_parent
    unit._change_reason = "move"
    unit.save(update_fields=["parent"])
    return unit


@transaction.atomic
def unit_set_active(*, unit: Unit, active: bool) -> Unit:
    if not active and Unit.objects.filter(parent=unit, is_active=True).exists():
        raise ValidationError(
            _("Deactivate or move the active sub-units of %(unit)s first.") % {"unit": unit}
        )
    if active:
        _check_parent_usable(unit.parent)
    unit.is_active = active
    unit.save(update_fields=["is_active"])
    return unit


@transaction.atomic
def person_invite(*, invited_by: Person, unit: Unit, role: str, **fields) -> Person:
    """Create a person with a first role and queue the invitation e-mail after commit."""
    from .tasks import send_invitation

    _check_unit_usable(unit)
    person = Person(**fields)
    person.set_unusable_password()
    person.full_clean(exclude=["password"])
    person.save()
    RoleAssignment.objects.create(person=person, unit=unit, role=role)
    invitation, _token = Invitation.issue(person)
    enqueue(send_invitation, invitation.pk)
    return person


def _check_no_password(person: Person) -> None:
    # An invitation sets a *first* password. Replacing a working one would let whoever controls the e-mail
    # field take the account over; a forgotten password goes through reset, to the address on file.
    if person.has_usable_password():
        raise ValidationError(
            _(
                "%(person)s already has a password. If it is forgotten, they reset it from the login page;"
                " the link goes to the e-mail address on file."
            )
            % {"person": person}
        )


@transaction.atomic
def invitation_resend(*, person: Person) -> Invitation:
    from .tasks import send_invitation

    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_no_password(person)
    invitation, _token = Invitation.issue(person)
    enqueue(send_invitation, invitation.pk)
    return invitation


def _check_unit_usable(unit: Unit) -> None:
    if not unit.is_active:
        raise ValidationError({"unit": _("The unit %(unit)s is inactive.") % {"unit": unit}})


def invitation_check(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("person").filter(token_hash=Invitation.hash_token(token)).first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    if invitation.used_at is not None:
        raise ValidationError(
            _("This invitation link has already been used. Log in, or reset your password.")
        )
    if invitation.expires_at < timezone.now():
        raise ValidationError(_("This invitation link has expired. Ask your administrator for a new one."))
    _check_no_password(invitation.person)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> Person:
    invitation = invitation_check(token)
    # Lock so that two tabs submitting the same link cannot both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise ValidationError(
            _("This invitation link has already been used. Log in, or reset your password.")
        )
    person = invitation.person
    person.set_password(password)
    person.save(update_fields=["password"])
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return person


@transaction.atomic
def role_assign(*, person: Person, unit: Unit, role: str) -> RoleAssignment:
    _check_unit_usable(unit)
    try:
        with transaction.atomic():
            return RoleAssignment.objects.create(person=person, unit=unit, role=role)
    except IntegrityError as exc:
        raise ValidationError(_("This person already holds that role on that unit.")) from exc


@transaction.atomic
def role_remove(*, assignment: RoleAssignment) -> None:
    assignment.delete()


@transaction.atomic
def committee_save(*, committee: Committee, units_covered) -> Committee:
    committee.full_clean()
    committee.save()
    committee.units_covered.set(units_covered)
    return committee


@transaction.atomic
def committee_member_add(*, committee: Committee, person: Person, position: str) -> CommitteeMember:
    if committee.members.filter(person=person).exists():
        raise ValidationError(
            {"person": _("%(person)s is already a member of this committee.") % {"person": person}}
        )
    return CommitteeMember.objects.create(committee=committee, person=person, position=position)


@transaction.atomic
def resolution_record(
    *, committee: Committee, recorded_by: Person, number: str, date, text: str
) -> Resolution:
    if committee.resolutions.filter(number=number).exists():
        raise ValidationError(
            {"number": _("Resolution number %(number)s is already recorded.") % {"number": number}}
        )
    return Resolution.objects.create(
        committee=committee, recorded_by=recorded_by, number=number, date=date, text=text
    )
