"""Every invalid input raises ScoringError with a stable code, the offending field and a plain message."""

from datetime import datetime
from decimal import Decimal

import pytest

from kpi_agreements.scoring import (
    MESSAGES,
    ScoringError,
    ScoringPolicy,
    agreement_score,
    combine,
    effective_deadline,
    late_penalty,
    redistribute_weights,
    round_card,
    score,
    validate_weight,
    weighted_score,
)

UP = {"thresholds": [60, 70, 80, 90, 100]}
STEPS = {"levels": [["a"], ["b", "c"], ["d"], ["e"], ["f"]]}
CARD_LEAF = {"code": "1", "weight": 100, "method": "quantitative", "criteria": UP}  # not reported


def quantitative(actual):
    return score("quantitative", UP, {"actual": actual})


def multi(measures, actuals=(85,)):
    return score("multi_quantitative", {"measures": measures}, {"actuals": list(actuals)})


def measure(weight=1, thresholds=(60, 70, 80, 90, 100), name="m"):
    return {"name": name, "weight": weight, "thresholds": list(thresholds)}


# (description, call, expected code, expected field)
CASES = [
    ("a missing result value", lambda: score("quantitative", UP, {}), "required", "actual"),
    ("a result value of None", lambda: quantitative(None), "required", "actual"),
    ("text that is not a number", lambda: quantitative("eighty"), "not_a_number", "actual"),
    ("a list where a number belongs", lambda: quantitative([80]), "not_a_number", "actual"),
    ("NaN given as text", lambda: quantitative("NaN"), "not_finite", "actual"),
    ("an infinite Decimal", lambda: quantitative(Decimal("Infinity")), "not_finite", "actual"),
    ("a float", lambda: quantitative(85.5), "float_not_allowed", "actual"),
    ("exponent notation", lambda: quantitative("1e999999999"), "exponent_not_allowed", "actual"),
    ("more than 15 digits", lambda: quantitative("12345678901234567"), "too_many_digits", "actual"),
    ("a number of 10^12", lambda: quantitative(10**12), "too_large", "actual"),
    ("a weight of zero", lambda: validate_weight("0"), "weight_range", "weight"),
    ("a weight with 5 places", lambda: validate_weight("12.34567"), "weight_places", "weight"),
    ("a bool where a number belongs", lambda: quantitative(True), "bool_not_allowed", "actual"),
    ("a fractional round", lambda: late_penalty("12.5", 1), "not_an_integer", "round_months"),
    (
        "a pass/fail result as text",
        lambda: score("pass_fail", {"condition": "x"}, {"passed": "yes"}),
        "not_a_bool",
        "passed",
    ),
    (
        "thresholds as one string",
        lambda: score("quantitative", {"thresholds": "60-100"}, {"actual": 1}),
        "not_a_list",
        "thresholds",
    ),
    (
        "criteria that are not a record",
        lambda: score("quantitative", [60, 70], {"actual": 1}),
        "not_a_mapping",
        "criteria",
    ),
    ("a result that is not a record", lambda: score("quantitative", UP, 85), "not_a_mapping", "result"),
    (
        "a blank pass/fail condition",
        lambda: score("pass_fail", {"condition": "  "}, {"passed": True}),
        "blank_text",
        "condition",
    ),
    ("a datetime for a deadline", lambda: effective_deadline(datetime(2009, 10, 31)), "not_a_date", "due"),
    ("an unknown method", lambda: score("fuzzy", UP, {"actual": 1}), "unknown_method", "method"),
    (
        "four thresholds",
        lambda: score("quantitative", {"thresholds": [1, 2, 3, 4]}, {"actual": 1}),
        "thresholds_count",
        "thresholds",
    ),
    (
        "thresholds that go up and down",
        lambda: score("quantitative", {"thresholds": [1, 3, 2, 4, 5]}, {"actual": 1}),
        "thresholds_not_monotone",
        "thresholds",
    ),
    (
        "two equal thresholds",
        lambda: score("quantitative", {"thresholds": [1, 2, 2, 4, 5]}, {"actual": 1}),
        "thresholds_not_monotone",
        "thresholds",
    ),
    (
        "thresholds against the stated direction",
        lambda: score("quantitative", {**UP, "direction": "lower"}, {"actual": 1}),
        "direction_mismatch",
        "thresholds",
    ),
    (
        "an unknown direction",
        lambda: score("quantitative", {**UP, "direction": "up"}, {"actual": 1}),
        "bad_direction",
        "direction",
    ),
    (
        "a qualitative level of 6",
        lambda: score("qualitative", {"levels": list("abcde")}, {"level": 6}),
        "level_range",
        "level",
    ),
    (
        "a qualitative level of 2.5",
        lambda: score("qualitative", {"levels": list("abcde")}, {"level": "2.5"}),
        "level_range",
        "level",
    ),
    (
        "a qualitative level of 0",
        lambda: score("qualitative", {"levels": list("abcde")}, {"level": 0}),
        "level_range",
        "level",
    ),
    (
        "a qualitative level given as a bool",
        lambda: score("qualitative", {"levels": list("abcde")}, {"level": True}),
        "bool_not_allowed",
        "level",
    ),
    (
        "four level descriptions",
        lambda: score("qualitative", {"levels": list("abcd")}, {"level": 1}),
        "levels_count",
        "levels",
    ),
    (
        "a blank level description",
        lambda: score("qualitative", {"levels": ["a", "b", "", "d", "e"]}, {"level": 1}),
        "blank_text",
        "levels[2]",
    ),
    ("no measures", lambda: multi([], []), "measures_empty", "measures"),
    (
        "a measure without a name",
        lambda: multi([{"weight": 1, "thresholds": [1, 2, 3, 4, 5]}]),
        "required",
        "measures[0].name",
    ),
    (
        "a negative measure weight",
        lambda: multi([measure(), measure(-1)], [85, 85]),
        "negative_weight",
        "measures[1].weight",
    ),
    (
        "a measure weight given as a bool",
        lambda: multi([measure(True)]),
        "bool_not_allowed",
        "measures[0].weight",
    ),
    (
        "measure weights adding up to zero",
        lambda: multi([measure(0), measure(0)], [85, 85]),
        "zero_total_weight",
        "measures",
    ),
    (
        "bad thresholds in the second measure",
        lambda: multi([measure(), measure(thresholds=(1, 2, 3))], [1, 1]),
        "thresholds_count",
        "measures[1].thresholds",
    ),
    (
        "a non-number threshold",
        lambda: multi([measure(thresholds=(1, 2, "x", 4, 5))]),
        "not_a_number",
        "measures[0].thresholds[2]",
    ),
    ("fewer results than measures", lambda: multi([measure(), measure()], [85]), "actuals_count", "actuals"),
    (
        "a non-number measure result",
        lambda: multi([measure(), measure()], [85, "n/a"]),
        "not_a_number",
        "actuals[1]",
    ),
    (
        "four milestone levels",
        lambda: score("milestone", {"levels": [["a"]] * 4}, {"done": []}),
        "milestone_levels_count",
        "levels",
    ),
    (
        "a milestone level without steps",
        lambda: score("milestone", {"levels": [["a"], [], ["c"], ["d"], ["e"]]}, {"done": []}),
        "milestone_level_empty",
        "levels[1]",
    ),
    (
        "a blank milestone step",
        lambda: score("milestone", {"levels": [["a"], ["b", " "], ["c"], ["d"], ["e"]]}, {"done": []}),
        "blank_text",
        "levels[1][1]",
    ),
    (
        "ticks for four levels",
        lambda: score("milestone", STEPS, {"done": [[True]] * 4}),
        "milestone_levels_count",
        "done",
    ),
    (
        "the wrong number of ticks in a level",
        lambda: score("milestone", STEPS, {"done": [[True]] * 5}),
        "milestone_shape",
        "done[1]",
    ),
    (
        "a tick given as 1",
        lambda: score("milestone", STEPS, {"done": [[1], [True, True], [True], [True], [True]]}),
        "not_a_bool",
        "done[0][0]",
    ),
    ("a negative KPI weight", lambda: combine([(-1, 3)]), "negative_weight", "pairs[0].weight"),
    ("KPI weights adding up to zero", lambda: combine([(0, 3), (0, 4)]), "zero_total_weight", "pairs"),
    ("a total weight of zero", lambda: weighted_score(3, 5, 0), "zero_total_weight", "total_weight"),
    ("no KPI scores", lambda: agreement_score([]), "empty", "pairs"),
    ("a pair with three values", lambda: combine([(20, 3, 1)]), "not_a_list", "pairs[0]"),
    ("a score above five", lambda: combine([(20, 3), (10, "5.5")]), "score_range", "pairs[1].score"),
    (
        "a negative penalty",
        lambda: agreement_score([(100, 3)], penalty="-0.05"),
        "negative_penalty",
        "penalty",
    ),
    ("an unknown KPI dropped", lambda: redistribute_weights({"1.1": 13}, ["9"]), "unknown_kpi", "dropped"),
    (
        "a rule moving more than the weight",
        lambda: redistribute_weights({"1.1": 13, "1.2": 5}, ["1.2"], {"1.2": [("1.1", 6)]}),
        "rule_exceeds_weight",
        "rules['1.2']",
    ),
    (
        "every KPI dropped",
        lambda: redistribute_weights({"a": 60, "b": 40}, ["a", "b"]),
        "no_kpi_left",
        "dropped",
    ),
    ("a KPI twice on a card", lambda: round_card([CARD_LEAF, CARD_LEAF]), "duplicate_kpi", "kpis[1].code"),
    (
        "a parent KPI not on the card",
        lambda: round_card([{**CARD_LEAF, "parent": "9"}]),
        "unknown_parent",
        "kpis[1].parent",
    ),
    (
        "a KPI that is its own parent",
        lambda: round_card([{**CARD_LEAF, "parent": "1"}]),
        "parent_cycle",
        "kpis[1].parent",
    ),
    (
        "a leaf KPI without a method",
        lambda: round_card([{**CARD_LEAF, "method": None}]),
        "method_required",
        "kpis[1].method",
    ),
    ("a three-month round", lambda: late_penalty(3, 1), "unknown_round", "round_months"),
    ("negative days late", lambda: late_penalty(12, -1), "negative_days", "days_late"),
    (
        "an unknown interpolation",
        lambda: ScoringPolicy(interpolation="cubic"),
        "bad_interpolation",
        "interpolation",
    ),
    ("negative places", lambda: ScoringPolicy(places=-1), "bad_places", "places"),
    ("a floor of two", lambda: ScoringPolicy(floor=2), "bad_floor", "floor"),
    (
        "an unknown policy setting",
        lambda: ScoringPolicy.from_dict({"floor": "1", "bonus": "2"}),
        "policy_unknown_field",
        "bonus",
    ),
]


