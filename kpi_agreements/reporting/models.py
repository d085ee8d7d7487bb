"""Reporting rounds (DOMAIN §8): the year's 6-, 9- and 12-month rounds, one report per signed agreement and
round, one item per KPI of the agreement version in force on the period's last day, and evidence files."""

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from kpi_agreements.agreements.models import KPI, ROUND_CHOICES, Agreement, Dimension
from kpi_agreements.criteria.labels import METHOD_CHOICES
from kpi_agreements.fiscal.models import FiscalYear, Milestone

MILESTONE_OF = {6: Milestone.Kind.REPORT_6, 9: Milestone.Kind.REPORT_9, 12: Milestone.Kind.REPORT_12}
# The last month of each period: the round's period ends on its last day (§3).
PERIOD_END = {6: (3, 31), 9: (6, 30), 12: (9, 30)}


def score_field(label):
    return models.DecimalField(label, max_digits=9, decimal_places=4, null=True, blank=True)


class Round(models.Model):
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="rounds")
    months = models.PositiveSmallIntegerField(_("round"), choices=ROUND_CHOICES)
    # Policy (§8): the round opens for entry on this date, by default the first of the period's last month.
    opens_on = models.DateField(_("opens for entry on"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["fiscal_year", "months"]
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "months"], name="round_once_per_year")]

    def __str__(self):
        return f"{self.get_months_display()} {self.fiscal_year}"

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    @property
    def period_start(self) -> date:
        return self.fiscal_year.start

    @property
    def period_end(self) -> date:
        month, day = PERIOD_END[self.months]
        return date(self.fiscal_year.ce_end_year, month, day)

    @property
    def milestone_kind(self) -> str:
        return MILESTONE_OF[self.months]

    @property
    def has_sar(self) -> bool:
        """§3: the 6- and 12-month rounds send the SAR with the card; the 9-month round the card only."""
        return self.months in (6, 12)


def _may_submit(report, user) -> bool:
    from .access import can_submit

    return can_submit(user, report)


def _verifies(report, user) -> bool:
    from .access import can_verify

    return can_verify(user, report)


class RoundReport(ConcurrentTransitionMixin, models.Model):
    """One signed agreement's report in one round; its life is one state machine (docs/workflow.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being entered")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for more information")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        VERIFIED = "verified", _("Verified")

    ENTERABLE = (Status.DRAFT, Status.RETURNED)
    AWAITING_VERIFICATION = (Status.SUBMITTED, Status.RESUBMITTED)

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="reports", verbose_name=_("round")
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="round_reports", verbose_name=_("agreement")
    )
    # The agreement version in force on the period's last day, from which the items were built.
    version = models.PositiveIntegerField(_("agreement version"), default=1)
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    days_late = models.PositiveIntegerField(_("working days late"), default=0)
    penalty = models.DecimalField(_("late penalty"), max_digits=9, decimal_places=4, default=0)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    return_due = models.DateField(_("more information due"), null=True, blank=True)
    resubmitted_at = models.DateTimeField(_("resubmitted at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The stored round cards (scoring.round_card, as JSON): every total the application shows is read here.
    self_card = models.JSONField(_("self-assessed card"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    verified_card = models.JSONField(_("verified card"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    self_total = score_field(_("self-assessed total"))
    verified_total = score_field(_("verified total"))
    flags = models.JSONField(_("site-visit flags"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "agreement__unit__path"]
        verbose_name = _("round report")
        verbose_name_plural = _("round reports")
        constraints = [models.UniqueConstraint(fields=["round", "agreement"], name="round_report_once")]
        indexes = [models.Index(fields=["round", "status"], name="round_report_status")]

    def __str__(self):
        return f"{self.agreement.unit.abbreviation} {self.round}"

    @property
    def is_enterable(self) -> bool:
        return self.status in self.ENTERABLE

    # Transitions: no side effects here (services/flow.py records the row, the card and the notices).
    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED, permission=_may_submit)
    def submit(self):
        pass

    @transition(field=status, source=AWAITING_VERIFICATION, target=Status.RETURNED, permission=_verifies)
    def send_back(self):
        pass

    @transition(field=status, source=Status.RETURNED, target=Status.RESUBMITTED, permission=_may_submit)
    def resubmit(self):
        pass

    @transition(field=status, source=AWAITING_VERIFICATION, target=Status.VERIFIED, permission=_verifies)
    def verify(self):
        pass


class ReportItem(models.Model):
    """One KPI of a round report: the KPI as it stood in this round (frozen from the version in force), the
    unit's result and self-assessed score, and the verifier's result and score, kept apart (§8)."""

    report = models.ForeignKey(RoundReport, on_delete=models.CASCADE, related_name="items")
    kpi = models.ForeignKey(KPI, on_delete=models.PROTECT, related_name="report_items", verbose_name=_("KPI"))
    # Frozen from the agreement version in force on the period's last day.
    code = models.CharField(_("number"), max_length=20)
    parent_code = models.CharField(max_length=20, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_leaf = models.BooleanField(default=True)
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("KPI name"), max_length=500)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=100, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=4)
    method = models.CharField(_("scoring method"), max_length=30, choices=METHOD_CHOICES, blank=True)
    direction = models.CharField(_("direction"), max_length=10, blank=True)
    criteria = models.JSONField(_("scoring criteria"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    baseline = models.JSONField(_("baseline data"), default=list, blank=True, encoder=DjangoJSONEncoder)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    # Only the 6- and 9-month rounds: the KPI starts reporting in a later round and leaves this card.
    later_round = models.BooleanField(_("reports from a later round"), default=False)
    later_reason = models.TextField(_("why it reports later"), blank=True)
    # The unit's report, in the method's shape (scoring.validate_result): None = not entered.
    result = models.JSONField(_("result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    narrative = models.TextField(_("performance"), blank=True)
    obstacles = models.TextField(_("obstacles"), blank=True)
    obstacles_external = models.BooleanField(_("obstacles outside the unit's control"), default=False)
    suggestions = models.TextField(_("suggestions"), blank=True)
    self_score = score_field(_("self-assessed score"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(null=True, blank=True)
    # A verifier asks for more on this KPI when returning the report.
    needs_more = models.BooleanField(_("more information asked"), default=False)
    needs_more_note = models.TextField(_("what is asked"), blank=True)
    verified_result = models.JSONField(_("verified result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    verified_score = score_field(_("verified score"))
    verifier_note = models.TextField(_("verifier's note"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flags = models.JSONField(_("site-visit flags"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "order", "id"]
        verbose_name = _("KPI report")
        verbose_name_plural = _("KPI reports")
        constraints = [models.UniqueConstraint(fields=["report", "kpi"], name="report_item_once")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def has_result(self) -> bool:
        return self.result is not None


def evidence_path(evidence: "ReportEvidence", filename: str) -> str:
    return f"reports/{evidence.item.report_id}/{filename}"


class ReportEvidence(models.Model):
    """An evidence file of one KPI's report (003_ slides 23–26), downloaded through an access-checked view."""

    item = models.ForeignKey(ReportItem, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=255)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.name
