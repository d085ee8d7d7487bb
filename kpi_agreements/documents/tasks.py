import hashlib
import logging

from celery import shared_task
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import AgreementDocument

logger = logging.getLogger(__name__)
Status = AgreementDocument.Status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_agreement_document(document_id: int) -> None:
    """Render one requested PDF: pending → processing → ready, or failed with the reason kept.

    Idempotent: a document already ready or failed is left alone, so a retried or duplicated task renders
    nothing (a failed one is rendered again only when a person requests it again). A document still
    "processing" is rendered again: that is a task redelivered after its worker died (acks late, rejected
    on worker lost), and the row would otherwise stay processing for ever.
    """
    document = (
        AgreementDocument.objects.select_related("agreement__unit", "agreement__fiscal_year")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.is_finished:
        return
    AgreementDocument.objects.filter(pk=document.pk).update(status=Status.PROCESSING, error="")
    agreement = document.agreement
    try:
        # WeasyPrint is heavy: imported by the worker that renders, not by every web process.
        from . import render

        pdf = render.render_agreement_pdf(
            agreement, draft=document.kind == AgreementDocument.Kind.DRAFT, thai_digits=document.thai_digits
        )
        document.version = agreement.version
        document.file.save(document.download_name, ContentFile(pdf), save=False)
    except Exception as exc:  # any failure is the user's to see, not the worker's to crash on
        logger.exception("Rendering agreement document %s failed", document.pk)
        AgreementDocument.objects.filter(pk=document.pk).update(
            status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        return
    AgreementDocument.objects.filter(pk=document.pk).update(
        status=Status.READY,
        version=document.version,
        file=document.file.name,
        sha256=hashlib.sha256(pdf).hexdigest(),
        error="",
        finished_at=timezone.now(),
    )
