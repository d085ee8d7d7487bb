"""Celery tasks of the reminders: thin, idempotent (every reminder is keyed in the log), ids in and out."""

from celery import shared_task
from django.utils.dateparse import parse_datetime


@shared_task
def send_reminders(trigger: str = "beat", user_id: int | None = None, as_of: str | None = None) -> dict:
    """Beat, on working days at REMINDERS_HOUR:REMINDERS_MINUTE (settings.CELERY_BEAT_SCHEDULE). ``as_of``
    (an ISO date-time) runs the day as it was or will be, for a test or a catch-up by hand; the beat gives
    none."""
    from kpi_agreements.organisation.models import Person

    from .services import reminders_run

    user = Person.objects.filter(pk=user_id).first() if user_id else None
    run = reminders_run(now=parse_datetime(as_of) if as_of else None, trigger=trigger, user=user)
    return {"run": run.pk, "sent": run.sent, "skipped": run.skipped, "failed": run.failed}


@shared_task
def send_reminder_digest(digest_id: int) -> None:
    from .services import digest_send

    digest_send(digest_id)
