"""Requesting agreement PDFs; the rendering itself runs in a Celery task (tasks.py)."""

from django.db import transaction

from kpi_agreements.agreements.models import Agreement

from .models import AgreementDocument
from .tasks import render_agreement_document


def document_request(
    *, agreement: Agreement, kind: str, user, thai_digits: bool = False
) -> AgreementDocument:
    """Record a pending PDF of the agreement and queue its rendering once the transaction commits.

    ``kind`` is ``"draft"`` (a preview with the ร่าง watermark, anyone who reads the agreement) or
    ``"signed"`` (called by the signing step when the last party signs). A draft identical to one still
    waiting (not yet started, so it will show the agreement as it is now) is returned instead of a second.
    """
    if kind not in AgreementDocument.Kind.values:
        raise ValueError(f"unknown document kind: {kind!r}")
    with transaction.atomic():
        if kind == AgreementDocument.Kind.DRAFT:
            waiting = AgreementDocument.objects.filter(
                agreement=agreement,
                kind=kind,
                version=agreement.version,
                thai_digits=thai_digits,
                status=AgreementDocument.Status.PENDING,
            ).first()
            if waiting is not None:
                return waiting
        document = AgreementDocument.objects.create(
            agreement=agreement,
            version=agreement.version,
            kind=kind,
            thai_digits=thai_digits,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
        )
        transaction.on_commit(lambda: render_agreement_document.delay(document.pk), robust=True)
    return document
