"""Site-visit flags the system raises itself (DOMAIN §8; source 003 slide 27)."""

from decimal import Decimal

import pytest

from kpi_agreements.scoring import (
    EXTERNAL_OBSTACLES,
    FAR_FROM_TARGET,
    FLAGS,
    MISSING_REPORT,
    ScoringPolicy,
    site_visit_flags,
)

NARRATIVE = "ดำเนินการครบทุกขั้นตอน"


def test_a_complete_report_on_target_raises_no_flag():
    assert site_visit_flags(Decimal("3.0000"), NARRATIVE) == []


@pytest.mark.parametrize(
    ("value", "flagged"),
    [("1.0000", True), ("1.9999", True), ("2.0000", False), ("4.9999", False), ("5.0000", True)],
)
def test_a_score_much_below_or_much_above_target_is_far_from_target(value, flagged):
    assert (FAR_FROM_TARGET in site_visit_flags(Decimal(value), NARRATIVE)) is flagged


def test_flagging_results_far_above_target_can_be_switched_off():
    assert site_visit_flags(Decimal(5), NARRATIVE, policy=ScoringPolicy(far_above=None)) == []
    assert site_visit_flags(Decimal(1), NARRATIVE, policy=ScoringPolicy(far_above=None)) == [FAR_FROM_TARGET]


def test_the_far_below_threshold_follows_the_policy():
    assert site_visit_flags(Decimal("2.4"), NARRATIVE, policy=ScoringPolicy(far_below="2.5")) == [
        FAR_FROM_TARGET
    ]


@pytest.mark.parametrize("obstacles", [True, "น้ำท่วมพื้นที่ดำเนินการ"])
def test_obstacles_outside_the_units_control_are_flagged(obstacles):
    assert site_visit_flags(Decimal(3), NARRATIVE, obstacles) == [EXTERNAL_OBSTACLES]


@pytest.mark.parametrize("obstacles", [False, None, "", "   "])
def test_no_obstacles_given_raises_no_obstacle_flag(obstacles):
    assert site_visit_flags(Decimal(3), NARRATIVE, obstacles) == []


def test_a_report_without_a_result_is_missing():
    assert site_visit_flags(None, NARRATIVE) == [MISSING_REPORT]


@pytest.mark.parametrize("narrative", [None, "", " \n "])
def test_a_report_without_a_narrative_is_unclear(narrative):
    assert site_visit_flags(Decimal(3), narrative) == [MISSING_REPORT]


def test_all_three_flags_come_in_a_fixed_order():
    assert site_visit_flags(Decimal(1), "", True) == [FAR_FROM_TARGET, EXTERNAL_OBSTACLES, MISSING_REPORT]
    assert FLAGS == ("far_from_target", "external_obstacles", "missing_report")
