"""Notices to the people whose action a step awaits: in the application and by e-mail, once per step."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from .models import Notice, Transition
from .outbox import enqueue

# Each object kind registers how to address its steps: fn(transition) -> (people, text, url) or None.
ADDRESSERS = {}


def addresser(model_label: str):
    def register(fn):
        ADDRESSERS[model_label] = fn
        return fn

    return register


def queue_notices(transition: Transition) -> None:
    """Call inside the service's transaction: recorded with the move, run once it is committed."""
    enqueue(send_step_notices, transition.pk)


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
                    if person.email:
                        # Its own effect: one failed e-mail is retried alone, until emailed_at is set.
                        enqueue(send_notice_email, notice.pk)
            except IntegrityError:
                continue  # this step was already announced to this person: never twice
            sent += 1
    return sent


@shared_task
def send_notice_email(notice_id: int) -> None:
    # The row lock makes an overlapping run wait, then find it sent; a failure rolls back to "not sent".
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notice_id, emailed_at__isnull=True)
            .first()
        )
        if notice is None or not notice.recipient.email:
            return
        send_mail(
            notice.text,
            f"{notice.text}\n\n{settings.SITE_URL}{notice.url}\n",
            settings.DEFAULT_FROM_EMAIL,
            [notice.recipient.email],
        )
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])
