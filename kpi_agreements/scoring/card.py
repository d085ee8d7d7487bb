"""The round card (e-SAR card) of DOMAIN §8: every KPI, dimension and total of one round report.

Each figure is rounded half-up to ``policy.places`` once, at the end of its own step, and sums of rounded
figures are not rounded again, so the printed card adds up. See docs/scoring.md, "The round card".
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .errors import ScoringError
from .methods import _score
from .methods import parsed_criteria as _parse_criteria  # cached by the document
from .numbers import divide, exact, quantize, to_decimal
from .policy import ScoringPolicy

DEFAULT_POLICY = ScoringPolicy()


@dataclass(frozen=True, slots=True)
class KPIScore:
    """One row of the card. ``score`` is None only for a parent whose leaves all weigh 0."""

    code: Hashable
    parent: Hashable | None
    dimension: Hashable
    leaf: bool
    weight: Decimal  # a leaf's as given; a parent's the sum of its children's
    score: Decimal | None
    weighted: Decimal
    missing: bool  # a leaf without a result; a parent with any such leaf


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """A dimension's row: its leaves' weight, combined score and weighted score."""

    key: Hashable
    weight: Decimal
    score: Decimal | None  # None only if all its leaves weigh 0
    weighted: Decimal


@dataclass(frozen=True)
class RoundCard:
    kpis: dict[Hashable, KPIScore]  # input order
    dimensions: dict[Hashable, DimensionScore]  # order of first appearance among the leaves
    weight: Decimal  # W, the sum of the leaf weights (100 when every KPI reports)
    subtotal: Decimal
    penalty: Decimal
    total: Decimal
    missing: tuple  # codes of the leaves without a result, in input order


def _relocated(exc: ScoringError, where: str, part: str) -> ScoringError:
    """The engine's error with its field placed under the KPI: ``actual`` → ``kpis[1.1].result.actual``."""
    if exc.field is None or exc.field == part:
        field = f"{where}.{part}"
    elif exc.field == "method":
        field = f"{where}.method"
    else:
        field = f"{where}.{part}.{exc.field}"
    return ScoringError(exc.code, field, **exc.params)


def _depths(rows: dict) -> dict:
    """Depth of every KPI in the tree (0 for a top-level KPI); raises on a parent loop."""
    depth = {}
    for code in rows:
        path, seen = [], set()
        node = code
        while node is not None and node not in depth:
            if node in seen:
                raise ScoringError("parent_cycle", f"kpis[{node}].parent", key=node)
            path.append(node)
            seen.add(node)
            node = rows[node].get("parent")
        level = -1 if node is None else depth[node]
        for node in reversed(path):
            level += 1
            depth[node] = level
    return depth


def _combined(members, places: int) -> Decimal | None:
    """combine() over the members' (weight, score), minus its checks: every figure here is checked already.

    Weight-0 members add nothing to either sum; with no weight at all there is no average, so None.
    """
    total = sum(m.weight for m in members)
    if not total:
        return None
    return divide(sum(m.weight * m.score for m in members if m.weight), total, places)


