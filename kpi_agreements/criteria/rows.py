"""A criteria document as the five level cells every reader shows (editor, PDF, Excel, and later the SAR and
scorecards). Stored numbers are strings, so nothing here passes through a float."""

from decimal import Decimal, InvalidOperation

from kpi_agreements import scoring

LEVELS = (1, 2, 3, 4, 5)


def format_decimal(value: Decimal) -> str:
    """12.5000 → "12.5", 20.0000 → "20": a weight or a criterion as a person writes it."""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _number(value) -> str:
    text = _text(value)
    try:
        # The engine's bounds: a stored value it would refuse (an old "1e999999999") is shown as typed.
        return format_decimal(scoring.to_decimal(text)) if text else ""
    except (scoring.ScoringError, InvalidOperation):
        return text


def _five(values) -> list:
    values = list(values or [])[:5]
    return values + [""] * (5 - len(values))


def criteria_rows(method: str, criteria, *, policy=None, failed: str = "") -> list[list[str]]:
    """The five level cells of a criteria document, level 1 first; each cell a list of lines.

    Pass/fail puts its condition at the level the year's ``policy`` gives a pass, and ``failed`` at a fail's.
    """
    c = criteria if isinstance(criteria, dict) else {}
    if method == "quantitative":
        return [[_number(t)] if _text(t) else [] for t in _five(c.get("thresholds"))]
    if method == "milestone":
        return [[_text(s) for s in (steps or []) if _text(s)] for steps in _five(c.get("levels"))]
    if method == "qualitative":
        return [[_text(t)] if _text(t) else [] for t in _five(c.get("levels"))]
    cells: list[list[str]] = [[] for _ in LEVELS]
    if method == "pass_fail":
        policy = policy or scoring.ScoringPolicy()
        pass_level, fail_level = _level_of(policy.pass_score), _level_of(policy.fail_score)
        if fail_level and failed:
            cells[fail_level - 1] = [failed]
        if pass_level and _text(c.get("condition")):
            cells[pass_level - 1] = [_text(c.get("condition"))]
    return cells


def measure_rows(method: str, criteria) -> list[dict]:
    """The measures of a multi-quantitative KPI: name, relative weight and five thresholds each."""
    c = criteria if isinstance(criteria, dict) else {}
    if method != "multi_quantitative":
        return []
    return [
        {
            "name": _text(m.get("name")),
            "weight": _number(m.get("weight")),
            "thresholds": [_number(t) for t in _five(m.get("thresholds"))],
        }
        for m in c.get("measures") or []
        if isinstance(m, dict)
    ]


def _level_of(score) -> int | None:
    try:
        value = Decimal(str(score))
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral() and 1 <= value <= 5 else None
