"""Roll-up of KPI scores into agreement scores, and weight redistribution (DOMAIN §4, §7)."""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal

from .errors import ScoringError
from .numbers import ZERO, divide, exact, quantize, to_decimal
from .policy import ScoringPolicy

DEFAULT_POLICY = ScoringPolicy()
MAX_WEIGHT = Decimal(100)
WEIGHT_PLACES = 4


def _score_value(value, field: str) -> Decimal:
    number = to_decimal(value, field)
    if not 0 <= number <= 5:
        raise ScoringError("score_range", field, value=value)
    return number


def _weight_value(value, field: str) -> Decimal:
    number = to_decimal(value, field)
    if number < 0:
        raise ScoringError("negative_weight", field, value=value)
    return number


@exact
def validate_weight(value, field: str = "weight") -> Decimal:
    """The one rule for a weight typed by a person (§4): above 0, at most 100, at most 4 decimal places.

    Returns it with 4 places, as stored. Roll-up and redistribution accept 0 (a cancelled KPI's share);
    this is for the weights of KPIs, sub-KPIs, dimensions, mandatory KPIs, proposals and change requests.
    """
    number = to_decimal(value, field)
    if not ZERO < number <= MAX_WEIGHT:
        raise ScoringError("weight_range", field, value=value)
    rounded = quantize(number, WEIGHT_PLACES)
    if rounded != number:
        raise ScoringError("weight_places", field, value=value)
    return rounded


def _pairs(pairs) -> list[tuple[Decimal, Decimal]]:
    """(weight, score) pairs, validated; their total weight must be above zero."""
    checked = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ScoringError("not_a_list", f"pairs[{i}]")
        weight, value = pair
        checked.append(
            (_weight_value(weight, f"pairs[{i}].weight"), _score_value(value, f"pairs[{i}].score"))
        )
    if not checked:
        raise ScoringError("empty", "pairs")
    if sum(weight for weight, _ in checked) == 0:
        raise ScoringError("zero_total_weight", "pairs")
    return checked


@exact
def weighted_score(score, weight, total_weight=100, places: int = DEFAULT_POLICY.places) -> Decimal:
    """score × weight / total_weight, rounded half-up (§7: 4.0000 × 5 / 100 = 0.2000)."""
    score = _score_value(score, "score")
    weight = _weight_value(weight, "weight")
    total = _weight_value(total_weight, "total_weight")
    if total == 0:
        raise ScoringError("zero_total_weight", "total_weight")
    return divide(score * weight, total, places)


@exact
def combine(pairs: Iterable, places: int = DEFAULT_POLICY.places) -> Decimal:
    """Σ(weight × score) / Σweight over (weight, score) pairs, rounded once at the end.

    Used for a parent KPI from its children, a dimension from its KPIs (§7 roll-up).
    """
    checked = _pairs(pairs)
    total = sum(weight for weight, _ in checked)
    return divide(sum(weight * value for weight, value in checked), total, places)


@exact
def agreement_score(pairs: Iterable, penalty=0, policy: ScoringPolicy = DEFAULT_POLICY) -> Decimal:
    """Σ weighted scores − penalty, never below ``policy.floor`` (§7, §8).

    Each KPI's weighted score (score × weight / Σweights) is rounded first, as printed on the e-SAR card,
    and the agreement score is the sum of those rounded figures.
    """
    checked = _pairs(pairs)
    penalty = to_decimal(penalty, "penalty")
    if penalty < 0:
        raise ScoringError("negative_penalty", "penalty", value=penalty)
    total = sum(weight for weight, _ in checked)
    summed = sum(divide(value * weight, total, policy.places) for weight, value in checked)
    return quantize(max(summed - penalty, policy.floor), policy.places)


def incentive_eligible(agreement_score, policy: ScoringPolicy = DEFAULT_POLICY) -> bool:
    """§7: a unit scoring at least ``policy.incentive_threshold`` (3.0000) may receive incentive money."""
    return _score_value(agreement_score, "agreement_score") >= policy.incentive_threshold


@exact
def redistribute_weights(
    weights: Mapping[Hashable, object],
    dropped: Iterable[Hashable],
    rules: Mapping[Hashable, Iterable[tuple[Hashable, object]]] | None = None,
    places: int = DEFAULT_POLICY.places,
) -> dict[Hashable, Decimal]:
    """Weights after removing the ``dropped`` KPIs (§4); the total is preserved exactly.

    1. Named rules first: ``rules[dropped_key]`` is a list of (target_key, amount); amount None means "all of
       the dropped KPI's weight not yet moved". A target that is dropped too, or not among ``weights``, is
       skipped and its amount joins step 2.
    2. Weight not moved by a rule is spread over the remaining KPIs in proportion to their weights after
       step 1; each share is rounded half-up to ``places`` and the rounding remainder goes to the largest
       remaining weight (the first one, on a tie), so the total stays exact.
    Returns the remaining KPIs, in the order of ``weights``.
    """
    result = {key: _weight_value(value, f"weights[{key!r}]") for key, value in weights.items()}
    dropped = list(dict.fromkeys(dropped))
    for key in dropped:
        if key not in result:
            raise ScoringError("unknown_kpi", "dropped", key=key)
    dropped_set = set(dropped)
    remaining = {key: value for key, value in result.items() if key not in dropped_set}
    rules = rules or {}

    pool = ZERO  # weight no rule could place
    for key in dropped:
        left = result[key]
        for i, (target, amount) in enumerate(rules.get(key, ())):
            moved = left if amount is None else _weight_value(amount, f"rules[{key!r}][{i}]")
            if moved > left:
                raise ScoringError(
                    "rule_exceeds_weight", f"rules[{key!r}]", key=key, moved=moved, weight=result[key]
                )
            left -= moved
            if target in remaining:
                remaining[target] += moved
            else:
                pool += moved
        pool += left

    if pool:
        base = sum(remaining.values())
        if base == 0:
            raise ScoringError("no_kpi_left", "dropped", weight=pool)
        shares = {key: divide(pool * value, base, places) for key, value in remaining.items()}
        largest = max(remaining, key=remaining.__getitem__)  # max() keeps the first of equal weights
        shares[largest] += pool - sum(shares.values())
        remaining = {key: value + shares[key] for key, value in remaining.items()}
    return remaining
