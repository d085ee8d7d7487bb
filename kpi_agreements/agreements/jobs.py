"""Background jobs of the agreements (workflow.jobs): creating the year's agreements, importing a KPI Template
workbook, and the year's KPIs in one workbook (issue 14).

Each job runs with its requester's rights as they are when it runs, and is its requester's alone
(``JOB_READERS``: nobody else reads a year's or an agreement's jobs). Each is safe to run again: creating
skips the units that have an agreement, the export only reads, and an import is applied once per job (a mark
on the job is written in the import's own transaction). An import's upload is kept in default storage under
``imports/`` until its job has run (params ``file``); its outcome holds what the job page shows (``summary``,
and ``errors`` per cell with ``where`` and ``message``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kpi_agreements import scoring
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import Role
from kpi_agreements.workflow.access import JOB_LABELS, JOB_PAGES, JOB_READERS
from kpi_agreements.workflow.jobs import job_kind
from kpi_agreements.workflow.models import Job

from .access import agreements_visible_to, get_agreement_for
from .excel import export
from .excel.parse import ImportReport
from .models import Agreement
from .services import drafting, excel_import

YEAR_CREATE, KPI_IMPORT, YEAR_EXPORT = (
    "agreements.year_create",
    "agreements.kpi_import",
    "agreements.year_export",
)
JOB_LABELS.update(
    {
        YEAR_CREATE: gettext_lazy("Creating the year's draft agreements"),
        KPI_IMPORT: gettext_lazy("Import of KPI Templates from Excel"),
        YEAR_EXPORT: gettext_lazy("All KPIs of the year (Excel)"),
    }
)
JOB_READERS["fiscal.fiscalyear"] = lambda user, year: False
JOB_READERS["agreements.agreement"] = lambda user, agreement: False
JOB_PAGES["fiscal.fiscalyear"] = lambda pk: reverse("year_agreements", args=[pk])
JOB_PAGES["agreements.agreement"] = lambda pk: reverse("agreement_excel_upload", args=[pk])

YEAR_EXPORT_ROLES = (Role.ADMIN, Role.PLANNING, Role.EXECUTIVE)
ERRORS_KEPT = 500  # problems of an import kept on its job; the count says how many more there were


def can_export_year(user) -> bool:
    """The year's KPIs in one sheet are for planning staff, executives and administrators."""
    scope = scope_of(user)
    return scope.is_superuser or any(role in scope.paths for role in YEAR_EXPORT_ROLES)


def _requester(job):
    if job.requested_by is None or not job.requested_by.is_active:
        raise PermissionError("the person who asked for the job is no longer active")
    return job.requested_by


def _language(job):
    return translation.override(job.params.get("language") or settings.LANGUAGE_CODE)


# --- creating the year's agreements -------------------------------------------------------------------------


@job_kind(YEAR_CREATE)
def year_create(job, progress):
    year, user = FiscalYear.objects.get(pk=job.object_id), _requester(job)
    asked = set(job.params["units"])
    units = list(
        scope_of(user)
        .units(*drafting.AGREEMENT_CREATORS)
        .filter(is_active=True, pk__in=asked)
        .order_by("path")
    )
    if len(units) != len(asked):
        raise PermissionError(
            f"{len(asked) - len(units)} of the units are inactive or no longer managed by the requester"
        )
    had = set(Agreement.objects.filter(fiscal_year=year, unit__in=asked).values_list("unit_id", flat=True))
    with _language(job):
        try:
            created = drafting.agreements_create(fiscal_year=year, units=units, user=user, progress=progress)
        except (ValidationError, scoring.ScoringError) as exc:  # the framework's rules: shown, not a crash
            messages = exc.messages if isinstance(exc, ValidationError) else [scoring_message(exc)]
            made = Agreement.objects.filter(fiscal_year=year, unit__in=asked).exclude(unit__in=had).count()
            job.outcome = {"errors": [{"message": m} for m in messages]}
            job.outcome.update(created_summary(made, len(had), failed=True))
        else:
            # Counted by what this run made, not by what it saw first: another run may have made some.
            job.outcome = created_summary(len(created), len(asked) - len(created))
    return None


