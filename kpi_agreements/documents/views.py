from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpi_agreements.agreements.access import get_agreement_for, is_editor

from . import services
from .access import get_document_for
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
    manager = is_editor(request.user, agreement)
    for d in documents:
        d.again = d.may_request_again and (d.kind == AgreementDocument.Kind.DRAFT or manager)
    return render(
        request,
        "documents/agreement_documents.html",
        {
            "agreement": agreement,
            "documents": documents,
            "form": form,
            # Poll while a PDF is on its way; one stuck past the limit shows its button instead.
            "waiting": any(not d.is_finished and not d.may_request_again for d in documents),
        },
    )


@login_required
@require_POST
def agreement_document_again(request, pk):
    """Request a failed or stuck PDF again (its task was lost, or the render failed and was fixed)."""
    document = get_document_for(request.user, pk, need="again")
    try:
        services.document_request_again(document=document, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The PDF was requested again. It will be listed here when it is ready."))
    return redirect("agreement_documents", pk=document.agreement_id)


@login_required
@require_GET
def agreement_document_download(request, pk):
    document = get_document_for(request.user, pk)
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
