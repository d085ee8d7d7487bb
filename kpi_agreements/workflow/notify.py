"""Notices to the people whose action a step awaits: in the application and by e-mail, once per step."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .models import Notice, Transition

# Each object kind registers how to address its steps: fn(transition) -> (people, text, url) or None.
ADDRESSERS = {}


def addresser(model_label: str):
    def register(fn):
        ADDRESSERS[model_label] = fn
        return fn

    return register


def queue_notices(transition: Transition) -> None:
    """Call inside the service's transaction: the task runs only once the move is committed."""
    # robust: the move is committed; a dead broker must not turn it into a 500 (the sweeper is issue 9).
    transaction.on_commit(lambda: send_step_notices.delay(transition.pk), robust=True)


@shared_task
def send_step_notices(transition_id: int) -> int:
    transition = Transition.objects.select_related("content_type").filter(pk=transition_id).first()
    if transition is None or transition.subject is None:
        return 0
    address = ADDRESSERS.get(transition.content_type.model_class()._meta.label)
    if address is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        addressed = address(transition)
        if not addressed:
            return 0
        people, text, url = addressed
        sent = 0
        for person in {p.pk: p for p in people if p is not None and p.is_active}.values():
            try:
                with transaction.atomic():
                    notice = Notice.objects.create(
                        recipient=person, key=f"transition:{transition.pk}", text=text, url=url
                    )
            except IntegrityError:
                continue  # this step was already announced to this person: never twice
            if person.email:
                send_mail(
                    text, f"{text}\n\n{settings.SITE_URL}{url}\n", settings.DEFAULT_FROM_EMAIL, [person.email]
                )
                Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
            sent += 1
    return sent
