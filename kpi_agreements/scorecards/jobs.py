"""Background jobs of the scorecards (workflow.jobs): the scorecard and the dashboard as PDF and Excel.

A job is about the round and carries the page's filters; it is built for its requester's scope when it runs
(the requester alone reads it: workflow.access lets the requester in, and reporting.jobs says nobody else
reads a round's jobs). Imported when the app is ready (apps.py).
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kpi_agreements.reporting.models import Round
from kpi_agreements.workflow.access import JOB_LABELS
from kpi_agreements.workflow.jobs import job_kind

SCORECARD_PDF, SCORECARD_XLSX = "scorecards.scorecard_pdf", "scorecards.scorecard_xlsx"
DASHBOARD_PDF, DASHBOARD_XLSX = "scorecards.dashboard_pdf", "scorecards.dashboard_xlsx"
# The export buttons' values → job kinds.
EXPORTS = {
    "scorecard_pdf": SCORECARD_PDF,
    "scorecard_xlsx": SCORECARD_XLSX,
    "dashboard_pdf": DASHBOARD_PDF,
    "dashboard_xlsx": DASHBOARD_XLSX,
}
JOB_LABELS.update(
    {
        SCORECARD_PDF: _("Scorecard (PDF)"),
        SCORECARD_XLSX: _("Scorecard (Excel)"),
        DASHBOARD_PDF: _("Executive dashboard (PDF)"),
        DASHBOARD_XLSX: _("Executive dashboard (Excel)"),
    }
)


def _setting(job):
    """The round, the requester and the page's filters, checked again now: scope may have changed."""
    from .access import get_unit_in_scope, has_scope
    from .selectors import BASES, SELF, sort_keys
    from .views.params import Params

    round = Round.objects.select_related("fiscal_year").get(pk=job.object_id)
    user = job.requested_by
    if user is None or not user.is_active or not has_scope(user, round.fiscal_year):
        raise PermissionError("the requester may no longer read this round")
    p = job.params
    basis = p.get("basis", SELF)
    if basis not in BASES:
        raise ValueError(f"unknown basis: {basis!r}")
    sort = p.get("sort", "rank")
    if sort.lstrip("-") not in sort_keys(round.fiscal_year.dimensions.all()):
        sort = "rank"
    unit = get_unit_in_scope(user, p["unit"], round.fiscal_year) if p.get("unit") else None
    params = Params(basis=basis, unit=unit, unit_type=p.get("type"), level=p.get("level"), sort=sort)
    return round, user, params


def _name(what: str, round, params, job, extension: str) -> str:
    """An ASCII file name: B.E. year, round, basis, the subtree's unit id."""
    under = f"-u{params.unit.pk}" if params.unit else ""
    return f"{what}-fy{round.fiscal_year.be_year}-r{round.months}{under}-{params.basis}-{job.pk}.{extension}"


def _export(job, progress, what: str, extension: str):
    from . import render

    round, user, params = _setting(job)
    progress(0, 1)
    with translation.override("th"):
        content = getattr(render, f"{what}_{extension}")(user, round, params)
    progress(1, 1)
    return _name(what, round, params, job, extension), content


@job_kind(SCORECARD_PDF)
def scorecard_pdf(job, progress):
    return _export(job, progress, "scorecard", "pdf")


@job_kind(SCORECARD_XLSX)
def scorecard_xlsx(job, progress):
    return _export(job, progress, "scorecard", "xlsx")


@job_kind(DASHBOARD_PDF)
def dashboard_pdf(job, progress):
    return _export(job, progress, "dashboard", "pdf")


@job_kind(DASHBOARD_XLSX)
def dashboard_xlsx(job, progress):
    return _export(job, progress, "dashboard", "xlsx")
