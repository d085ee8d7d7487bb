"""Excel downloads and uploads of KPI Templates (DOMAIN §10); the work is done in ``excel`` and
``services.excel_import``. An upload and the year's workbook are background jobs (``jobs``)."""

import io
from pathlib import PurePath
from uuid import uuid4

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kpi_agreements.agreements.access import get_agreement_for
from kpi_agreements.agreements.excel import export, layout, parse
from kpi_agreements.agreements.jobs import KPI_IMPORT, YEAR_EXPORT, can_export_year
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.workflow.jobs import job_request, jobs_about

# Browsers label an .xlsx in several ways; the content itself is checked by excel.parse.
UPLOAD_CONTENT_TYPES = {
    layout.CONTENT_TYPE,
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "",
}
RECENT_JOBS = 5


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{layout.CONTENT_TYPE}"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > parse.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.") % {"size": parse.megabytes(parse.MAX_UPLOAD_BYTES)}
            )
        if PurePath(upload.name).suffix.lower() != ".xlsx" or (
            (upload.content_type or "").split(";")[0].strip() not in UPLOAD_CONTENT_TYPES
        ):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        return upload


def _agreement_url(pk: int) -> str:
    return reverse("agreement_detail", args=[pk])


def _xlsx_response(wb, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(export.workbook_bytes(wb)),
        as_attachment=True,
        filename=filename,
        content_type=layout.CONTENT_TYPE,
    )


@login_required
@require_GET
def agreement_excel_download(request, pk):
    agreement = get_agreement_for(request.user, pk)
    blank = request.GET.get("blank") == "1"
    wb = export.agreement_workbook(agreement, blank=blank)
    stem = "kpi-template-blank" if blank else "kpi-template"
    return _xlsx_response(wb, f"{stem}-{agreement.fiscal_year.be_year}-{agreement.unit.abbreviation}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def agreement_excel_upload(request, pk):
    """The upload is stored and checked and applied by a background job (jobs.kpi_import), whose page shows
    the progress and then what changed, or every problem with its sheet, row and column."""
    agreement = get_agreement_for(request.user, pk, need="edit")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name = default_storage.save(
            f"imports/kpis-{agreement.pk}-{uuid4().hex}.xlsx", form.cleaned_data["file"]
        )
        job = job_request(
            kind=KPI_IMPORT, user=request.user, subject=agreement, file=name, language=get_language()
        )
        return redirect("job_detail", job.pk)
    return render(
        request,
        "agreements/excel_upload.html",
        {
            "agreement": agreement,
            "form": form,
            "jobs": list(jobs_about(agreement, [KPI_IMPORT]).filter(requested_by=request.user)[:RECENT_JOBS]),
            "agreement_url": _agreement_url(agreement.pk),
            "max_megabytes": parse.megabytes(parse.MAX_UPLOAD_BYTES),
            "max_rows": layout.MAX_ROWS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def year_excel_export(request, pk):
    """POST: the workbook is made by a background job (jobs.year_export), whose page gives the download.
    GET: the year's agreements page, where the button is (older links lead here)."""
    if not can_export_year(request.user):
        raise Http404
    year = get_object_or_404(FiscalYear, pk=pk)
    if request.method == "GET":
        return redirect(reverse("year_agreements", args=[year.pk]) + "#export")
    job = job_request(kind=YEAR_EXPORT, user=request.user, subject=year, language=get_language())
    return redirect("job_detail", job.pk)
