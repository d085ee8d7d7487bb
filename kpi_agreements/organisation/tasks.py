from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Invitation


@shared_task
def send_invitation(invitation_id: int, token: str) -> None:
    invitation = Invitation.objects.select_related("person").filter(pk=invitation_id).first()
    if invitation is None or invitation.sent_at is not None or invitation.used_at is not None:
        return  # gone, or already sent: a retried task must not mail twice
    person = invitation.person
    if not person.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "link": settings.SITE_URL + reverse("invitation_accept", args=[token]),
            "expires_at": invitation.expires_at,
        }
        subject = render_to_string("organisation/email/invitation_subject.txt", context).strip()
        body = render_to_string("organisation/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
