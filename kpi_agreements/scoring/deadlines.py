"""Working-day deadlines and the late-report penalty (DOMAIN §3, §8)."""

from collections.abc import Container
from datetime import date, datetime, timedelta
from decimal import Decimal

from .errors import ScoringError
from .numbers import exact, quantize, to_int
from .policy import ScoringPolicy

DEFAULT_POLICY = ScoringPolicy()
ONE_DAY = timedelta(days=1)


def _date(value, field: str) -> date:
    # datetime is a date subclass, but comparing one with a date raises TypeError: reject it here.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ScoringError("not_a_date", field, value=value)
    return value


def is_working_day(day: date, holidays: Container[date] = frozenset()) -> bool:
    """§3: working days exclude Saturdays, Sundays and the given holidays."""
    return day.weekday() < 5 and day not in holidays


def effective_deadline(due: date, holidays: Container[date] = frozenset()) -> date:
    """§3: a deadline on a weekend or holiday moves to the next working day (31 Oct 2009 → 2 Nov 2009)."""
    day = _date(due, "due")
    while not is_working_day(day, holidays):
        day += ONE_DAY
    return day


def working_days_late(deadline: date, submitted: date, holidays: Container[date] = frozenset()) -> int:
    """Working days after the effective deadline up to and including ``submitted``; 0 if on time (§8)."""
    day = effective_deadline(deadline, holidays)
    submitted = _date(submitted, "submitted")
    late = 0
    while day < submitted:
        day += ONE_DAY
        late += is_working_day(day, holidays)
    return late


@exact
def late_penalty(round_months, days_late, policy: ScoringPolicy = DEFAULT_POLICY) -> Decimal:
    """days_late × the policy's points per working day for that round (§8: 12 months → 0.05), rounded."""
    table = policy.late_penalty_per_day
    months = to_int(round_months, "round_months")
    if months not in table:
        choices = ", ".join(str(m) for m in table)
        raise ScoringError("unknown_round", "round_months", value=round_months, choices=choices)
    days = to_int(days_late, "days_late")
    if days < 0:
        raise ScoringError("negative_days", "days_late", value=days_late)
    return quantize(days * table[months], policy.places)
