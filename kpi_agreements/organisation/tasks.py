import secrets

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Invitation


@shared_task
def send_invitation(invitation_id: int) -> None:
    """E-mail the invitation with a link minted now: only its hash is stored, so no usable token waits in
    the outbox or the broker. The row lock makes an overlapping run wait and then find it sent; a failed
    e-mail rolls back to "not sent" and is retried by the outbox (ADR 0005)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=invitation_id, sent_at__isnull=True, used_at__isnull=True)
            .first()
        )
        if invitation is None or not invitation.person.email:
            return  # gone, used or already sent: a retried task must not mail twice
        token = secrets.token_urlsafe(32)
        invitation.token_hash = Invitation.hash_token(token)
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "sent_at"])
        person = invitation.person
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "person": person,
                "link": settings.SITE_URL + reverse("invitation_accept", args=[token]),
                "expires_at": invitation.expires_at,
            }
            subject = render_to_string("organisation/email/invitation_subject.txt", context).strip()
            body = render_to_string("organisation/email/invitation.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
