"""The five scoring methods of DOMAIN §7: validation, scoring and the result needed for a level."""

from collections.abc import Mapping, Sequence
from decimal import Decimal

from .errors import ScoringError
from .numbers import ZERO, divide, exact, quantize, to_decimal
from .policy import ScoringPolicy

METHODS = ("quantitative", "multi_quantitative", "milestone", "pass_fail", "qualitative")
LEVELS = 5
DEFAULT_POLICY = ScoringPolicy()


# -- small readers: each raises ScoringError naming the field ------------------------------------------


def _get(data, key: str, where: str = ""):
    if type(data) is not dict and not isinstance(data, Mapping):  # the exact-type test is the fast path
        raise ScoringError("not_a_mapping", where or None)
    path = f"{where}.{key}" if where else key
    if key not in data or data[key] is None:
        raise ScoringError("required", path, name=path)
    return data[key], path


def _list(value, field: str) -> Sequence:
    if type(value) is list:
        return value
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ScoringError("not_a_list", field)
    return value


def _text(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScoringError("blank_text", field)
    return value


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ScoringError("not_a_bool", field, value=value)
    return value


def _level(value, field: str) -> int:
    if isinstance(value, bool):
        raise ScoringError("bool_not_allowed", field, value=value)
    level = to_decimal(value, field)
    if level != level.to_integral_value() or not 1 <= level <= LEVELS:
        raise ScoringError("level_range", field, value=value)
    return int(level)


def _thresholds(data, where: str = "") -> tuple[Decimal, ...]:
    raw, path = _get(data, "thresholds", where)
    raw = _list(raw, path)
    if len(raw) != LEVELS:
        raise ScoringError("thresholds_count", path, count=len(raw))
    values = tuple(to_decimal(v, f"{path}[{i}]") for i, v in enumerate(raw))
    pairs = list(zip(values, values[1:], strict=False))
    if all(a < b for a, b in pairs):
        direction = "higher"
    elif all(a > b for a, b in pairs):
        direction = "lower"
    else:
        raise ScoringError("thresholds_not_monotone", path)
    # §6: the KPI Template may state its direction; thresholds entered the wrong way round are caught here.
    stated = data.get("direction")
    if stated is not None:
        if stated not in ("higher", "lower"):
            raise ScoringError("bad_direction", f"{where}.direction" if where else "direction", value=stated)
        if stated != direction:
            actual = "up" if direction == "higher" else "down"
            raise ScoringError("direction_mismatch", path, actual=actual, expected=stated)
    return values


# -- criteria ------------------------------------------------------------------------------------------


def _parse_criteria(method, criteria):
    """Criteria in a form ready for scoring; raises ScoringError on the first problem found."""
    if method not in METHODS:
        raise ScoringError("unknown_method", "method", value=method, choices=", ".join(METHODS))
    if not isinstance(criteria, Mapping):
        raise ScoringError("not_a_mapping", "criteria")
    if method == "quantitative":
        return _thresholds(criteria)
    if method == "multi_quantitative":
        raw, path = _get(criteria, "measures")
        raw = _list(raw, path)
        if not raw:
            raise ScoringError("measures_empty", path)
        measures = []
        for i, measure in enumerate(raw):
            where = f"measures[{i}]"
            _text(*_get(measure, "name", where))
            weight, weight_path = _get(measure, "weight", where)
            weight = to_decimal(weight, weight_path)
            if weight < 0:
                raise ScoringError("negative_weight", weight_path, value=weight)
            measures.append((weight, _thresholds(measure, where)))
        if sum(w for w, _ in measures) == 0:
            raise ScoringError("zero_total_weight", path)
        return measures
    if method == "milestone":
        raw, path = _get(criteria, "levels")
        raw = _list(raw, path)
        if len(raw) != LEVELS:
            raise ScoringError("milestone_levels_count", path, count=len(raw))
        sizes = []
        for i, steps in enumerate(raw):
            steps = _list(steps, f"{path}[{i}]")
            if not steps:
                raise ScoringError("milestone_level_empty", f"{path}[{i}]", level=i + 1)
            for j, step in enumerate(steps):
                _text(step, f"{path}[{i}][{j}]")
            sizes.append(len(steps))
        return sizes
    if method == "pass_fail":
        raw, path = _get(criteria, "condition")
        return _text(raw, path)
    raw, path = _get(criteria, "levels")  # qualitative
    raw = _list(raw, path)
    if len(raw) != LEVELS:
        raise ScoringError("levels_count", path, count=len(raw))
    for i, text in enumerate(raw):
        _text(text, f"{path}[{i}]")
    return raw


def validate_criteria(method: str, criteria: Mapping) -> None:
    """Raise ScoringError if ``criteria`` are not valid for ``method``. Extra keys are ignored."""
    _parse_criteria(method, criteria)


# -- results and scores --------------------------------------------------------------------------------


def _quantitative(thresholds, actual: Decimal, policy: ScoringPolicy) -> Decimal:
    """§7 method 1. Flipping signs turns lower-is-better thresholds into higher-is-better ones."""
    sign = 1 if thresholds[0] < thresholds[-1] else -1
    v = sign * actual
    if v >= sign * thresholds[-1]:
        return quantize(Decimal(LEVELS), policy.places)
    if v < sign * thresholds[0]:
        return quantize(policy.floor, policy.places)
    k = max(i for i in range(LEVELS) if v >= sign * thresholds[i])  # 0-based: level k + 1 reached
    if policy.interpolation == "step":
        return quantize(Decimal(k + 1), policy.places)
    low, high = thresholds[k], thresholds[k + 1]
    return (k + 1) + divide(actual - low, high - low, policy.places)


def _score(method, parsed, result, policy: ScoringPolicy) -> Decimal:
    if not isinstance(result, Mapping):
        raise ScoringError("not_a_mapping", "result")
    places = policy.places
    if method == "quantitative":
        actual, path = _get(result, "actual")
        return _quantitative(parsed, to_decimal(actual, path), policy)
    if method == "multi_quantitative":
        raw, path = _get(result, "actuals")
        raw = _list(raw, path)
        if len(raw) != len(parsed):
            raise ScoringError("actuals_count", path, expected=len(parsed), count=len(raw))
        # Step 1: each measure's score, rounded; step 2: Σ(wi × si) / Σwi, rounded (§7 method 2).
        total = weighted = ZERO
        for i, ((weight, thresholds), actual) in enumerate(zip(parsed, raw, strict=True)):
            weighted += weight * _quantitative(thresholds, to_decimal(actual, f"{path}[{i}]"), policy)
            total += weight
        return divide(weighted, total, places)
    if method == "milestone":
        raw, path = _get(result, "done")
        raw = _list(raw, path)
        if len(raw) != LEVELS:
            raise ScoringError("milestone_levels_count", path, count=len(raw))
        done_counts = []
        for i, (size, ticks) in enumerate(zip(parsed, raw, strict=True)):
            ticks = _list(ticks, f"{path}[{i}]")
            if len(ticks) != size:
                raise ScoringError(
                    "milestone_shape", f"{path}[{i}]", level=i + 1, expected=size, count=len(ticks)
                )
            done_counts.append(sum(_bool(t, f"{path}[{i}][{j}]") for j, t in enumerate(ticks)))
        # Levels are cumulative: steps ticked above the first unfinished level do not count.
        reached = 0
        while reached < LEVELS and done_counts[reached] == parsed[reached]:
            reached += 1
        value = Decimal(reached)
        if policy.milestone_partial and reached < LEVELS:
            value += divide(Decimal(done_counts[reached]), Decimal(parsed[reached]), places)
        return quantize(max(value, policy.floor), places)  # floor <= 1, so it only lifts 'nothing done'
    if method == "pass_fail":
        raw, path = _get(result, "passed")
        return quantize(policy.pass_score if _bool(raw, path) else policy.fail_score, places)
    raw, path = _get(result, "level")  # qualitative
    return quantize(Decimal(_level(raw, path)), places)


@exact
def score(method: str, criteria: Mapping, result: Mapping, policy: ScoringPolicy = DEFAULT_POLICY) -> Decimal:
    """The KPI's score on the 1-5 scale (§7), rounded half-up to ``policy.places``."""
    return _score(method, _parse_criteria(method, criteria), result, policy)


@exact
def validate_result(method: str, criteria: Mapping, result: Mapping) -> None:
    """Raise ScoringError if ``result`` is not a valid result for these criteria. Extra keys are ignored."""
    _score(method, _parse_criteria(method, criteria), result, DEFAULT_POLICY)


def required_result(method: str, criteria: Mapping, level, policy: ScoringPolicy = DEFAULT_POLICY):
    """What a unit must achieve to score ``level`` (1-5), for the calculator UI.

    quantitative: the threshold t_level (Decimal); multi_quantitative: the t_level of each measure, in order;
    milestone: the texts of all steps of levels 1..level (levels are cumulative); pass_fail: the condition
    text, or None when the fail score already reaches the level; qualitative: the level's description.
    """
    parsed = _parse_criteria(method, criteria)
    level = _level(level, "level")
    if method == "quantitative":
        return parsed[level - 1]
    if method == "multi_quantitative":
        return [thresholds[level - 1] for _, thresholds in parsed]
    if method == "milestone":
        return [step for steps in criteria["levels"][:level] for step in steps]
    if method == "pass_fail":
        return None if policy.fail_score >= level else parsed
    return parsed[level - 1]
