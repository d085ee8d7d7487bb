"""Who may do what with an agreement's PDFs: the agreement's own capabilities (agreements/access.py)."""

from django.shortcuts import get_object_or_404

from kpi_agreements.agreements.access import get_agreement_for

from .models import AgreementDocument


def get_document_for(user, pk, *, need: str = "read") -> AgreementDocument:
    """``read``: who reads the agreement. ``again``: a draft by its readers, a signed PDF by its editors."""
    document = get_object_or_404(AgreementDocument.objects.select_related("agreement__fiscal_year"), pk=pk)
    if need == "again":
        need = "read" if document.kind == AgreementDocument.Kind.DRAFT else "manage"
    document.agreement = get_agreement_for(user, document.agreement_id, need=need)
    return document
