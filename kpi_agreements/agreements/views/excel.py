"""Excel downloads and uploads of KPI Templates (DOMAIN §10); the work is done in ``excel`` and
``services.excel_import``."""

import io
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kpi_agreements.agreements.access import agreements_visible_to, get_agreement_for
from kpi_agreements.agreements.excel import export, layout, parse
from kpi_agreements.agreements.services import excel_import
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import Role

# Browsers label an .xlsx in several ways; the content itself is checked by excel.parse.
UPLOAD_CONTENT_TYPES = {
    layout.CONTENT_TYPE,
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "",
}
YEAR_EXPORT_ROLES = (Role.ADMIN, Role.PLANNING, Role.EXECUTIVE)
REPORT_ROWS_SHOWN = 500


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
    agreement = get_agreement_for(request.user, pk, need="edit")
    form = UploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = excel_import.import_workbook(agreement, form.cleaned_data["file"], request.user)
        if report.ok:
            messages.success(
                request,
                _(
                    "The workbook was imported: %(created)s KPIs added, %(updated)s changed, %(unchanged)s "
                    "unchanged."
                )
                % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
            if report.not_in_file:
                messages.warning(
                    request,
                    _("%(count)s KPIs of the agreement were not in the file and were left as they are.")
                    % {"count": report.not_in_file},
                )
            return redirect(_agreement_url(agreement.pk))
    return render(
        request,
        "agreements/excel_upload.html",
        {
            "agreement": agreement,
            "form": form,
            "report": report,
            "errors": report.errors[:REPORT_ROWS_SHOWN] if report else [],
            "hidden_errors": max(len(report.errors) - REPORT_ROWS_SHOWN, 0) if report else 0,
            "agreement_url": _agreement_url(agreement.pk),
            "max_megabytes": parse.megabytes(parse.MAX_UPLOAD_BYTES),
            "max_rows": layout.MAX_ROWS,
        },
    )


def can_export_year(user) -> bool:
    """The year's KPIs in one sheet are for planning staff, executives and administrators."""
    scope = scope_of(user)
    return scope.is_superuser or any(role in scope.paths for role in YEAR_EXPORT_ROLES)


@login_required
@require_GET
def year_excel_export(request, pk):
    if not can_export_year(request.user):
        raise Http404
    year = get_object_or_404(FiscalYear, pk=pk)
    agreements = agreements_visible_to(request.user).filter(fiscal_year=year)
    return _xlsx_response(export.year_workbook(year, agreements), f"kpis-{year.be_year}.xlsx")
