"""The scorecard and the dashboard as PDF and Excel (issue 12 item 6): background jobs (jobs.py) about the
round, with the page's filters; their page is the job's page (workflow: ``job_detail``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements.workflow.access import JOB_LABELS
from kpi_agreements.workflow.jobs import job_request

from ..access import get_round_in_scope
from ..jobs import EXPORTS
from .params import read_params


@login_required
@require_POST
def scorecard_export(request, pk):
    """Ask for an export of what the page shows (its filters travel in the query string)."""
    round = get_round_in_scope(request.user, pk)
    params = read_params(request, round.fiscal_year, list(round.fiscal_year.dimensions.all()))
    kind = EXPORTS.get(request.POST.get("document", ""))
    back = "scorecard_dashboard" if request.POST.get("document", "").startswith("dashboard") else "scorecard"
    if kind is None or params.problems:
        for problem in params.problems or [_("Choose one of the exports offered.")]:
            messages.error(request, problem)
        return redirect(back, pk=round.pk)
    job = job_request(
        kind=kind, user=request.user, subject=round, **params.as_dict(around=None, basis=params.basis)
    )
    messages.success(request, _("%(document)s was requested.") % {"document": JOB_LABELS[kind]})
    return redirect("job_detail", pk=job.pk)


urlpatterns = [path("scorecards/rounds/<int:pk>/export/", scorecard_export, name="scorecard_export")]