@exact
def round_card(kpis: Sequence[Mapping], penalty=0, policy: ScoringPolicy = DEFAULT_POLICY) -> RoundCard:
    """Score one round report's KPIs into the e-SAR card (DOMAIN §7, §8).

    ``kpis``: one mapping per KPI with ``code``, ``parent`` (a code or None), ``dimension`` (any hashable)
    and, for a leaf (a KPI no other names as parent), ``weight``, ``method``, ``criteria`` and ``result``
    (None: not reported, scored at ``policy.floor`` and marked missing). A parent's method and weight are
    ignored: its weight is always the sum of its children's. ``penalty``: the late penalty, ≥ 0.
    """
    if isinstance(kpis, str | bytes) or not isinstance(kpis, Sequence):
        raise ScoringError("not_a_list", "kpis")
    if not kpis:
        raise ScoringError("empty", "kpis")
    penalty = to_decimal(penalty, "penalty")
    if penalty < 0:
        raise ScoringError("negative_penalty", "penalty", value=penalty)
    places = policy.places

    rows = {}
    for i, kpi in enumerate(kpis):
        if not isinstance(kpi, Mapping):
            raise ScoringError("not_a_mapping", f"kpis[{i}]")
        code = kpi.get("code")
        if code is None or (isinstance(code, str) and not code.strip()):
            raise ScoringError("required", f"kpis[{i}].code", name="code")
        if code in rows:
            raise ScoringError("duplicate_kpi", f"kpis[{i}].code", key=code)
        rows[code] = kpi
    children = {code: [] for code in rows}
    for code, kpi in rows.items():
        parent = kpi.get("parent")
        if parent is not None:
            if parent not in children:
                raise ScoringError("unknown_parent", f"kpis[{code}].parent", key=code, parent=parent)
            children[parent].append(code)
    depth = _depths(rows)

    # Leaves: score each once (its criteria parsed once), then weigh them against W.
    floor = quantize(policy.floor, places)
    leaves = {}  # code -> (weight, score, missing)
    for code, kpi in rows.items():
        if children[code]:
            continue
        where = f"kpis[{code}]"
        weight = to_decimal(kpi.get("weight"), f"{where}.weight")
        if weight < 0:
            raise ScoringError("negative_weight", f"{where}.weight", value=weight)
        method = kpi.get("method")
        if method is None or method == "":
            raise ScoringError("method_required", f"{where}.method", key=code)
        try:
            parsed = _parse_criteria(method, kpi.get("criteria"))
        except ScoringError as exc:
            raise _relocated(exc, where, "criteria") from exc
        result = kpi.get("result")
        if result is None:
            leaves[code] = (weight, floor, True)
            continue
        try:
            value = _score(method, parsed, result, policy)  # = score(method, criteria, result, policy)
        except ScoringError as exc:
            raise _relocated(exc, where, "result") from exc
        leaves[code] = (weight, value, False)
    total_weight = sum(weight for weight, _, _ in leaves.values())
    if total_weight == 0:
        raise ScoringError("zero_total_weight", "kpis")

    scored = {}
    dimensions = {}  # key -> codes of its leaves
    for code, (weight, value, missing) in leaves.items():
        kpi = rows[code]
        weighted = divide(value * weight, total_weight, places)  # = weighted_score(), its checks done above
        scored[code] = KPIScore(
            code, kpi.get("parent"), kpi.get("dimension"), True, weight, value, weighted, missing
        )
        dimensions.setdefault(kpi.get("dimension"), []).append(code)

    # Parents, deepest first: their children (leaves or parents) are then already scored.
    for code in sorted((c for c in rows if children[c]), key=depth.__getitem__, reverse=True):
        kids = [scored[child] for child in children[code]]
        kpi = rows[code]
        scored[code] = KPIScore(
            code,
            kpi.get("parent"),
            kpi.get("dimension"),
            False,
            sum(kid.weight for kid in kids),
            _combined(kids, places),
            sum(kid.weighted for kid in kids),  # = the sum of its leaves' weighted scores
            any(kid.missing for kid in kids),
        )

    dimension_scores = {}
    for key, codes in dimensions.items():
        members = [scored[code] for code in codes]
        dimension_scores[key] = DimensionScore(
            key,
            sum(m.weight for m in members),
            _combined(members, places),
            sum(m.weighted for m in members),
        )

    subtotal = sum(scored[code].weighted for code in leaves)
    penalty = quantize(penalty, places)
    return RoundCard(
        kpis={code: scored[code] for code in rows},
        dimensions=dimension_scores,
        weight=total_weight,
        subtotal=subtotal,
        penalty=penalty,
        total=quantize(max(subtotal - penalty, policy.floor), places),
        missing=tuple(code for code, (_, _, missing) in leaves.items() if missing),
    )
