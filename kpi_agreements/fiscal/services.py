from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.scoring import ScoringError, ScoringPolicy

from .calendar import default_milestones
from .models import CalendarDay, FiscalYear, Milestone


@transaction.atomic
def fiscal_year_create(*, be_year: int, make_current: bool = False) -> FiscalYear:
    if FiscalYear.objects.filter(be_year=be_year).exists():
        raise ValidationError({"be_year": _("Fiscal year %(year)s already exists.") % {"year": be_year}})
    year = FiscalYear.objects.create(be_year=be_year)
    bulk_create_with_history(default_milestones(year), Milestone)
    if make_current:
        fiscal_year_make_current(fiscal_year=year)
    return year


@transaction.atomic
def fiscal_year_make_current(*, fiscal_year: FiscalYear) -> None:
    for other in FiscalYear.objects.filter(is_current=True).exclude(pk=fiscal_year.pk):
        other.is_current = False
        other.save(update_fields=["is_current"])
    fiscal_year.is_current = True
    fiscal_year.save(update_fields=["is_current"])


@transaction.atomic
def milestones_save(*, fiscal_year: FiscalYear, milestones: list[Milestone]) -> None:
    # The forms have checked each date against calendar_range(); save all or nothing.
    for milestone in milestones:
        milestone.save()


@transaction.atomic
def calendar_day_add(*, fiscal_year: FiscalYear, date, kind: str, name: str) -> CalendarDay:
    if fiscal_year.calendar_days.filter(date=date).exists():
        raise ValidationError({"date": _("This day is already in the calendar.")})
    return CalendarDay.objects.create(fiscal_year=fiscal_year, date=date, kind=kind, name=name)


@transaction.atomic
def scoring_policy_save(*, fiscal_year: FiscalYear, data: dict) -> ScoringPolicy:
    """Validate through the engine, then store its JSON form (decimals as strings)."""
    try:
        policy = ScoringPolicy.from_dict(data)
    except ScoringError as exc:
        raise ValidationError({exc.field: scoring_message(exc)}) from exc
    fiscal_year.scoring_policy = policy.to_dict()
    fiscal_year.save(update_fields=["scoring_policy"])
    return policy
