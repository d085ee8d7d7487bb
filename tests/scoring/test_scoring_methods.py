"""The five scoring methods of DOMAIN §7, each branch asserted to 4 places."""

from decimal import Decimal, localcontext

import pytest

from kpi_agreements.scoring import (
    METHODS,
    ScoringError,
    ScoringPolicy,
    required_result,
    score,
    validate_criteria,
    validate_result,
)

UP = {"thresholds": [60, 70, 80, 90, 100]}  # higher is better
DOWN = {"thresholds": ["10", "8", "6", "4", "2"]}  # lower is better (e.g. days to serve a request)
STEP = ScoringPolicy(interpolation="step")
FLOOR_0 = ScoringPolicy(floor=0)
DEFAULT = ScoringPolicy()


def quantitative(criteria, actual, policy=DEFAULT):
    return score("quantitative", criteria, {"actual": actual}, policy)


def test_the_five_methods_are_listed_in_domain_order():
    assert METHODS == ("quantitative", "multi_quantitative", "milestone", "pass_fail", "qualitative")


# -- quantitative -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (60, "1.0000"),
        (70, "2.0000"),
        (80, "3.0000"),
        (90, "4.0000"),
        (100, "5.0000"),
        (120, "5.0000"),
        ("85", "3.5000"),
        ("73.33", "2.3330"),
        (Decimal("99.99"), "4.9990"),
        ("59.99", "1.0000"),
        (0, "1.0000"),
    ],
)
def test_a_higher_is_better_result_scores_by_linear_interpolation(actual, expected):
    assert quantitative(UP, actual) == Decimal(expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (10, "1.0000"),
        (11, "1.0000"),
        (8, "2.0000"),
        (7, "2.5000"),
        (5, "3.5000"),
        (2, "5.0000"),
        (1, "5.0000"),
    ],
)
def test_a_lower_is_better_result_scores_with_the_same_formula(actual, expected):
    assert quantitative(DOWN, actual) == Decimal(expected)


def test_a_result_short_of_level_one_scores_zero_when_the_floor_is_zero():
    assert quantitative(UP, 59, FLOOR_0) == Decimal("0.0000")
    assert quantitative(DOWN, 11, FLOOR_0) == Decimal("0.0000")


def test_a_result_exactly_at_level_one_scores_one_even_when_the_floor_is_zero():
    assert quantitative(UP, 60, FLOOR_0) == Decimal("1.0000")


def test_a_third_of_the_way_to_the_next_level_rounds_to_four_places():
    thirds = {"thresholds": [0, 3, 6, 9, 12]}
    assert quantitative(thirds, 1) == Decimal("1.3333")
    assert quantitative(thirds, 2) == Decimal("1.6667")


def test_a_tie_at_the_fifth_decimal_rounds_half_up_not_to_even():
    wide = {"thresholds": [0, 20000, 40000, 60000, 80000]}
    assert quantitative(wide, 1) == Decimal("1.0001")  # exactly 1.00005
    assert quantitative(wide, 3) == Decimal("1.0002")  # exactly 1.00015


def test_thresholds_below_zero_are_scored_like_any_other():
    assert quantitative({"thresholds": [-10, -5, 0, 5, 10]}, "-7.5") == Decimal("1.5000")


@pytest.mark.parametrize(
    ("criteria", "actual", "expected"),
    [
        (UP, 85, "3.0000"),
        (UP, "99.99", "4.0000"),
        (UP, 100, "5.0000"),
        (UP, 59, "1.0000"),
        (DOWN, 7, "2.0000"),
    ],
)
def test_step_interpolation_gives_the_highest_whole_level_reached(criteria, actual, expected):
    assert quantitative(criteria, actual, STEP) == Decimal(expected)


def test_the_number_of_places_follows_the_policy():
    assert quantitative(UP, "73.333", ScoringPolicy(places=2)) == Decimal("2.33")
    assert str(quantitative(UP, "73.333", ScoringPolicy(places=2))) == "2.33"