@pytest.mark.parametrize(
    ("call", "code", "field"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_invalid_input_raises_scoring_error_with_its_code_and_field(call, code, field):
    with pytest.raises(ScoringError) as error:
        call()
    assert (error.value.code, error.value.field) == (code, field)
    assert str(error.value) == MESSAGES[code].format(**error.value.params)


def test_every_message_in_the_catalogue_is_raised_by_some_invalid_input():
    raised = set()
    for _, call, _, _ in CASES:
        with pytest.raises(ScoringError) as error:
            call()
        raised.add(error.value.code)
    assert raised == set(MESSAGES)


def test_a_message_names_the_problem_in_plain_words():
    with pytest.raises(ScoringError) as error:
        score("quantitative", {"thresholds": [1, 2, 3, 4]}, {"actual": 1})
    assert str(error.value) == "Give exactly 5 threshold values, one for each level 1 to 5 (got 4)."
    assert error.value.params == {"count": 4}


def test_scoring_error_is_a_value_error_so_generic_handlers_catch_it():
    with pytest.raises(ValueError):
        quantitative("eighty")


def test_a_repr_shows_code_field_and_params_for_logs():
    error = ScoringError("thresholds_count", "thresholds", count=4)
    assert repr(error) == "ScoringError(code='thresholds_count', field='thresholds', params={'count': 4})"
