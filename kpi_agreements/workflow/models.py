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