def test_a_stated_direction_that_agrees_with_the_thresholds_is_accepted():
    assert quantitative({**UP, "direction": "higher"}, 85) == Decimal("3.5000")
    assert quantitative({**DOWN, "direction": "lower"}, 7) == Decimal("2.5000")


# -- several quantitative measures --------------------------------------------------------------------


def measures(*weights, thresholds=(60, 70, 80, 90, 100)):
    return {
        "measures": [
            {"name": f"m{i}", "weight": w, "thresholds": list(thresholds)} for i, w in enumerate(weights)
        ]
    }


def test_the_60_to_100_percent_example_combines_measures_by_weight():
    # scores 3.5 (w 2), 5 (w 1) and 1 (w 1): (7 + 5 + 1) / 4
    result = {"actuals": [85, 100, 55]}
    assert score("multi_quantitative", measures(2, 1, 1), result) == Decimal("3.2500")


def test_a_measure_with_zero_weight_does_not_count():
    assert score("multi_quantitative", measures(1, 0), {"actuals": [85, 60]}) == Decimal("3.5000")


def test_measure_scores_are_rounded_before_they_are_combined():
    # 1.0000 and 1.6667 (rounded from 1.66666...) average 1.33335 -> 1.3334; unrounded it would be 1.3333
    criteria = measures(1, 1, thresholds=(0, 3, 6, 9, 12))
    assert score("multi_quantitative", criteria, {"actuals": [0, 2]}) == Decimal("1.3334")


def test_measures_follow_the_step_policy():
    assert score("multi_quantitative", measures(1, 1), {"actuals": [85, 95]}, STEP) == Decimal("3.5000")


# -- milestone ---------------------------------------------------------------------------------------

MILESTONE = {"levels": [["plan"], ["team", "budget"], ["launch"], ["review", "report", "publish"], ["award"]]}
NOTHING = [[False], [False, False], [False], [False, False, False], [False]]
PARTIAL = ScoringPolicy(milestone_partial=True)


def done(*ticks):
    return {"done": [list(level) for level in ticks]}


def test_all_milestone_steps_done_scores_five():
    assert score(
        "milestone", MILESTONE, done([True], [True, True], [True], [True, True, True], [True])
    ) == Decimal("5.0000")


def test_a_milestone_scores_the_highest_level_whose_steps_and_all_lower_steps_are_done():
    result = done([True], [True, True], [True], [True, False, True], [False])
    assert score("milestone", MILESTONE, result) == Decimal("3.0000")


def test_milestone_steps_done_above_an_unfinished_level_do_not_count():
    result = done([True], [True, False], [True], [True, True, True], [True])
    assert score("milestone", MILESTONE, result) == Decimal("1.0000")


def test_no_milestone_step_done_scores_the_floor():
    assert score("milestone", MILESTONE, {"done": NOTHING}) == Decimal("1.0000")
    assert score("milestone", MILESTONE, {"done": NOTHING}, FLOOR_0) == Decimal("0.0000")


def test_partial_credit_adds_the_fraction_of_the_next_levels_steps_done():
    result = done([True], [True, True], [True], [True, False, False], [False])
    assert score("milestone", MILESTONE, result) == Decimal("3.0000")
    assert score("milestone", MILESTONE, result, PARTIAL) == Decimal("3.3333")


def test_partial_credit_below_level_one_is_lifted_to_the_floor():
    result = done([False], [True, False], [False], [False, False, False], [False])
    partial_floor_0 = ScoringPolicy(milestone_partial=True, floor=0)
    two_step_first_level = {"levels": [["a", "b"], ["c"], ["d"], ["e"], ["f"]]}
    half = done([True, False], [False], [False], [False], [False])
    assert score("milestone", MILESTONE, result, PARTIAL) == Decimal("1.0000")
    assert score("milestone", two_step_first_level, half, PARTIAL) == Decimal("1.0000")
    assert score("milestone", two_step_first_level, half, partial_floor_0) == Decimal("0.5000")


def test_partial_credit_at_level_five_stays_five():
    result = done([True], [True, True], [True], [True, True, True], [True])
    assert score("milestone", MILESTONE, result, PARTIAL) == Decimal("5.0000")


# -- pass/fail and qualitative -------------------------------------------------------------------------

