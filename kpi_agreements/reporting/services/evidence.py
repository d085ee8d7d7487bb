"""Evidence files of a KPI's round report (DOMAIN §8; 003_ slides 23–26): added and removed only while the
report is being entered, each checked by what it really is (core.uploads) and the size policy."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from kpi_agreements.core import uploads

from ..models import ReportEvidence, ReportItem, RoundReport

EVIDENCE_KINDS = ("pdf", "png", "jpeg", "docx", "xlsx")


def check_evidence(upload) -> str:
    """The file's real kind, within settings.EVIDENCE_MAX_BYTES; else the message at the ``file`` field."""
    try:
        return uploads.check_upload(
            upload,
            kinds=EVIDENCE_KINDS,
            max_bytes=settings.EVIDENCE_MAX_BYTES,
            wrong_type=_("Upload a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file."),
        )
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc


def _check_enterable(item: ReportItem) -> None:
    # The report row is locked, so a submission cannot slip in between this check and the write.
    report = RoundReport.objects.select_for_update().get(pk=item.report_id)
    if not report.is_enterable:
        raise ValidationError(
            {"file": _("The report has been submitted; its evidence can no longer be changed.")}
        )


@transaction.atomic
def evidence_add(*, item: ReportItem, upload, user) -> ReportEvidence:
    _check_enterable(item)
    kind = check_evidence(upload)
    # The user's file name is kept for the download only; on disk the file gets a random name of its kind.
    stored = File(upload, name=f"{uuid.uuid4().hex}{uploads.EXTENSION_OF[kind]}")
    return ReportEvidence.objects.create(
        item=item, file=stored, name=upload.name, size=uploads.file_size(upload), uploaded_by=user
    )


@transaction.atomic
def evidence_remove(*, evidence: ReportEvidence, user) -> None:
    _check_enterable(evidence.item)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    # The file goes only once the row is surely gone; a rolled-back removal keeps both.
    transaction.on_commit(lambda: storage.delete(name))
