"""The five scoring methods of DOMAIN §7: validation, scoring and the result needed for a level."""

import marshal
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from itertools import chain

from .errors import ScoringError
from .numbers import ZERO, divide, exact, quantize, to_decimal
from .policy import ScoringPolicy

METHODS = ("quantitative", "multi_quantitative", "milestone", "pass_fail", "qualitative")
LEVELS = 5
DEFAULT_POLICY = ScoringPolicy()
_TOP = Decimal(LEVELS)
_BOOL, _STR, _LIST = {bool}, {str}, {list}


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


def _all_text(values) -> bool:
    """Whether every value is text that is not blank (the fast test; ``_text`` names the one that is not)."""
    return set(map(type, values)) == _STR and all(map(str.strip, values))


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ScoringError("not_a_bool", field, value=value)
    return value


def _level(value, field: str) -> int:
    if type(value) is int and 1 <= value <= LEVELS:  # the usual case, checked without a Decimal
        return value
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
    try:
        values = tuple(map(to_decimal, raw))
    except ScoringError:  # again, one by one, to name the threshold at fault
        values = tuple(to_decimal(v, f"{path}[{i}]") for i, v in enumerate(raw))
    t0, t1, t2, t3, t4 = values
    if t0 < t1 < t2 < t3 < t4:
        direction = "higher"
    elif t0 > t1 > t2 > t3 > t4:
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


def _measure(measure, where: str = "") -> tuple[Decimal, tuple[Decimal, ...]]:
    """One measure of a multi_quantitative KPI: its weight and thresholds."""
    _text(*_get(measure, "name", where))
    weight, weight_path = _get(measure, "weight", where)
    weight = to_decimal(weight, weight_path)
    if weight < 0:
        raise ScoringError("negative_weight", weight_path, value=weight)
    return weight, _thresholds(measure, where)


def _parse_criteria(method, criteria):
    """Criteria in a form ready for scoring; raises ScoringError on the first problem found."""
    if method not in METHODS:
        raise ScoringError("unknown_method", "method", value=method, choices=", ".join(METHODS))
    if type(criteria) is not dict and not isinstance(criteria, Mapping):
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
            try:
                measures.append(_measure(measure))
            except ScoringError:  # again, to name the field at fault (built only for an error)
                _measure(measure, f"measures[{i}]")
        if sum(w for w, _ in measures) == 0:
            raise ScoringError("zero_total_weight", path)
        return tuple(measures)
    if method == "milestone":
        raw, path = _get(criteria, "levels")
        raw = _list(raw, path)
        if len(raw) != LEVELS:
            raise ScoringError("milestone_levels_count", path, count=len(raw))
        sizes = []
        for i, steps in enumerate(raw):
            if type(steps) is not list:
                steps = _list(steps, f"{path}[{i}]")
            if not steps:
                raise ScoringError("milestone_level_empty", f"{path}[{i}]", level=i + 1)
            if not _all_text(steps):  # name the first step that is not
                for j, step in enumerate(steps):
                    _text(step, f"{path}[{i}][{j}]")
            sizes.append(len(steps))
        return tuple(sizes)
    if method == "pass_fail":
        raw, path = _get(criteria, "condition")
        return _text(raw, path)
    raw, path = _get(criteria, "levels")  # qualitative
    raw = _list(raw, path)
    if len(raw) != LEVELS:
        raise ScoringError("levels_count", path, count=len(raw))
    if not _all_text(raw):
        for i, text in enumerate(raw):
            _text(text, f"{path}[{i}]")
    return tuple(raw)