PASS_FAIL = {"condition": "The new service counter opens by 30 September"}
QUALITATIVE = {"levels": ["none", "some", "target met", "quality", "benchmark"]}


def test_pass_scores_five_and_fail_scores_one_by_default():
    assert score("pass_fail", PASS_FAIL, {"passed": True}) == Decimal("5.0000")
    assert score("pass_fail", PASS_FAIL, {"passed": False}) == Decimal("1.0000")


def test_pass_and_fail_scores_follow_the_policy():
    policy = ScoringPolicy(pass_score=4, fail_score=0)
    assert score("pass_fail", PASS_FAIL, {"passed": True}, policy) == Decimal("4.0000")
    assert score("pass_fail", PASS_FAIL, {"passed": False}, policy) == Decimal("0.0000")


@pytest.mark.parametrize(
    ("level", "expected"), [(1, "1.0000"), (3, "3.0000"), ("4", "4.0000"), (Decimal("5"), "5.0000")]
)
def test_a_qualitative_kpi_scores_the_level_the_evaluator_assigned(level, expected):
    assert score("qualitative", QUALITATIVE, {"level": level}) == Decimal(expected)


# -- validation entry points and required results ----------------------------------------------------


def test_valid_criteria_and_results_pass_validation_silently():
    assert validate_criteria("quantitative", UP) is None
    assert validate_result("quantitative", UP, {"actual": "85"}) is None
    assert validate_result("milestone", MILESTONE, {"done": NOTHING}) is None


def test_validate_result_rejects_a_result_that_does_not_fit_the_criteria():
    with pytest.raises(ScoringError) as error:
        validate_result("multi_quantitative", measures(1, 1), {"actuals": [85]})
    assert (error.value.code, error.value.field) == ("actuals_count", "actuals")


def test_validate_criteria_rejects_criteria_without_a_result():
    with pytest.raises(ScoringError) as error:
        validate_criteria("quantitative", {"thresholds": [60, 70, 70, 90, 100]})
    assert error.value.code == "thresholds_not_monotone"


def test_extra_keys_in_criteria_and_results_are_ignored():
    assert score("quantitative", {**UP, "unit": "ร้อยละ"}, {"actual": 85, "note": "ok"}) == Decimal("3.5000")


def test_the_result_needed_for_a_quantitative_level_is_its_threshold():
    assert required_result("quantitative", UP, 3) == Decimal(80)
    assert required_result("quantitative", UP, 5) == Decimal(100)
    assert required_result("quantitative", DOWN, 5) == Decimal(2)


def test_the_result_needed_for_each_measure_is_listed_in_measure_order():
    criteria = {
        "measures": [
            {"name": "a", "weight": 1, "thresholds": [60, 70, 80, 90, 100]},
            {"name": "b", "weight": 1, "thresholds": [5, 4, 3, 2, 1]},
        ]
    }
    assert required_result("multi_quantitative", criteria, 3) == [Decimal(80), Decimal(3)]


def test_the_steps_needed_for_a_milestone_level_include_all_lower_levels():
    assert required_result("milestone", MILESTONE, 2) == ["plan", "team", "budget"]


def test_the_condition_is_needed_only_for_levels_above_the_fail_score():
    assert required_result("pass_fail", PASS_FAIL, 3) == PASS_FAIL["condition"]
    assert required_result("pass_fail", PASS_FAIL, 1) is None


def test_the_description_of_a_qualitative_level_is_what_is_needed():
    assert required_result("qualitative", QUALITATIVE, 4) == "quality"


def test_a_result_needed_for_level_six_is_refused():
    with pytest.raises(ScoringError) as error:
        required_result("quantitative", UP, 6)
    assert (error.value.code, error.value.field) == ("level_range", "level")


def test_scores_do_not_depend_on_the_callers_decimal_precision():
    with localcontext() as context:
        context.prec = 3
        assert quantitative({"thresholds": [0, 3, 6, 9, 12]}, 2) == Decimal("1.6667")
        assert score("multi_quantitative", measures(2, 1, 1), {"actuals": [85, 100, 55]}) == Decimal("3.2500")
