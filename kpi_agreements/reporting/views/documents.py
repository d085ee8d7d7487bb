"""A round report's documents (DOMAIN §10): the e-SAR card (PDF, Excel; self-assessed or verified) and the
SAR (PDF, 6- and 12-month rounds), each rendered by a background job; the job pages (workflow.views)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kpi_agreements.workflow import views as job_views
from kpi_agreements.workflow.access import JOB_LABELS, may_run_again
from kpi_agreements.workflow.jobs import job_request, jobs_about

from ..access import get_report_for
from ..jobs import CARD_PDF, CARD_XLSX, DOCUMENT_KINDS, SAR_PDF
from ..services.cards import SELF, VERIFIED

# The buttons of the page: what each asks for (job kind, basis).
DOCUMENTS = {
    "card_pdf_self": (CARD_PDF, SELF, gettext_lazy("e-SAR card PDF, self-assessed")),
    "card_pdf_verified": (CARD_PDF, VERIFIED, gettext_lazy("e-SAR card PDF, verified")),
    "card_xlsx_self": (CARD_XLSX, SELF, gettext_lazy("e-SAR card Excel, self-assessed")),
    "card_xlsx_verified": (CARD_XLSX, VERIFIED, gettext_lazy("e-SAR card Excel, verified")),
    "sar_pdf": (SAR_PDF, SELF, gettext_lazy("SAR PDF")),
}
BASIS_LABELS = {SELF: gettext_lazy("self-assessed"), VERIFIED: gettext_lazy("verified")}
LISTED = 50  # the newest jobs of the report; older files are made again on request


class DocumentRequestForm(forms.Form):
    document = forms.ChoiceField(label=gettext_lazy("Document"))
    thai_digits = forms.BooleanField(label=gettext_lazy("Thai digits in the PDF"), required=False)

    def __init__(self, *args, has_sar: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [
            (key, label) for key, (kind, _basis, label) in DOCUMENTS.items() if has_sar or kind != SAR_PDF
        ]


@login_required
@require_http_methods(["GET", "POST"])
def report_documents(request, pk):
    """Ask for a document (a job, rendered after the response) and follow the report's document jobs."""
    report = get_report_for(request.user, pk, need="read")
    form = DocumentRequestForm(request.POST or None, has_sar=report.round.has_sar)
    if request.method == "POST":
        if form.is_valid():
            kind, basis, label = DOCUMENTS[form.cleaned_data["document"]]
            params = {"basis": basis} if kind != SAR_PDF else {}
            if kind != CARD_XLSX:
                params["thai_digits"] = form.cleaned_data["thai_digits"]
            job_request(kind=kind, user=request.user, subject=report, **params)
            messages.success(
                request,
                _("%(document)s was requested. It will be listed here when it is ready.")
                % {"document": label},
            )
            return redirect("report_documents", pk=report.pk)
        messages.error(request, _("Choose one of the documents offered."))
        return redirect("report_documents", pk=report.pk)
    jobs = list(jobs_about(report, DOCUMENT_KINDS).select_related("requested_by")[:LISTED])
    for job in jobs:
        job.label = JOB_LABELS.get(job.kind, job.kind)
        job.basis_label = BASIS_LABELS.get(job.params.get("basis"), "")
        job.again = may_run_again(job)
    return render(
        request,
        "reporting/documents.html",
        {
            "report": report,
            "agreement": report.agreement,
            "form": form,
            "buttons": [(key, label) for key, label in form.fields["document"].choices],
            "jobs": jobs,
            # Poll while a job is on its way; one stuck past the limit shows its button instead.
            "waiting": any(not j.is_finished and not j.again for j in jobs),
        },
    )


urlpatterns = [
    path("reports/<int:pk>/documents/", report_documents, name="report_documents"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job_download"),
    path("jobs/<int:pk>/again/", job_views.job_again, name="job_again"),
]
