"""Fiscal years, their calendar of milestones and working days (DOMAIN §3)."""

from datetime import date

from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpi_agreements.scoring import ScoringPolicy

BE_OFFSET = 543


class FiscalYear(models.Model):
    """Named by the Buddhist-Era year in which it ends: FY 2552 = 1 Oct 2008 – 30 Sep 2009."""

    be_year = models.PositiveIntegerField(_("fiscal year (B.E.)"), unique=True)
    is_current = models.BooleanField(_("current year"), default=False)
    # ScoringPolicy.to_dict(): decimals kept as strings so no score ever passes through a float.
    scoring_policy = models.JSONField(_("scoring policy"), default=dict, blank=True)
    # Reporting policy (§8).
    return_days = models.PositiveSmallIntegerField(
        _("days to answer a report returned for more information"), default=30
    )
    planning_verifies = models.BooleanField(
        _("planning staff above the unit verify where no committee covers it"), default=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-be_year"]
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")

    def __str__(self):
        return _("FY %(year)s") % {"year": self.be_year}

    @property
    def ce_end_year(self) -> int:
        return self.be_year - BE_OFFSET

    @property
    def start(self) -> date:
        return date(self.ce_end_year - 1, 10, 1)

    @property
    def end(self) -> date:
        return date(self.ce_end_year, 9, 30)

    @property
    def policy(self) -> ScoringPolicy:
        return ScoringPolicy.from_dict(self.scoring_policy)

    @cached_property
    def holiday_dates(self) -> dict[date, str]:
        from .calendar import holidays_for

        return holidays_for(self)


class Milestone(models.Model):
    class Kind(models.TextChoices):
        NEGOTIATION = "negotiation", _("Negotiation of KPIs, weights, targets and criteria")
        SIGNED = "signed", _("Signed agreements and KPI Templates submitted")
        KPI_AUDIT = "kpi_audit", _("KPI audit results returned to units")
        CHANGE_WINDOW_1 = "change_window_1", _("First change-request window")
        REPORT_6 = "report_6", _("6-month report")
        REPORT_9 = "report_9", _("9-month report")
        REPORT_12 = "report_12", _("12-month report")
        CHANGE_WINDOW_2 = "change_window_2", _("Final change-request window")
        SITE_VISITS = "site_visits", _("Site visits and post-evaluation")

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("milestone"), max_length=30, choices=Kind.choices)
    start_date = models.DateField(_("from"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "kind"], name="milestone_once_per_year"),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True) | models.Q(start_date__lte=models.F("due_date")),
                name="milestone_starts_before_due",
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class CalendarDay(models.Model):
    """An administrator's correction to the holiday calendar of one year."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Extra day off")
        WORKING = "working", _("Working day (not a holiday)")

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="calendar_days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=200)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["fiscal_year", "date"], name="calendar_day_once")]

    def __str__(self):
        return f"{self.date} {self.name}"