# Parsed criteria, by their document: a KPI's thresholds are read and checked once however many results are
# scored against them, and the copies of one document (a mandatory KPI in every unit, a KPI in each round's
# report) share one entry. The key is the document serialised by ``marshal``: the same bytes always read back
# as the same value, types included (text, each kind of number, booleans, lists, mappings), so a changed
# document is a new key, and marshal refuses what it cannot write exactly (a Decimal, a subclass), which is
# then checked every time. Parsed forms are immutable (tuples, Decimals, text), as they are shared. Only
# valid criteria of a usual size are kept; the cache is emptied when full, which costs one more check per
# KPI, never a wrong score. Pass/fail and qualitative criteria (text only) are checked every time: that
# costs about what making their key would.
CACHE_SIZE = 4096  # per method
CACHE_KEY_BYTES = 10_000
_parsed: dict[str, dict[bytes, object]] = {"quantitative": {}, "multi_quantitative": {}, "milestone": {}}


def parsed_criteria(method: str, criteria):
    """``criteria`` checked and ready for scoring, from the cache when the same document was seen before."""
    cache = _parsed.get(method)
    if cache is None or type(criteria) is not dict:  # parsed (or refused) every time
        return _parse_criteria(method, criteria)
    try:
        key = marshal.dumps(criteria)
    except ValueError:  # a value marshal cannot write, or nested too deeply: let the checks speak
        return _parse_criteria(method, criteria)
    parsed = cache.get(key)
    if parsed is None:
        parsed = _parse_criteria(method, criteria)
        if len(key) <= CACHE_KEY_BYTES:
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[key] = parsed
    return parsed


def clear_criteria_cache() -> None:
    """Forget every parsed document (for benchmarks and tests that time or compare a cold start)."""
    for cache in _parsed.values():
        cache.clear()


def validate_criteria(method: str, criteria: Mapping) -> None:
    """Raise ScoringError if ``criteria`` are not valid for ``method``. Extra keys are ignored."""
    parsed_criteria(method, criteria)


# -- results and scores --------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _ends(places: int, floor: Decimal) -> tuple[Decimal, Decimal]:
    """The scale's ends as scores: the floor and the top level, rounded to ``places``."""
    return quantize(floor, places), quantize(_TOP, places)


def _quantitative(thresholds, actual: Decimal, policy: ScoringPolicy) -> Decimal:
    """§7 method 1: level k + 1 is reached at threshold k (0-based), linear (or step) in between; for
    lower-is-better thresholds every comparison turns round."""
    t0, t1, t2, t3, t4 = thresholds
    if t0 < t4:
        if actual >= t4:
            return _ends(policy.places, policy.floor)[1]
        if actual < t0:
            return _ends(policy.places, policy.floor)[0]
        k = 3 if actual >= t3 else 2 if actual >= t2 else 1 if actual >= t1 else 0
    else:
        if actual <= t4:
            return _ends(policy.places, policy.floor)[1]
        if actual > t0:
            return _ends(policy.places, policy.floor)[0]
        k = 3 if actual <= t3 else 2 if actual <= t2 else 1 if actual <= t1 else 0
    if policy.interpolation == "step":
        return quantize(Decimal(k + 1), policy.places)
    low, high = thresholds[k], thresholds[k + 1]
    return (k + 1) + divide(actual - low, high - low, policy.places)


def _milestone_counts(sizes, raw, path: str) -> list[int]:
    """Steps done per level, every tick checked in turn: the first one at fault is named."""
    done_counts = []
    for i, (size, ticks) in enumerate(zip(sizes, raw, strict=True)):
        ticks = _list(ticks, f"{path}[{i}]")
        if len(ticks) != size:
            raise ScoringError(
                "milestone_shape", f"{path}[{i}]", level=i + 1, expected=size, count=len(ticks)
            )
        done_counts.append(sum(_bool(t, f"{path}[{i}][{j}]") for j, t in enumerate(ticks)))
    return done_counts


def _value(result, key: str):
    """``result[key]``, which must be there and not None (``_get`` names what is wrong)."""
    value = result.get(key)
    return _get(result, key)[0] if value is None else value