def created_summary(created: int, skipped: int, failed: bool = False) -> dict:
    summary = ngettext(
        "%(count)s draft agreement was created.", "%(count)s draft agreements were created.", created
    ) % {"count": created}
    if skipped:
        summary += " " + ngettext(
            "%(count)s unit already had an agreement for this year.",
            "%(count)s units already had an agreement for this year.",
            skipped,
        ) % {"count": skipped}
    if failed:
        summary += " " + _("The rest were not created: correct the framework and request it again.")
    return {"summary": summary, "created": created, "skipped": skipped}


# --- the KPI Template import --------------------------------------------------------------------------------


def _where(error) -> str:
    if error.row and error.column:
        return _("sheet “%(sheet)s”, row %(row)s, column %(column)s (%(header)s)") % {
            "sheet": error.sheet,
            "row": error.row,
            "column": error.column,
            "header": error.header,
        }
    if error.row:
        return _("sheet “%(sheet)s”, row %(row)s") % {"sheet": error.sheet, "row": error.row}
    return error.sheet


def report_json(report: ImportReport) -> dict:
    """The import's report as the job keeps it: counts, a summary, and the problems with where they are."""
    data = {
        "ok": report.ok,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "not_in_file": report.not_in_file,
        "error_count": len(report.errors),
        "errors": [
            {
                "sheet": e.sheet,
                "row": e.row,
                "column": e.column,
                "header": e.header,
                "message": e.message,
                "where": _where(e),
            }
            for e in report.errors[:ERRORS_KEPT]
        ],
    }
    if report.ok:
        data["summary"] = _(
            "The workbook was imported: %(created)s KPIs added, %(updated)s changed, %(unchanged)s unchanged."
        ) % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
        if report.not_in_file:
            data["summary"] += " " + _(
                "%(count)s KPIs of the agreement were not in the file and were left as they are."
            ) % {"count": report.not_in_file}
    else:
        # The upload page's own words (the same message in the catalogue).
        data["summary"] = ngettext(
            "The file was not imported: %(counter)s problem was found. Correct it and upload the file again.",
            "The file was not imported: %(counter)s problems were found. Correct them and upload the file "
            "again.",
            len(report.errors),
        ) % {"counter": len(report.errors)}
        if len(report.errors) > ERRORS_KEPT:
            data["summary"] += " " + _("The first %(shown)s are listed.") % {"shown": ERRORS_KEPT}
    return data


APPLIED = "applied"  # the mark an import's job carries once its file is applied


def _already() -> str:
    return _("This file was imported already by this request; nothing was changed again.")


def _claim(job):
    """Called in the import's transaction just before it writes: whether this job's file may be applied, and
    the job marked so, in that same transaction: a rerun after a lost status applies nothing again."""

    def claim() -> bool:
        if Job.objects.select_for_update().filter(pk=job.pk, outcome__has_key=APPLIED).exists():
            return False
        Job.objects.filter(pk=job.pk).update(outcome={APPLIED: True})
        return True

    return claim


@job_kind(KPI_IMPORT)
def kpi_import(job, progress):
    user = _requester(job)
    try:
        agreement = get_agreement_for(user, job.object_id, need="edit")
    except Http404:
        raise PermissionError("the requester may no longer edit this agreement") from None
    name = job.params["file"]
    with _language(job):
        if Job.objects.filter(pk=job.pk, outcome__has_key=APPLIED).exists():
            job.outcome = {APPLIED: True, "again": True, "summary": _already()}
        else:
            with default_storage.open(name, "rb") as upload:
                report = excel_import.import_workbook(
                    agreement, upload, user, progress=progress, claim=_claim(job)
                )
            job.outcome = report_json(report)
            if report.ok:
                job.outcome[APPLIED] = True  # as the claim wrote it, which this outcome replaces
                if not report.applied:
                    job.outcome.update(again=True, summary=_already())
    default_storage.delete(name)
    return None


# --- the year's KPIs in one workbook ------------------------------------------------------------------------


@job_kind(YEAR_EXPORT)
def year_export(job, progress):
    year, user = FiscalYear.objects.get(pk=job.object_id), _requester(job)
    if not can_export_year(user):
        raise PermissionError("the requester may no longer export the year's KPIs")
    agreements = agreements_visible_to(user).filter(fiscal_year=year)
    wb = export.year_workbook(year, agreements, progress)
    return f"kpis-{year.be_year}.xlsx", export.workbook_bytes(wb)
