"""Roll-up (DOMAIN §7) and weight redistribution (§4), with the FY2552 framework of 003 slides 47-51."""

from decimal import Decimal

import pytest

from kpi_agreements.scoring import (
    ScoringPolicy,
    agreement_score,
    combine,
    incentive_eligible,
    redistribute_weights,
    weighted_score,
)

# FY2552 framework, leaf KPIs -> (dimension, weight)
FY2552 = {
    "1.1": (1, 13), "1.2": (1, 5), "1.3": (1, 2), "2": (1, 10), "3.1": (1, 10), "3.2": (1, 5),
    "4": (2, 5), "5": (2, 4), "6": (2, 3), "7": (2, 3),
    "8": (3, 4), "9": (3, 3), "10": (3, 3), "11": (3, 3), "12": (3, 4), "13": (3, 3),
    "14": (4, 20),
}  # fmt: skip
FY2552_WEIGHTS = {kpi: Decimal(weight) for kpi, (_, weight) in FY2552.items()}
FY2552_RULES = {
    "1.2": [("1.1", None)],  # "if the ministry has no KPI 1.2, its weight goes to 1.1"
    "2": [("1.1", 5), ("3", 5)],  # "if there is no mission group, 5 to 1.1 and 5 to KPI 3"
    "3.2": [("3.1", None)],
}


def test_the_fy2552_framework_weighs_its_dimensions_45_15_20_20():
    totals = {}
    for dimension, weight in FY2552.values():
        totals[dimension] = totals.get(dimension, 0) + weight
    assert totals == {1: 45, 2: 15, 3: 20, 4: 20}
    assert sum(FY2552_WEIGHTS.values()) == 100


# -- weighted scores and combining ---------------------------------------------------------------------


def test_a_weighted_score_is_score_times_weight_over_the_total():
    assert weighted_score(4, 5) == Decimal("0.2000")
    assert weighted_score(Decimal("3.4567"), 13) == Decimal("0.4494")  # 0.449371
    assert weighted_score("3.5", 20, total_weight=45) == Decimal("1.5556")


def test_kpi_1_rolls_up_from_1_1_1_2_and_1_3_by_their_weights():
    # KPI 1 (20) = 1.1 (13) + 1.2 (5) + 1.3 (2): (13 x 4 + 5 x 3 + 2 x 5) / 20 = 77 / 20
    assert combine([(13, 4), (5, 3), (2, 5)]) == Decimal("3.8500")


def test_combining_is_rounded_once_at_the_end():
    assert combine([(1, 1), (1, 1), (1, 2)]) == Decimal("1.3333")
    assert combine([(1, 1), (2, 2)], places=2) == Decimal("1.67")


def test_combining_equal_scores_returns_that_score():
    assert combine([(13, "3.2500"), (5, "3.2500"), (2, "3.2500")]) == Decimal("3.2500")


def test_a_dimension_score_averages_its_kpis_by_weight():
    # dimension 2 of FY2552: KPIs 4-7 weighted 5, 4, 3, 3
    assert combine([(5, 4), (4, 3), (3, 5), (3, 2)]) == Decimal("3.5333")


# -- agreement score, penalty, incentive ---------------------------------------------------------------


def test_the_agreement_score_sums_the_fy2552_dimension_weighted_scores():
    # 45 x 4 + 15 x 3 + 20 x 3.5 + 20 x 2, over 100: 1.8 + 0.45 + 0.7 + 0.4
    pairs = [(45, 4), (15, 3), (20, "3.5"), (20, 2)]
    assert agreement_score(pairs) == Decimal("3.3500")


def test_the_late_penalty_is_taken_off_the_agreement_score():
    pairs = [(45, 4), (15, 3), (20, "3.5"), (20, 2)]
    assert agreement_score(pairs, penalty=Decimal("0.1500")) == Decimal("3.2000")


def test_each_weighted_score_is_rounded_before_the_sum():
    # three weighted scores of 0.66666... each print as 0.6667, and the card adds the printed figures
    assert agreement_score([(1, 2), (1, 2), (1, 2)]) == Decimal("2.0001")


def test_the_agreement_score_uses_the_sum_of_weights_even_when_it_is_not_100():
    assert agreement_score([(13, 4), (5, 3), (2, 5)]) == Decimal("3.8500")


def test_a_penalty_never_takes_the_score_below_the_floor():
    assert agreement_score([(100, "1.2")], penalty="0.5") == Decimal("1.0000")
    assert agreement_score([(100, "1.2")], penalty="0.5", policy=ScoringPolicy(floor=0)) == Decimal("0.7000")
    assert agreement_score([(100, "0.2")], penalty="0.5", policy=ScoringPolicy(floor=0)) == Decimal("0.0000")


@pytest.mark.parametrize(
    ("value", "eligible"), [("3", True), ("3.0000", True), ("2.9999", False), ("4.5", True)]
)
def test_a_unit_scoring_at_least_three_is_eligible_for_incentive_money(value, eligible):
    assert incentive_eligible(Decimal(value)) is eligible


