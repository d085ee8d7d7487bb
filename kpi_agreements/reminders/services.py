"""The daily reminder run (issue 11, DOMAIN §8).

What is due today, or was due on an earlier day and never logged, is logged first: the log's unique key
decides, so a rerun, a second beat or a retried task sends nothing twice. Then the person is told in the
application, and the reminder joins the person's digest of the day, one e-mail sent through the outbox
(ADR 0005) and marked sent in the same transaction as the sending.
"""

import logging
import threading
from collections import defaultdict
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpi_agreements import scoring
from kpi_agreements.core.thai import be_date
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.workflow.models import Notice
from kpi_agreements.workflow.outbox import enqueue

from .models import ReminderDigest, ReminderLog, ReminderRun
from .schedule import Due, plan, policy_for

logger = logging.getLogger(__name__)
Status = ReminderLog.Status
_SQLITE_WRITER = threading.Lock()


@contextmanager
def _one_writer():
    """SQLite lets one connection write at a time, and its shared in-memory test database refuses a second
    writer at once ("table is locked") instead of waiting: runs of one process take turns there. PostgreSQL
    needs no lock: two runs racing for one reminder meet at its unique key, and the second one stands back."""
    if connection.vendor == "sqlite":
        with _SQLITE_WRITER:
            yield
    else:
        yield


