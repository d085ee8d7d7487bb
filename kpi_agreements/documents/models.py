"""PDFs of agreements (DOMAIN §5, §10): a draft preview or the signed copy, rendered in the background."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpi_agreements.agreements.models import Agreement


def document_path(document: "AgreementDocument", filename: str) -> str:
    return f"agreements/{document.agreement_id}/{filename}"


class AgreementDocument(models.Model):
    class Kind(models.TextChoices):
        DRAFT = "draft", _("Draft preview")
        SIGNED = "signed", _("Signed agreement")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        PROCESSING = "processing", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="documents", verbose_name=_("agreement")
    )
    # The agreement's version when the PDF was rendered (a change request raises it, §9).
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(_("error"), blank=True)
    file = models.FileField(_("file"), upload_to=document_path, blank=True, max_length=255)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    thai_digits = models.BooleanField(_("Thai digits"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agreement document")
        verbose_name_plural = _("agreement documents")
        indexes = [models.Index(fields=["agreement", "-created_at"], name="agreement_document_recent")]

    def __str__(self):
        return f"{self.agreement} v{self.version} {self.kind}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def may_request_again(self) -> bool:
        """Failed, or still waiting or rendering past the time limit: its task was lost with a worker or
        a broker (the sweeper re-queues it too, but a person should not have to wait for that)."""
        if self.status == self.Status.FAILED:
            return True
        limit = timezone.now() - timedelta(minutes=settings.TASK_STUCK_MINUTES)
        return self.status != self.Status.READY and self.created_at < limit

    @property
    def download_name(self) -> str:
        fy = self.agreement.fiscal_year.be_year
        return f"agreement-{self.agreement_id}-fy{fy}-v{self.version}-{self.kind}-{self.pk}.pdf"
