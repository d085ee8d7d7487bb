"""Working-day deadlines and the late penalty (DOMAIN §3, §8)."""

from datetime import date
from decimal import Decimal

import pytest

from kpi_agreements.scoring import (
    ScoringError,
    ScoringPolicy,
    effective_deadline,
    is_working_day,
    late_penalty,
    working_days_late,
)

SAT_31_OCT_2009 = date(2009, 10, 31)
MON_2_NOV_2009 = date(2009, 11, 2)


def test_a_deadline_on_a_saturday_moves_to_the_monday():
    assert effective_deadline(SAT_31_OCT_2009, {}) == MON_2_NOV_2009


def test_a_deadline_on_a_working_day_stays():
    assert effective_deadline(date(2009, 4, 30), set()) == date(2009, 4, 30)


def test_a_deadline_rolls_over_a_weekend_followed_by_a_holiday():
    assert effective_deadline(SAT_31_OCT_2009, {MON_2_NOV_2009}) == date(2009, 11, 3)


def test_a_deadline_on_a_weekday_holiday_moves_to_the_next_day():
    assert effective_deadline(date(2009, 12, 10), frozenset({date(2009, 12, 10)})) == date(2009, 12, 11)


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(date(2009, 11, 2))
    assert not is_working_day(date(2009, 11, 1))
    assert not is_working_day(date(2009, 11, 2), {date(2009, 11, 2)})


def test_the_2009_worked_example_is_three_working_days_and_0_15_points_late():
    days = working_days_late(SAT_31_OCT_2009, date(2009, 11, 5), {})
    assert days == 3  # 3, 4 and 5 November
    assert late_penalty(12, days) == Decimal("0.1500")


def test_a_report_on_the_moved_deadline_is_on_time():
    assert working_days_late(SAT_31_OCT_2009, MON_2_NOV_2009, {}) == 0


def test_a_report_before_the_deadline_is_on_time():
    assert working_days_late(SAT_31_OCT_2009, date(2009, 10, 20), {}) == 0


def test_a_report_sent_on_a_saturday_counts_only_the_working_days_before_it():
    assert working_days_late(SAT_31_OCT_2009, date(2009, 11, 7), {}) == 4  # 3, 4, 5 and 6 November
    assert working_days_late(SAT_31_OCT_2009, date(2009, 11, 9), {}) == 5


def test_holidays_after_the_deadline_are_not_counted_as_late():
    assert working_days_late(SAT_31_OCT_2009, date(2009, 11, 5), {date(2009, 11, 4)}) == 2


def test_the_six_and_nine_month_rounds_carry_no_penalty_by_default():
    assert late_penalty(6, 10) == Decimal("0.0000")
    assert late_penalty(9, 10) == Decimal("0.0000")


def test_no_days_late_means_no_penalty():
    assert late_penalty(12, 0) == Decimal("0.0000")


def test_the_penalty_per_day_follows_the_policy():
    policy = ScoringPolicy(late_penalty_per_day={6: "0.01", 12: "0.1"})
    assert late_penalty(12, 2, policy) == Decimal("0.2000")
    assert late_penalty("6", "3", policy) == Decimal("0.0300")
    with pytest.raises(ScoringError, match="no 9-month reporting round"):
        late_penalty(9, 1, policy)


def test_the_thai_holiday_calendar_of_the_holidays_package_can_be_passed_directly():
    holidays = pytest.importorskip("holidays")
    thailand = holidays.Thailand(years=2025, categories=("public", "government"))
    # Songkran 13-15 April 2025 and its in-lieu day 16 April: a deadline on the 12th (Sat) moves to the 17th
    assert effective_deadline(date(2025, 4, 12), thailand) == date(2025, 4, 17)
    assert working_days_late(date(2025, 4, 12), date(2025, 4, 21), thailand) == 2  # 18 and 21 April
