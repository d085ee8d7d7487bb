"""Properties of the scoring rules over generated KPIs (DOMAIN §4, §7, §8)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpi_agreements.scoring import (
    ScoringPolicy,
    agreement_score,
    combine,
    effective_deadline,
    redistribute_weights,
    required_result,
    score,
    working_days_late,
)

FAST = settings(max_examples=200, deadline=None)
HALF_UNIT = Fraction(1, 2 * 10**4)  # half of the last of 4 places

values = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
policies = st.builds(
    ScoringPolicy, floor=st.sampled_from([0, 1]), interpolation=st.sampled_from(["linear", "step"])
)
scores = st.decimals(min_value=1, max_value=5, places=4)
weights = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def thresholds(draw):
    """Five strictly monotone thresholds, higher or lower is better."""
    five = sorted(draw(st.lists(values, min_size=5, max_size=5, unique=True)))
    return five if draw(st.booleans()) else five[::-1]


DEFAULT = ScoringPolicy()


def quantitative(ts, actual, policy=DEFAULT):
    return score("quantitative", {"thresholds": ts}, {"actual": actual}, policy)


def better_or_equal(ts, a, b):
    """True if result a is at least as good as b in the KPI's direction."""
    return a >= b if ts[0] < ts[-1] else a <= b


@FAST
@given(thresholds(), values, policies)
def test_every_score_lies_between_the_floor_and_five(ts, actual, policy):
    assert policy.floor <= quantitative(ts, actual, policy) <= 5


@FAST
@given(thresholds(), values, values, policies)
def test_a_better_result_never_scores_less(ts, a, b, policy):
    if not better_or_equal(ts, a, b):
        a, b = b, a
    assert quantitative(ts, a, policy) >= quantitative(ts, b, policy)


@FAST
@given(thresholds(), st.integers(1, 5), policies)
def test_a_result_exactly_at_threshold_k_scores_k(ts, level, policy):
    assert quantitative(ts, ts[level - 1], policy) == level


@FAST
@given(thresholds(), st.integers(1, 5))
def test_the_result_needed_for_a_level_scores_that_level(ts, level):
    needed = required_result("quantitative", {"thresholds": ts}, level)
    assert quantitative(ts, needed) == level


@FAST
@given(thresholds(), st.integers(0, 3), st.integers(0, 9999))
def test_a_result_n_ten_thousandths_of_the_way_to_the_next_threshold_scores_that_much_more(ts, k, n):
    actual = ts[k] + (ts[k + 1] - ts[k]) * n / 10**4  # exact: thresholds have 2 places
    assert quantitative(ts, actual) == (k + 1) + Decimal(n).scaleb(-4)


@FAST
@given(thresholds(), values)
def test_between_two_thresholds_the_score_is_the_linear_formula_rounded(ts, actual):
    t = [Fraction(x) for x in ts]
    v = Fraction(actual)
    segments = [k for k in range(4) if min(t[k], t[k + 1]) <= v <= max(t[k], t[k + 1])]
    assume(segments)
    k = segments[0]
    expected = (k + 1) + (v - t[k]) / (t[k + 1] - t[k])
    assert abs(Fraction(quantitative(ts, actual)) - expected) <= HALF_UNIT


@FAST
@given(thresholds(), st.integers(0, 3))
def test_the_midpoint_between_two_thresholds_scores_half_a_level_more(ts, k):
    midpoint = (ts[k] + ts[k + 1]) / 2
    assert quantitative(ts, midpoint) == Decimal(k + 1) + Decimal("0.5")


@FAST
@given(thresholds(), values)
def test_a_step_score_is_the_whole_part_of_the_linear_score(ts, actual):
    linear = quantitative(ts, actual)
    step = quantitative(ts, actual, ScoringPolicy(interpolation="step"))
    assert step == int(step)
    assert step <= linear <= step + 1  # the linear score may round up onto the next whole level


@FAST
@given(thresholds(), values, st.decimals(min_value="0.01", max_value=100, places=2))
def test_a_single_measure_scores_like_the_quantitative_method(ts, actual, weight):
    criteria = {"measures": [{"name": "only", "weight": weight, "thresholds": ts}]}
    assert score("multi_quantitative", criteria, {"actuals": [actual]}) == quantitative(ts, actual)


