"""Background jobs of the reporting rounds (workflow.jobs): documents, the round's workbook, imports.

Each ``@job_kind`` function receives the Job and a progress callback; see workflow/jobs.py. Who may read a
job about a report or a round is said here too (workflow.access.JOB_READERS), with the page a job's page
links back to. The round's workbook and the import register their kinds in ``excel/`` (imported below).
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kpi_agreements.workflow.access import JOB_LABELS, JOB_PAGES, JOB_READERS
from kpi_agreements.workflow.jobs import job_kind

from .access import reports_visible_to
from .models import RoundReport
from .services.cards import SELF, VERIFIED

CARD_PDF, CARD_XLSX, SAR_PDF = "reporting.card_pdf", "reporting.card_xlsx", "reporting.sar_pdf"
DOCUMENT_KINDS = (CARD_PDF, CARD_XLSX, SAR_PDF)
JOB_LABELS.update(
    {
        CARD_PDF: _("e-SAR card (PDF)"),
        CARD_XLSX: _("e-SAR card (Excel)"),
        SAR_PDF: _("Self-assessment report, SAR (PDF)"),
    }
)

# A report's jobs are read by whoever reads the report; a round-wide job (the workbook of everything in the
# requester's scope) by its requester alone, which workflow.access grants before asking here.
JOB_READERS["reporting.roundreport"] = lambda user, report: (
    reports_visible_to(user).filter(pk=report.pk).exists()
)
JOB_READERS["reporting.round"] = lambda user, round: False
JOB_PAGES["reporting.roundreport"] = lambda pk: reverse("report_documents", args=[pk])
JOB_PAGES["reporting.round"] = lambda pk: reverse("round_overview", args=[pk])


def _subject(job) -> RoundReport:
    return RoundReport.objects.select_related("round__fiscal_year", "agreement__unit").get(pk=job.object_id)


def _name(report: RoundReport, what: str, basis: str, extension: str) -> str:
    """An ASCII file name: unit ids and B.E. years, never the Thai unit name (browsers mangle it)."""
    fy = report.round.fiscal_year.be_year
    return f"{what}-{report.agreement.unit_id}-fy{fy}-r{report.round.months}-{basis}-{report.pk}.{extension}"


def _basis(job) -> str:
    basis = job.params.get("basis", SELF)
    if basis not in (SELF, VERIFIED):
        raise ValueError(f"unknown basis: {basis!r}")
    return basis


@job_kind(CARD_PDF)
def card_pdf(job, progress):
    from . import render  # WeasyPrint: loaded by the process that renders

    report, basis = _subject(job), _basis(job)
    progress(0, 1)
    pdf = render.render_card_pdf(report, basis=basis, thai_digits=bool(job.params.get("thai_digits")))
    progress(1, 1)
    return _name(report, "esar-card", basis, "pdf"), pdf


@job_kind(CARD_XLSX)
def card_xlsx(job, progress):
    from . import render

    report, basis = _subject(job), _basis(job)
    progress(0, 1)
    content = render.render_card_xlsx(report, basis=basis)
    progress(1, 1)
    return _name(report, "esar-card", basis, "xlsx"), content


@job_kind(SAR_PDF)
def sar_pdf(job, progress):
    from . import render

    report = _subject(job)
    if not report.round.has_sar:
        raise ValueError("the 9-month round has no SAR")
    progress(0, 1)
    pdf = render.render_sar_pdf(report, thai_digits=bool(job.params.get("thai_digits")))
    progress(1, 1)
    return _name(report, "sar", SELF, "pdf"), pdf