def reminders_run(*, now=None, trigger: str = ReminderRun.Trigger.BEAT, user=None) -> ReminderRun:
    """Send every reminder due by now that was never sent; returns the run with its counts."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    with _one_writer():
        run = ReminderRun.objects.create(day=today, trigger=trigger, started_by=user, started_at=now)
        notes = []
        counts = defaultdict(int)
        for year in FiscalYear.objects.order_by("be_year"):
            policy = policy_for(year)
            if not policy.enabled:
                continue
            # The beat runs Monday to Friday; a holiday of the year's calendar is no working day either.
            if not scoring.is_working_day(today, year.holiday_dates):
                notes.append(
                    _("%(year)s: %(day)s is not a working day.") % {"year": year, "day": be_date(today)}
                )
                continue
            if local.time() < policy.send_at:
                at = policy.send_at.strftime("%H:%M")
                notes.append(_("%(year)s: reminders go out from %(time)s.") % {"year": year, "time": at})
                continue
            for status in _run_year(run, year, policy, today, now):
                counts[status] += 1
        queue_digests()
        run.sent, run.skipped, run.failed = counts[Status.SENT], counts[Status.SKIPPED], counts[Status.FAILED]
        run.note = "\n".join(notes)
        run.finished_at = timezone.now()
        run.save(update_fields=["sent", "skipped", "failed", "note", "finished_at"])
    return run


def logged_keys(dues: list[Due]) -> set[tuple]:
    """Keys already sent or skipped (a failed one is tried again), in one query per kind of subject."""
    by_type = defaultdict(set)
    for due in dues:
        by_type[ContentType.objects.get_for_model(due.subject).pk].add(due.subject.pk)
    keys = set()
    for ct, ids in by_type.items():
        rows = ReminderLog.objects.filter(
            content_type=ct, object_id__in=ids, status__in=[Status.SENT, Status.SKIPPED]
        ).values_list("content_type", "object_id", "kind", "offset", "person")
        keys.update(rows)
    return keys


def _run_year(run, year, policy, today: date, now) -> list[str]:
    dues = plan(year, policy, today)
    done = logged_keys(dues)
    families = defaultdict(list)
    for due in dues:
        if due.key not in done:
            families[due.family].append(due)
    statuses = []
    for family in families.values():
        # After days without a run only the latest reminder of a family is sent: caught up once.
        family.sort(key=lambda d: (d.on, d.order))
        latest = family[-1]
        for due in family:
            if due.expires is not None and today > due.expires:
                status, reason = Status.SKIPPED, _("The date it announced has passed.")
            elif due is not latest:
                status, reason = Status.SKIPPED, _("A later reminder of the same date was due.")
            else:
                status, reason = Status.SENT, ""
            recorded = record(run=run, due=due, status=status, reason=reason, today=today, now=now)
            if recorded:
                statuses.append(recorded)
    return statuses


def record(*, run, due: Due, status: str, reason: str, today: date, now) -> str | None:
    """Log the reminder first, then tell the person, in one transaction. Returns the status, or None when
    another run logged it first (the unique key): never twice."""
    ct = ContentType.objects.get_for_model(due.subject)
    key = dict(content_type=ct, object_id=due.subject.pk, kind=due.kind, offset=due.offset, person=due.person)
    try:
        with transaction.atomic():
            # A reminder that failed in an earlier run is tried again under the same key.
            ReminderLog.objects.filter(status=Status.FAILED, **key).delete()
            log = ReminderLog.objects.create(
                **key,
                unit=due.unit,
                due_on=due.on,
                deadline=due.deadline,
                status=status,
                reason=reason,
                text=_line(due, today),
                url=due.url,
                run=run,
                created_at=now,
            )
            if status == Status.SENT:
                _tell(log, due, today, now)
    except IntegrityError:
        return None
    except Exception as exc:  # one bad reminder must not stop everyone else's
        logger.exception("Reminder %s to person %s failed", (due.kind, due.offset), due.person.pk)
        try:
            with transaction.atomic():
                ReminderLog.objects.create(
                    **key,
                    unit=due.unit,
                    due_on=due.on,
                    deadline=due.deadline,
                    status=Status.FAILED,
                    reason=f"{type(exc).__name__}: {exc}"[:300],
                    url=due.url,
                    run=run,
                    created_at=now,
                )
        except IntegrityError:
            return None
        return Status.FAILED
    return status


def _line(due: Due, today: date) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return due.line(today)


def _tell(log: ReminderLog, due: Due, today: date, now) -> None:
    Notice.objects.create(
        recipient=due.person, key=f"reminder:{log.pk}", text=log.text, url=log.url, created_at=now
    )
    if due.person.email:
        log.digest = ReminderDigest.objects.get_or_create(person=due.person, day=today)[0]
        log.save(update_fields=["digest"])
    else:
        log.reason = _("No e-mail address: told in the application only.")
        log.save(update_fields=["reason"])


def queue_digests() -> int:
    """Queue one e-mail for every digest with reminders not yet e-mailed and no e-mail owed already; also
    heals a run that stopped between logging and queueing."""
    owed = (
        ReminderDigest.objects.filter(
            queued_at__isnull=True, logs__status=Status.SENT, logs__emailed_at__isnull=True
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    queued = 0
    for pk in list(owed):
        from .tasks import send_reminder_digest

        with transaction.atomic():
            # Conditional: of two runs queueing at once, one wins.
            if ReminderDigest.objects.filter(pk=pk, queued_at__isnull=True).update(queued_at=timezone.now()):
                enqueue(send_reminder_digest, pk)
                queued += 1
    return queued


def digest_send(digest_id: int) -> None:
    """Send the digest's reminders not yet e-mailed in one e-mail. The row lock makes an overlapping run wait
    and then find them e-mailed; a failed send rolls back to "not e-mailed" and the outbox tries again."""
    with transaction.atomic():
        digest = (
            ReminderDigest.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(pk=digest_id)
            .first()
        )
        if digest is None or not digest.person.email:
            return  # gone, or the address was removed since: the reminders stay in the application
        logs = list(
            digest.logs.filter(status=Status.SENT, emailed_at__isnull=True).order_by("created_at", "id")
        )
        if not logs:
            ReminderDigest.objects.filter(pk=digest.pk).update(queued_at=None)
            return
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Reminders of %(day)s: %(count)s") % {"day": be_date(digest.day), "count": len(logs)}
            body = render_to_string(
                "reminders/digest_email.txt",
                {"person": digest.person, "logs": logs, "day": digest.day, "site_url": settings.SITE_URL},
            )
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [digest.person.email])
        sent = timezone.now()
        ReminderLog.objects.filter(pk__in=[log.pk for log in logs]).update(emailed_at=sent)
        ReminderDigest.objects.filter(pk=digest.pk).update(sent_at=sent, queued_at=None)


def run_again(*, user) -> None:
    """ "Run again" from the administrator's page: the same run, queued through the outbox (idempotent)."""
    from .tasks import send_reminders

    with transaction.atomic():
        enqueue(send_reminders, ReminderRun.Trigger.MANUAL, user.pk)
