"""Reminders (DOMAIN §8, issue 11): the year's reminder policy, one log row per reminder whose key makes it
happen once, the daily runs, and the digest e-mail that carries one person's reminders of a day."""

from datetime import time

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpi_agreements.fiscal.models import FiscalYear

MAX_OFFSET = 60  # working days: about three months, further than any deadline is worth announcing


def parse_offsets(text: str) -> list[int]:
    """ "14, 7, 1" → [14, 7, 1]: working days before a date, largest first, each once."""
    values = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_OFFSET:
            raise ValidationError(
                _("Write whole numbers of working days from 1 to %(max)s, separated by commas: 14, 7, 1."),
                params={"max": MAX_OFFSET},
            )
        values.add(int(part))
    return sorted(values, reverse=True)


def validate_offsets(text: str) -> None:
    parse_offsets(text)


class ReminderPolicy(models.Model):
    """The year's reminder policy (§8), created with the defaults the first time it is needed."""

    fiscal_year = models.OneToOneField(FiscalYear, on_delete=models.CASCADE, related_name="reminder_policy")
    enabled = models.BooleanField(_("send reminders for this year"), default=True)
    before_deadline = models.CharField(
        _("working days before a round's deadline"),
        max_length=60,
        default="14,7,1",
        blank=True,
        validators=[validate_offsets],
        help_text=_("Counted back from the effective deadline, e.g. 14, 7, 1."),
    )
    on_deadline = models.BooleanField(_("remind on the deadline"), default=True)
    after_deadline = models.BooleanField(
        _("remind every working day after the deadline until submitted"), default=True
    )
    escalate_after = models.PositiveSmallIntegerField(
        _("escalate after this many working days late"),
        default=3,
        validators=[MaxValueValidator(MAX_OFFSET)],
        help_text=_("To the head of the unit above and the planning staff covering the unit; 0: never."),
    )
    before_return_due = models.CharField(
        _("working days before more information is due"),
        max_length=60,
        default="7,1",
        blank=True,
        validators=[validate_offsets],
    )
    before_window_end = models.CharField(
        _("working days before a change-request window closes"),
        max_length=60,
        default="7",
        blank=True,
        validators=[validate_offsets],
        help_text=_("Units with a signed agreement and no open change request are told once."),
    )
    committee_wait = models.PositiveSmallIntegerField(
        _("remind committees of items waiting more than this many working days"),
        default=5,
        validators=[MaxValueValidator(MAX_OFFSET)],
        help_text=_("Repeated every as many working days while the item waits; 0: never."),
    )
    send_at = models.TimeField(
        _("not before"),
        default=time(8, 30),
        help_text=_("A day's reminders go out at the first run at or after this time (Asia/Bangkok)."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")

    def __str__(self):
        return str(self.fiscal_year)

    @property
    def deadline_offsets(self) -> list[int]:
        return parse_offsets(self.before_deadline)

    @property
    def return_offsets(self) -> list[int]:
        return parse_offsets(self.before_return_due)

    @property
    def window_offsets(self) -> list[int]:
        return parse_offsets(self.before_window_end)


class ReminderRun(models.Model):
    """One run of the daily task (or of "run again"), with what it did, for the administrator's page."""

    class Trigger(models.TextChoices):
        BEAT = "beat", _("Daily schedule")
        MANUAL = "manual", _("Run again by hand")

    day = models.DateField(_("day"))
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.BEAT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")

    def __str__(self):
        return f"{self.day} {self.trigger}"


class ReminderDigest(models.Model):
    """The e-mail that carries one person's reminders of one day. ``queued_at`` is set while an e-mail is
    owed (its outbox effect exists); sending marks the reminders e-mailed in the same transaction."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-day", "person_id"]
        verbose_name = _("reminder e-mail")
        verbose_name_plural = _("reminder e-mails")
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="reminder_digest_once_a_day")]

    def __str__(self):
        return f"{self.person} {self.day}"


class ReminderLog(models.Model):
    """One reminder to one person. The key (what it is about, kind, offset, person) is unique, so a rerun, a
    second beat or a retried task never sends it twice; the offset, not the date, is in the key, so a moved
    deadline moves the reminders still to come and repeats none."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Before the deadline")
        ON_DAY = "on_day", _("On the deadline")
        AFTER = "after", _("After the deadline")
        ESCALATION = "escalation", _("Late: escalated")
        RETURN_DUE = "return_due", _("Before more information is due")
        WINDOW_1 = "change_window_1", _("Before the first change-request window closes")
        WINDOW_2 = "change_window_2", _("Before the final change-request window closes")
        COMMITTEE = "committee", _("Waiting for the committee")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Working days before the date (before, return, window), late (after, escalation) or waited (committee).
    offset = models.PositiveIntegerField(_("working days"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    unit = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("due on"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    run = models.ForeignKey(
        ReminderRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)
    digest = models.ForeignKey(
        ReminderDigest, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "offset", "person"], name="reminder_once"
            )
        ]
        indexes = [models.Index(fields=["unit", "-created_at"], name="reminder_unit_recent")]

    def __str__(self):
        return f"{self.kind}-{self.offset} → {self.person_id}: {self.status}"