@FAST
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 4)), min_size=5, max_size=5), st.data())
def test_ticking_one_more_milestone_step_never_lowers_the_score(shape, data):
    criteria = {"levels": [[f"step {i}.{j}" for j in range(size)] for i, (size, _) in enumerate(shape)]}
    done = [[j < min(ticked, size) for j in range(size)] for size, ticked in shape]
    level = data.draw(st.integers(0, 4))
    missing = [j for j, tick in enumerate(done[level]) if not tick]
    assume(missing)
    more = [list(ticks) for ticks in done]
    more[level][missing[0]] = True
    for policy in (ScoringPolicy(), ScoringPolicy(milestone_partial=True), ScoringPolicy(floor=0)):
        before = score("milestone", criteria, {"done": done}, policy)
        after = score("milestone", criteria, {"done": more}, policy)
        assert policy.floor <= before <= after <= 5


@FAST
@given(scores, st.lists(st.decimals(min_value="0.01", max_value=100, places=2), min_size=1, max_size=20))
def test_combining_equal_scores_returns_that_score(value, ws):
    assert combine([(w, value) for w in ws]) == value


@FAST
@given(st.lists(st.tuples(weights, scores), min_size=1, max_size=20))
def test_a_combined_score_lies_between_the_lowest_and_highest_score(pairs):
    assume(sum(w for w, _ in pairs) > 0)
    result = combine(pairs)
    assert min(s for _, s in pairs) <= result <= max(s for _, s in pairs)


@st.composite
def weights_summing_to_100(draw):
    """Integer weights that add up to exactly 100."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=0, max_size=15)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@FAST
@given(weights_summing_to_100(), st.data())
def test_weights_summing_to_100_give_an_agreement_score_on_the_scale(ws, data):
    pairs = [(w, data.draw(scores)) for w in ws]
    result = agreement_score(pairs)
    assert 1 <= result <= 5
    exact = sum(Fraction(w) * Fraction(s) for w, s in pairs) / 100
    assert abs(Fraction(result) - exact) <= len(pairs) * HALF_UNIT  # one rounding per KPI


@FAST
@given(weights_summing_to_100(), st.data(), st.decimals(min_value=0, max_value=10, places=4), policies)
def test_a_penalty_never_pushes_the_score_below_the_floor(ws, data, penalty, policy):
    pairs = [(w, data.draw(scores)) for w in ws]
    before = agreement_score(pairs, policy=policy)
    after = agreement_score(pairs, penalty=penalty, policy=policy)
    assert after >= policy.floor
    assert after == max(before - penalty, policy.floor)


@FAST
@given(
    st.dictionaries(st.text("abcdefgh", min_size=1, max_size=2), weights, min_size=2, max_size=12),
    st.data(),
    st.integers(0, 4),
)
def test_redistribution_preserves_the_total_weight(ws, data, places):
    keys = list(ws)
    dropped = data.draw(st.lists(st.sampled_from(keys), max_size=len(keys) - 1, unique=True))
    remaining = [k for k in keys if k not in dropped]
    assume(sum(ws[k] for k in remaining) > 0 or sum(ws[k] for k in dropped) == 0)
    rules = {
        key: [
            (data.draw(st.sampled_from(keys)), None if data.draw(st.booleans()) else min(ws[key], Decimal(1)))
        ]
        for key in dropped
        if data.draw(st.booleans())
    }
    result = redistribute_weights(ws, dropped, rules, places=places)
    assert sum(result.values()) == sum(ws.values())
    assert list(result) == remaining
    assert all(result[k] >= ws[k] for k in remaining)


@FAST
@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.integers(0, 60),
    st.sets(st.dates(date(2020, 1, 1), date(2031, 3, 31)), max_size=30),
    st.dates(date(2020, 1, 1), date(2031, 3, 31)),
)
def test_an_extra_holiday_never_makes_a_report_later(deadline, gap, holidays, extra):
    submitted = deadline + timedelta(days=gap)
    late = working_days_late(deadline, submitted, holidays)
    assert working_days_late(deadline, submitted, holidays | {extra}) <= late
    assert late <= max(0, (submitted - effective_deadline(deadline, holidays)).days)
