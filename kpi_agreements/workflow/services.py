"""Recording and reading workflow moves; one place for the rules every state machine shares."""

import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from .models import Transition

logger = logging.getLogger("kpi_agreements.workflow")


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


def timeline(obj, labels: dict | None = None) -> list[Transition]:
    """The object's moves, oldest first, each with its action and states in words (``labels``)."""
    labels = labels or {}
    rows = list(
        Transition.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).select_related("actor")
    )
    for row in rows:
        row.action_label = labels.get(row.action, row.action)
        row.from_label = labels.get(row.from_state, row.from_state)
        row.to_label = labels.get(row.to_state, row.to_state)
    return rows


def check_move(bound_transition, user, *, labels: dict) -> None:
    """Refuse a move with a reason a person understands: wrong state, wrong person, or unmet conditions.

    Refusals are logged too, so an administrator can see who tried what.
    """
    instance = bound_transition.__self__
    name = bound_transition.__name__
    state = instance.status
    reason = None
    if not can_proceed(bound_transition, check_conditions=False):
        reason = _("This cannot be done while the item is %(state)s.") % {"state": labels.get(state, state)}
    elif not has_transition_perm(bound_transition, user):
        reason = _("You may not do this (%(action)s).") % {"action": labels.get(name, name)}
    elif not can_proceed(bound_transition):
        reason = _("The conditions for this step are not met.")
    if reason:
        logger.warning(
            "refused %s on %s #%s (state %s) by user %s",
            name,
            instance._meta.label,
            instance.pk,
            state,
            getattr(user, "pk", None),
        )
        raise ValidationError(reason)


def move(obj, action: str, user, *, labels: dict, comment: str = "", check: bool = True) -> Transition:
    """Take one declared transition, save it optimistically, write its row and queue its notices.

    Call inside the service's transaction. ``check=False`` when the service has checked already.
    """
    from .notify import queue_notices

    bound = getattr(obj, action)
    if check:
        check_move(bound, user, labels=labels)
    before = obj.status
    bound()
    try:
        obj.save()
    except ConcurrentTransition as exc:
        raise ValidationError(_("Someone else moved this a moment ago; reload the page.")) from exc
    row = record(obj, action=action, from_state=before, to_state=obj.status, actor=user, comment=comment)
    queue_notices(row)
    return row
