"""Who may see a background job (workflow.jobs): its requester, or whoever may read what the job is about.

The workflow app knows no domain model, so each app that requests jobs about its objects says who reads
them: ``JOB_READERS["reporting.roundreport"] = lambda user, report: ...`` (filled in the app's ``jobs.py``,
imported when the app is ready). A job about a model nobody registered, or about nothing, is its requester's
alone. Capabilities:

- ``read``: the job's page, its download;
- ``again``: run a failed (or stuck) job again: the same people, since the job makes the same file for
  anyone who may read it.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Job

# model label (``app_label.modelname``) → fn(user, subject) -> bool
JOB_READERS: dict[str, Callable[[object, object], bool]] = {}
# For the job's page, filled the same way: kind → its label; model label → fn(object_id) -> the URL of the
# subject's page (the way back).
JOB_LABELS: dict[str, str] = {}
JOB_PAGES: dict[str, Callable[[int], str]] = {}


def may_read_job(user, job: Job) -> bool:
    if not user.is_authenticated:
        return False
    if job.requested_by_id == user.pk:
        return True
    if job.content_type_id is None:
        return False
    reader = JOB_READERS.get(job.content_type.app_label + "." + job.content_type.model)
    subject = job.subject if reader else None
    return bool(subject is not None and reader(user, subject))


def may_run_again(job: Job) -> bool:
    """Failed, or waiting or working past the time limit: its task was lost with a worker or a broker (the
    sweeper sends it again too, but a person should not have to wait for that)."""
    if job.status == Job.Status.FAILED:
        return True
    limit = timezone.now() - timedelta(minutes=settings.TASK_STUCK_MINUTES)
    return job.status != Job.Status.READY and (job.started_at or job.created_at) < limit


def get_job_for(user, pk, *, need: str = "read") -> Job:
    """The job, or 404 for anyone who may not read it (``need`` is ``read`` or ``again``)."""
    if need not in ("read", "again") or not user.is_authenticated:
        raise Http404
    job = get_object_or_404(Job.objects.select_related("content_type", "requested_by"), pk=pk)
    if not may_read_job(user, job):
        raise Http404
    return job
