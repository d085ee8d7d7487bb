from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import jobs
from .access import JOB_LABELS, JOB_PAGES, get_job_for, may_run_again
from .models import Job, Notice


@login_required
def notices(request):
    """The user's notices, newest first; opening the page marks them read."""
    items = list(Notice.objects.filter(recipient=request.user)[:100])
    Notice.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "workflow/notices.html", {"notices": items})


# --- background jobs (workflow.jobs): their page, their file, running a failed one again ----------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def job_label(job: Job) -> str:
    return str(JOB_LABELS.get(job.kind, job.kind))


def _subject_page(job: Job) -> str:
    if job.content_type_id is None:
        return ""
    page = JOB_PAGES.get(job.content_type.app_label + "." + job.content_type.model)
    return page(job.object_id) if page else ""


@login_required
@require_GET
def job_detail(request, pk):
    """A job's status and progress, refreshed every 2 seconds while unfinished; its outcome and file."""
    job = get_job_for(request.user, pk)
    context = {"job": job, "label": job_label(job), "again": may_run_again(job), "back": _subject_page(job)}
    if request.htmx:
        return render(request, "workflow/_job_status.html", context)
    return render(request, "workflow/job_detail.html", context)


@login_required
@require_GET
def job_download(request, pk):
    job = get_job_for(request.user, pk)
    if job.status != Job.Status.READY or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = job.filename.rsplit(".", 1)[-1].lower()
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.filename,
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )


@login_required
@require_POST
def job_again(request, pk):
    """Run a failed or stuck job again, on the same row (its page shows it waiting)."""
    job = get_job_for(request.user, pk, need="again")
    if may_run_again(job):
        jobs.job_again(job)
        messages.success(request, _("The job was started again."))
    else:
        messages.error(request, _("Only a failed or stuck job can be started again."))
    return redirect(request.POST.get("next") if _safe_next(request) else reverse("job_detail", args=[job.pk]))


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