def test_the_incentive_threshold_follows_the_policy():
    assert incentive_eligible("3.4", ScoringPolicy(incentive_threshold="3.5")) is False
    assert incentive_eligible("3.5", ScoringPolicy(incentive_threshold="3.5")) is True


# -- weight redistribution -----------------------------------------------------------------------------


def test_without_kpi_1_2_its_weight_goes_to_1_1():
    result = redistribute_weights(FY2552_WEIGHTS, ["1.2"], FY2552_RULES)
    assert result["1.1"] == Decimal(18)
    assert "1.2" not in result
    assert {k: v for k, v in result.items() if k != "1.1"} == {
        k: v for k, v in FY2552_WEIGHTS.items() if k not in ("1.1", "1.2")
    }
    assert sum(result.values()) == 100


def test_without_a_mission_group_5_goes_to_1_1_and_5_to_kpi_3():
    weights = {"1.1": 13, "1.2": 5, "1.3": 2, "2": 10, "3": 15, "rest": 55}
    result = redistribute_weights(weights, ["2"], FY2552_RULES)
    assert result == {"1.1": 18, "1.2": 5, "1.3": 2, "3": 20, "rest": 55}


def test_the_remaining_kpis_keep_their_order():
    result = redistribute_weights(FY2552_WEIGHTS, ["1.2", "3.2"], FY2552_RULES)
    assert list(result) == [k for k in FY2552_WEIGHTS if k not in ("1.2", "3.2")]
    assert (result["1.1"], result["3.1"]) == (Decimal(18), Decimal(15))


def test_a_rule_for_all_weight_takes_only_what_earlier_rules_left():
    weights = {"1.1": 13, "1.2": 5, "1.3": 2}
    result = redistribute_weights(weights, ["1.2"], {"1.2": [("1.1", 2), ("1.3", None)]})
    assert result == {"1.1": 15, "1.3": 5}


def test_weight_without_a_rule_is_spread_in_proportion_to_the_remaining_weights():
    result = redistribute_weights({"a": 50, "b": 30, "c": 20}, ["c"])
    assert result == {"a": Decimal("62.5"), "b": Decimal("37.5")}


def test_the_rounding_remainder_goes_to_the_largest_weight():
    result = redistribute_weights({"a": 1, "b": 3, "c": 1, "d": 1}, ["d"])
    # 1 split 1:3:1 is 0.2, 0.6, 0.2 exactly; split 1:1:1 below leaves a remainder
    assert result == {"a": Decimal("1.2"), "b": Decimal("3.6"), "c": Decimal("1.2")}
    result = redistribute_weights({"a": 1, "b": 2, "c": 1, "d": 1}, ["d"])
    assert result == {"a": Decimal("1.2500"), "b": Decimal("2.5000"), "c": Decimal("1.2500")}
    result = redistribute_weights({"a": 10, "b": 10, "c": 10, "d": 10}, ["d"])
    assert result == {"a": Decimal("13.3334"), "b": Decimal("13.3333"), "c": Decimal("13.3333")}
    assert sum(result.values()) == 40


def test_the_remainder_goes_to_the_largest_weight_not_the_first():
    result = redistribute_weights({"a": 1, "b": 2, "c": 3}, ["a"], places=0)
    # 1 over 2:3 is 0.4 and 0.6 -> 0 and 1; the sum already matches so nothing moves
    assert result == {"b": Decimal(2), "c": Decimal(4)}
    result = redistribute_weights({"a": 2, "b": 1, "c": 1, "d": 1}, ["d"], places=0)
    # 1 over 2:1:1 is 0.5, 0.25, 0.25 -> 1, 0, 0
    assert result == {"a": Decimal(3), "b": Decimal(1), "c": Decimal(1)}
    result = redistribute_weights({"a": 1, "b": 1, "c": 2, "d": 2}, ["d"], places=0)
    # 2 over 1:1:2 is 0.5, 0.5, 1 -> 1, 1, 1 = 3: the largest (c) gives back the extra 1
    assert result == {"a": Decimal(2), "b": Decimal(2), "c": Decimal(2)}


def test_a_rule_whose_target_is_dropped_too_falls_back_to_proportional():
    weights = {"1.1": 10, "1.2": 5, "x": 60, "y": 25}
    result = redistribute_weights(weights, ["1.1", "1.2"], {"1.2": [("1.1", None)]})
    # 15 spread over 60:25
    assert result == {"x": Decimal("70.5882"), "y": Decimal("29.4118")}
    assert sum(result.values()) == 100


def test_a_rule_whose_target_is_not_in_the_agreement_falls_back_to_proportional():
    result = redistribute_weights({"a": 60, "b": 30, "c": 10}, ["c"], {"c": [("zz", 4)]})
    assert result == {"a": Decimal("66.6667"), "b": Decimal("33.3333")}


def test_dropping_nothing_changes_nothing():
    assert redistribute_weights(FY2552_WEIGHTS, []) == FY2552_WEIGHTS


def test_dropping_a_kpi_of_zero_weight_moves_nothing():
    assert redistribute_weights({"a": 0, "b": 0, "c": 0}, ["c"]) == {"a": 0, "b": 0}
