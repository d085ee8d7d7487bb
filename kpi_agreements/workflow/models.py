"""Transition rows, notices and the outbox of side effects, shared by every kind with a workflow."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    """Who moved what from which state to which, when, and why (STYLE.md: explicit transition rows)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("action"), max_length=50)
    from_state = models.CharField(_("from"), max_length=30)
    to_state = models.CharField(_("to"), max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")

    def __str__(self):
        return f"{self.action}: {self.from_state} → {self.to_state}"


class Notice(models.Model):
    """An in-app notice; ``key`` makes a step's notice to a person unique, so it is never sent twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=100)
    text = models.TextField(_("text"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notice_once_per_step")]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return self.text[:60]


class Effect(models.Model):
    """A side effect (a Celery task and its arguments) written in the transaction of the change that causes
    it, so a committed change never loses its effect to a dead broker: published after the commit, run by
    ``outbox.run_effect``, and published again by the sweeper until it is done (ADR 0005)."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The sweeper reads only the open effects; done ones are history.
        indexes = [models.Index(fields=["created_at"], condition=Q(done_at__isnull=True), name="effect_open")]
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"


def job_path(job: "Job", filename: str) -> str:
    return f"jobs/{job.created_at:%Y/%m}/{job.pk}-{filename}"


class Job(models.Model):
    """Long work a person asked for (a PDF, an export, an import): run by a task on the outbox, with its
    status, progress, result file and failure kept for the person to see (jobs.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Working")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60)
    # What the job is about (a round report, a round), for access checks and listing on its page.
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("of"), default=0)
    file = models.FileField(_("file"), upload_to=job_path, blank=True, max_length=255)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    # What the job found or did, for its page (e.g. an import's errors per cell).
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="job_subject_recent")
        ]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
