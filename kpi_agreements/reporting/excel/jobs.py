"""The round's workbook and the import of its results, as background jobs (workflow.jobs).

Both are about a round and read with the requester's rights at the time they run; a round's jobs are their
requester's alone (reporting.jobs: ``JOB_READERS["reporting.round"]``). The uploaded file of an import is kept
in default storage under ``imports/`` until its job has finished (params ``file``), then deleted; the
outcome holds what the job page shows (``summary``, and ``errors`` per cell with ``where`` and ``message``).
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kpi_agreements.agreements.excel.export import workbook_bytes
from kpi_agreements.organisation.models import Unit
from kpi_agreements.workflow.access import JOB_LABELS
from kpi_agreements.workflow.jobs import job_kind

from ..access import reports_visible_to
from ..models import Round
from ..services import results_import
from . import export

WORKBOOK, IMPORT = "reporting.round_workbook", "reporting.round_import"
KINDS = (WORKBOOK, IMPORT)
JOB_LABELS.update(
    {
        WORKBOOK: gettext_lazy("Round workbook of results (Excel)"),
        IMPORT: gettext_lazy("Import of round results from Excel"),
    }
)


def reports_in_scope(round: Round, user, unit: Unit | None = None):
    """The round's reports the user may read, optionally those of ``unit`` and the units below it."""
    reports = reports_visible_to(user).filter(round=round)
    if unit is not None:
        reports = reports.filter(agreement__unit__path__startswith=unit.path)
    return reports


def _round(job) -> Round:
    return Round.objects.select_related("fiscal_year").get(pk=job.object_id)


def _requester(job):
    if job.requested_by is None or not job.requested_by.is_active:
        raise PermissionError("the person who asked for the job is no longer active")
    return job.requested_by


@job_kind(WORKBOOK)
def round_workbook(job, progress):
    round, user = _round(job), _requester(job)
    unit = Unit.objects.filter(pk=job.params["unit"]).first() if job.params.get("unit") else None
    wb = export.round_workbook(reports_in_scope(round, user, unit), progress)
    return export.filename(round, unit), workbook_bytes(wb)


def _where(error: dict) -> str:
    if error["row"] and error["column"]:
        return _("sheet “%(sheet)s”, row %(row)s, column %(column)s (%(header)s)") % error
    if error["row"]:
        return _("sheet “%(sheet)s”, row %(row)s") % error
    return error["sheet"]


def outcome_json(outcome: results_import.Outcome) -> dict:
    data = outcome.as_json()
    if outcome.ok:
        data["summary"] = ngettext(
            "%(count)s result imported in %(reports)s reports; %(unchanged)s rows unchanged.",
            "%(count)s results imported in %(reports)s reports; %(unchanged)s rows unchanged.",
            outcome.imported,
        ) % {"count": outcome.imported, "reports": outcome.reports, "unchanged": outcome.unchanged}
    else:
        for error in data["errors"]:
            error["where"] = _where(error)
        data["summary"] = ngettext(
            "Nothing was imported: %(count)s problem was found. Correct it and upload the file again.",
            "Nothing was imported: %(count)s problems were found. Correct them and upload the file again.",
            data["error_count"],
        ) % {"count": data["error_count"]}
    return data


@job_kind(IMPORT)
def round_import(job, progress):
    round, user = _round(job), _requester(job)
    name = job.params["file"]
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        with default_storage.open(name, "rb") as upload:
            outcome = results_import.import_results(round=round, user=user, fileobj=upload, progress=progress)
        job.outcome = outcome_json(outcome)
    default_storage.delete(name)
    return None
