"""Requesting agreement PDFs; the rendering itself runs in a Celery task (tasks.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.workflow.outbox import enqueue

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
        enqueue(render_agreement_document, document.pk)
    return document


def document_request_again(*, document: AgreementDocument, user) -> AgreementDocument:
    """Render a failed or stuck PDF again, as a new request by ``user`` on the same row."""
    with transaction.atomic():
        document = AgreementDocument.objects.select_for_update().get(pk=document.pk)
        if not document.may_request_again:
            raise ValidationError(
                _("Only a failed PDF, or one not ready after %(minutes)s minutes, may be requested again.")
                % {"minutes": settings.TASK_STUCK_MINUTES}
            )
        document.status = AgreementDocument.Status.PENDING
        document.error = ""
        document.finished_at = None
        document.created_at = timezone.now()
        document.requested_by = user
        document.save(update_fields=["status", "error", "finished_at", "created_at", "requested_by"])
        enqueue(render_agreement_document, document.pk)
    return document
