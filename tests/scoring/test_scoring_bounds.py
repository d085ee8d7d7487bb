"""Every number the engine accepts is bounded (issue 8, defect 5), and weights follow one rule (defect 4)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_agreements.scoring import (
    ScoringError,
    ScoringPolicy,
    combine,
    score,
    to_decimal,
    validate_criteria,
    validate_weight,
)

UP = ["60", "70", "80", "90", "100"]
HOSTILE = [
    ("1e999999999", "exponent_not_allowed"),
    ("1E5", "exponent_not_allowed"),
    ("-2.5e-3", "exponent_not_allowed"),
    ("12345678901234567", "too_many_digits"),
    ("100.000000000000000", "too_many_digits"),  # 18 significant digits, trailing zeros included
    ("0.0000000000000001", "too_many_digits"),  # 16 decimal places
    ("1" * 1_000_000, "too_many_digits"),
    ("1000000000000", "too_large"),
    ("-1000000000000", "too_large"),
    (10**12, "too_large"),
    (-(10**5000), "too_large"),
    (Decimal("1E+999999999"), "too_large"),
    (Decimal("1E-999999999"), "too_many_digits"),
    (Decimal(10**12), "too_large"),
    (Decimal("NaN"), "not_finite"),
    (Decimal("sNaN"), "not_finite"),
    ("-Infinity", "not_finite"),
    ("x" * 100_000, "not_a_number"),
]
IDS = [repr(v)[:20] if not isinstance(v, int) else f"int {code}" for v, code in HOSTILE]


@pytest.mark.parametrize(("value", "code"), HOSTILE, ids=IDS)
def test_a_hostile_threshold_is_refused_at_its_place_before_any_arithmetic(value, code):
    thresholds = [*UP[:2], value, *UP[3:]]
    with pytest.raises(ScoringError) as error:
        validate_criteria("quantitative", {"thresholds": thresholds})
    assert (error.value.code, error.value.field) == (code, "thresholds[2]")
    assert len(error.value.message) < 200  # the value is quoted shortened, not megabytes of it


@pytest.mark.parametrize(("value", "code"), HOSTILE[:4], ids=IDS[:4])
def test_every_entry_of_the_engine_refuses_the_same_numbers(value, code):
    measure = {"name": "m", "weight": "1", "thresholds": UP}
    calls = {
        "actual": lambda: score("quantitative", {"thresholds": UP}, {"actual": value}),
        "measures[0].weight": lambda: validate_criteria(
            "multi_quantitative", {"measures": [dict(measure, weight=value)]}
        ),
        "actuals[0]": lambda: score("multi_quantitative", {"measures": [measure]}, {"actuals": [value]}),
        "pairs[0].weight": lambda: combine([(value, 3)]),
        "late_penalty_per_day[12]": lambda: ScoringPolicy(late_penalty_per_day={12: value}),
        "weight": lambda: validate_weight(value),
    }
    for field, call in calls.items():
        with pytest.raises(ScoringError) as error:
            call()
        assert (error.value.code, error.value.field) == (code, field)


@pytest.mark.parametrize(
    "value",
    [
        "999999999999",
        "-999999999999.999",
        "123456789012.345",
        "0.000000000000001",
        " 85 ",
        "0.00",
        999_999_999_999,
    ],
)
def test_numbers_inside_the_bounds_are_accepted_unchanged(value):
    assert to_decimal(value) == Decimal(str(value).strip())


def test_numbers_at_the_edges_of_the_bounds_still_score_exactly():
    thresholds = ["-999999999999.999", "0", "0.000000000000002", "1", "999999999999.999"]
    assert score("quantitative", {"thresholds": thresholds}, {"actual": "0.000000000000001"}) == Decimal(
        "2.5000"
    )


@pytest.mark.parametrize("weight", ["-35", "0", "100.00001", "12.34567", "1e1", "", None, "abc", 35.0])
def test_a_weight_outside_0_to_100_or_with_more_than_4_places_is_refused(weight):
    with pytest.raises(ScoringError) as error:
        validate_weight(weight, "measures[0].weight")
    assert error.value.field == "measures[0].weight"


@pytest.mark.parametrize(
    ("weight", "stored"),
    [
        ("12.3456", "12.3456"),
        ("100", "100.0000"),
        ("0.0001", "0.0001"),
        ("12.34560", "12.3456"),
        (35, "35.0000"),
    ],
)
def test_a_weight_above_0_up_to_100_with_4_places_is_accepted_as_stored(weight, stored):
    assert str(validate_weight(weight)) == stored


BOUND_CODES = {"too_many_digits", "too_large", "not_finite"}


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_any_decimal_is_either_refused_with_a_bound_code_or_within_the_bounds(number):
    try:
        accepted = to_decimal(number)
    except ScoringError as error:
        assert error.code in BOUND_CODES
    else:
        _sign, digits, exponent = accepted.as_tuple()
        assert abs(accepted) < 10**12 and len(digits) <= 15 and exponent >= -15


@settings(max_examples=300, deadline=None)
@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False), min_size=6, max_size=6, unique=True))
def test_any_accepted_criteria_and_result_score_on_the_scale(numbers):
    *five, actual = numbers
    texts = [format(n, "f") for n in sorted(five)]
    try:
        validate_criteria("quantitative", {"thresholds": texts})
        value = to_decimal(format(actual, "f"))
    except ScoringError as error:
        assert error.code in BOUND_CODES | {"thresholds_not_monotone"}
        return
    assert 1 <= score("quantitative", {"thresholds": texts}, {"actual": value}) <= 5
