"""Scorecards read the stored round cards (reporting) and store nothing of their own but the year's incentive
tiers (DOMAIN §11): named bands of the total above the incentive threshold, set per year by administrators."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpi_agreements.fiscal.models import FiscalYear


class IncentiveTier(models.Model):
    """A unit whose total is at least the year's incentive threshold is eligible; among the eligible, the tier
    is the one with the highest lower bound at or below the total (the next tier's bound closes it)."""

    fiscal_year = models.ForeignKey(
        FiscalYear, on_delete=models.CASCADE, related_name="incentive_tiers", verbose_name=_("fiscal year")
    )
    # 1 for the lowest band; kept in step with lower_bound by services.tiers_save.
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    name_th = models.CharField(_("Thai name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    lower_bound = models.DecimalField(_("from a total of"), max_digits=6, decimal_places=4)
    history = HistoricalRecords()

    class Meta:
        ordering = ["fiscal_year", "lower_bound"]
        verbose_name = _("incentive tier")
        verbose_name_plural = _("incentive tiers")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "lower_bound"], name="incentive_tier_bound_once")
        ]

    def __str__(self):
        return f"{self.name_th} ≥ {self.lower_bound}"
