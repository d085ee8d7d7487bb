from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kpi_agreements.agreements.access import get_agreement_for

from . import services
from .forms import DraftRequestForm
from .models import AgreementDocument


@login_required
@require_http_methods(["GET", "POST"])
def agreement_documents(request, pk):
    """The agreement's PDFs with their status; anyone who reads the agreement may ask for a draft preview."""
    agreement = get_agreement_for(request.user, pk)
    form = DraftRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.document_request(
            agreement=agreement,
            kind=AgreementDocument.Kind.DRAFT,
            user=request.user,
            thai_digits=form.cleaned_data["thai_digits"],
        )
        messages.success(request, _("The draft PDF was requested. It will be listed here when it is ready."))
        return redirect("agreement_documents", pk=agreement.pk)
    documents = list(agreement.documents.select_related("requested_by"))
    return render(
        request,
        "documents/agreement_documents.html",
        {
            "agreement": agreement,
            "documents": documents,
            "form": form,
            "waiting": any(not d.is_finished for d in documents),
        },
    )


@login_required
@require_GET
def agreement_document_download(request, pk):
    document = get_object_or_404(AgreementDocument.objects.select_related("agreement__fiscal_year"), pk=pk)
    get_agreement_for(request.user, document.agreement_id)  # 404 unless the user reads the agreement
    if not document.is_ready or not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=document.download_name,
        content_type="application/pdf",
    )
