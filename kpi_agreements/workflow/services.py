"""Recording and reading workflow moves; one place for the rules every state machine shares."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from .models import Transition


def record(obj, *, action: str, from_state: str, to_state: str, actor, comment: str = "") -> Transition:
    return Transition.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        comment=comment,
    )


def timeline(obj):
    return Transition.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")


def check_move(bound_transition, user, *, labels: dict) -> None:
    """Refuse a move with a reason a person understands: wrong state, wrong person, or unmet conditions."""
    instance = bound_transition.__self__
    name = bound_transition.__name__
    state = instance.status
    if not can_proceed(bound_transition, check_conditions=False):
        raise ValidationError(
            _("This cannot be done while the item is %(state)s.") % {"state": labels.get(state, state)}
        )
    if not has_transition_perm(bound_transition, user):
        raise ValidationError(_("You may not do this (%(action)s).") % {"action": labels.get(name, name)})
    if not can_proceed(bound_transition):
        raise ValidationError(_("The conditions for this step are not met."))
