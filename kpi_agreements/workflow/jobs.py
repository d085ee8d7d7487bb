"""Background jobs: long work a person asked for, run after the request on the outbox (ADR 0005).

An app registers what a kind of job does with ``@job_kind("reporting.card_pdf")``: a function
``work(job, progress)`` that returns ``(filename, bytes)`` for a file to download, or ``None``, and may put
what it found in ``job.outcome``. ``progress(done, total)`` stores how far it is, for the job's page.
``job_request`` records the job and its effect in the caller's transaction; ``run_job`` is idempotent (a job
ready or failed is left alone), so a duplicate delivery does nothing and a redelivery after a dead worker
runs it again.
"""

import logging

from celery import shared_task
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import Job
from .outbox import enqueue

logger = logging.getLogger(__name__)
KINDS = {}


def job_kind(name: str):
    def register(fn):
        KINDS[name] = fn
        return fn

    return register


def job_request(*, kind: str, user, subject=None, **params) -> Job:
    if kind not in KINDS:
        raise ValueError(f"unknown job kind: {kind!r}")
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            content_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
            object_id=subject.pk if subject is not None else None,
            params=params,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
        )
        enqueue(run_job, job.pk)
    return job


def jobs_about(subject, kinds=None):
    jobs = Job.objects.filter(content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk)
    return jobs.filter(kind__in=kinds) if kinds else jobs


def job_again(job: Job) -> Job:
    """Run a failed job again, on the same row."""
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.PENDING, error="", done=0, finished_at=None, started_at=None
        )
        enqueue(run_job, job.pk)
    job.refresh_from_db()
    return job


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    work = KINDS.get(job.kind)
    if work is None:
        from django.apps import apps

        apps.get_app_configs()  # kinds register when their app is ready
        work = KINDS.get(job.kind)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now(), error="")

    def progress(done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        if work is None:
            raise LookupError(f"no work registered for {job.kind!r}")
        made = work(job, progress)
        if made is not None:
            filename, content = made
            job.filename = filename
            job.file.save(filename, ContentFile(content), save=False)
    except Exception as exc:  # the person sees why; the worker goes on
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.READY,
        file=job.file.name or "",
        filename=job.filename,
        outcome=job.outcome,
        finished_at=timezone.now(),
    )