def _score(method, parsed, result, policy: ScoringPolicy) -> Decimal:
    if type(result) is not dict and not isinstance(result, Mapping):  # the exact-type test is the fast path
        raise ScoringError("not_a_mapping", "result")
    places = policy.places
    if method == "quantitative":
        actual = result.get("actual")
        if actual is None:
            _get(result, "actual")  # raises, naming the field
        return _quantitative(parsed, to_decimal(actual, "actual"), policy)
    if method == "multi_quantitative":
        raw = _list(_value(result, "actuals"), "actuals")
        if len(raw) != len(parsed):
            raise ScoringError("actuals_count", "actuals", expected=len(parsed), count=len(raw))
        # Step 1: each measure's score, rounded; step 2: Σ(wi × si) / Σwi, rounded (§7 method 2).
        total = weighted = ZERO
        for i, ((weight, thresholds), actual) in enumerate(zip(parsed, raw, strict=True)):
            try:
                actual = to_decimal(actual)
            except ScoringError:
                to_decimal(actual, f"actuals[{i}]")  # again, to name the field (built only for an error)
            weighted += weight * _quantitative(thresholds, actual, policy)
            total += weight
        return divide(weighted, total, places)
    if method == "milestone":
        raw = _list(_value(result, "done"), "done")
        if len(raw) != LEVELS:
            raise ScoringError("milestone_levels_count", "done", count=len(raw))
        if (
            set(map(type, raw)) == _LIST
            and tuple(map(len, raw)) == parsed
            and set(map(type, chain.from_iterable(raw))) == _BOOL
        ):  # the usual shape, checked at once
            done_counts = [ticks.count(True) for ticks in raw]
        else:
            done_counts = _milestone_counts(parsed, raw, "done")
        # Levels are cumulative: steps ticked above the first unfinished level do not count.
        reached = 0
        while reached < LEVELS and done_counts[reached] == parsed[reached]:
            reached += 1
        value = Decimal(reached)
        if policy.milestone_partial and reached < LEVELS:
            value += divide(Decimal(done_counts[reached]), Decimal(parsed[reached]), places)
        return quantize(max(value, policy.floor), places)  # floor <= 1, so it only lifts 'nothing done'
    if method == "pass_fail":
        passed = _bool(_value(result, "passed"), "passed")
        return quantize(policy.pass_score if passed else policy.fail_score, places)
    return quantize(Decimal(_level(_value(result, "level"), "level")), places)  # qualitative


@exact
def score(method: str, criteria: Mapping, result: Mapping, policy: ScoringPolicy = DEFAULT_POLICY) -> Decimal:
    """The KPI's score on the 1-5 scale (§7), rounded half-up to ``policy.places``."""
    return _score(method, parsed_criteria(method, criteria), result, policy)


@exact
def score_many(items: Iterable[tuple[str, Mapping, Mapping]], policy: ScoringPolicy = DEFAULT_POLICY) -> list:
    """``score(method, criteria, result, policy)`` of each ``(method, criteria, result)``, in order: one
    decimal context for them all, each criteria document checked once. The first invalid item raises."""
    return [
        _score(method, parsed_criteria(method, criteria), result, policy)
        for method, criteria, result in items
    ]


@exact
def validate_result(method: str, criteria: Mapping, result: Mapping) -> None:
    """Raise ScoringError if ``result`` is not a valid result for these criteria. Extra keys are ignored."""
    _score(method, parsed_criteria(method, criteria), result, DEFAULT_POLICY)


def required_result(method: str, criteria: Mapping, level, policy: ScoringPolicy = DEFAULT_POLICY):
    """What a unit must achieve to score ``level`` (1-5), for the calculator UI.

    quantitative: the threshold t_level (Decimal); multi_quantitative: the t_level of each measure, in order;
    milestone: the texts of all steps of levels 1..level (levels are cumulative); pass_fail: the condition
    text, or None when the fail score already reaches the level; qualitative: the level's description.
    """
    parsed = parsed_criteria(method, criteria)
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
