"""Writes of the scorecards app: only the year's incentive tiers (DOMAIN §11, policy per year)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpi_agreements.fiscal.models import FiscalYear

from .models import IncentiveTier

TOP = Decimal(5)


def tier_problems(rows: list[dict], threshold: Decimal) -> list[str]:
    """Each tier needs a Thai name and a lower bound from the threshold to 5; no two share a bound."""
    problems, seen = [], set()
    for row in rows:
        bound, name = row["lower_bound"], (row.get("name_th") or "").strip()
        if not name:
            problems.append(_("Every tier needs a Thai name."))
        if bound < threshold or bound > TOP:
            problems.append(
                _(
                    "The tier %(name)s starts at %(bound)s: a tier starts between the incentive threshold "
                    "%(threshold)s and 5.0000."
                )
                % {"name": name, "bound": f"{bound:.4f}", "threshold": f"{threshold:.4f}"}
            )
        if bound in seen:
            problems.append(_("Two tiers start at %(bound)s.") % {"bound": f"{bound:.4f}"})
        seen.add(bound)
    return problems


@transaction.atomic
def tiers_save(*, fiscal_year: FiscalYear, rows: list[dict]) -> list[IncentiveTier]:
    """Replace the year's tiers with ``rows`` ({name_th, name_en, lower_bound}); numbered from the lowest."""
    year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
    problems = tier_problems(rows, year.policy.incentive_threshold)
    if problems:
        raise ValidationError(problems)
    for tier in IncentiveTier.objects.filter(fiscal_year=year):
        tier.delete()  # one by one, so the history keeps each tier that went
    saved = []
    for order, row in enumerate(sorted(rows, key=lambda r: r["lower_bound"]), start=1):
        tier = IncentiveTier(
            fiscal_year=year,
            order=order,
            name_th=row["name_th"].strip(),
            name_en=(row.get("name_en") or "").strip(),
            lower_bound=row["lower_bound"],
        )
        tier.save()
        saved.append(tier)
    return saved


@transaction.atomic
def tiers_copy_previous(*, fiscal_year: FiscalYear) -> list[IncentiveTier]:
    """Start the year's tiers from last year's (those still at or above this year's threshold)."""
    previous = IncentiveTier.objects.filter(fiscal_year__be_year=fiscal_year.be_year - 1)
    rows = [{"name_th": t.name_th, "name_en": t.name_en, "lower_bound": t.lower_bound} for t in previous]
    if not rows:
        raise ValidationError(_("The previous year has no incentive tiers to copy."))
    threshold = fiscal_year.policy.incentive_threshold
    return tiers_save(fiscal_year=fiscal_year, rows=[r for r in rows if threshold <= r["lower_bound"] <= TOP])
