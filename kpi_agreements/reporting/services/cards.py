"""The round card of a report, self-assessed and verified: computed by the pure engine (scoring.round_card)
and stored on the report, so every page, document and scorecard reads the same figures (§8, §11)."""

from decimal import Decimal

from kpi_agreements import scoring

from ..models import ReportItem, RoundReport

SELF, VERIFIED = "self", "verified"


def card_items(items) -> list[ReportItem]:
    """The items that count in this round's card: not "reports from a later round", and parents only with
    at least one counting leaf below them."""
    counted = [i for i in items if i.is_leaf and not i.later_round]
    keep = {i.code for i in counted}
    parents = {i.code: i.parent_code for i in items}
    for item in counted:
        code = item.parent_code
        while code and code not in keep:
            keep.add(code)
            code = parents.get(code, "")
    return [i for i in items if i.code in keep]


def result_of(item: ReportItem, basis: str):
    """The verified result is the verifier's, or the unit's own where the verifier accepted it as entered."""
    if basis == VERIFIED and item.verified_result is not None:
        return item.verified_result
    return item.result


def compute(report: RoundReport, items, basis: str = SELF) -> scoring.RoundCard:
    policy = report.round.fiscal_year.policy
    rows = []
    for item in card_items(items):
        row = {"code": item.code, "parent": item.parent_code or None, "dimension": item.dimension_id}
        if item.is_leaf:
            row.update(
                weight=item.weight, method=item.method, criteria=item.criteria, result=result_of(item, basis)
            )
        else:
            row["weight"] = Decimal(0)
        rows.append(row)
    if not rows:
        return None
    return scoring.round_card(rows, penalty=report.penalty, policy=policy)


def _text(value) -> str | None:
    return None if value is None else str(value)


def as_json(card) -> dict:
    if card is None:
        return {}
    return {
        "kpis": {
            code: {
                "weight": _text(k.weight),
                "score": _text(k.score),
                "weighted": _text(k.weighted),
                "missing": k.missing,
            }
            for code, k in card.kpis.items()
        },
        "dimensions": {
            str(key): {"weight": _text(d.weight), "score": _text(d.score), "weighted": _text(d.weighted)}
            for key, d in card.dimensions.items()
        },
        "subtotal": str(card.subtotal),
        "penalty": str(card.penalty),
        "total": str(card.total),
    }


def _flags(report: RoundReport, items, card, changed: dict) -> list[str]:
    policy = report.round.fiscal_year.policy
    found = set()
    counted = {i.code for i in card_items(items)} if card else set()
    for item in items:
        flags = []
        if item.is_leaf and item.code in counted:
            score = item.self_score if item.result is not None else None
            flags = scoring.site_visit_flags(score, item.narrative, item.obstacles_external, policy)
        if item.flags != flags:
            item.flags = flags
            changed[id(item)] = item
        found.update(flags)
    return [f for f in scoring.FLAGS if f in found]


def score_self(report: RoundReport, items) -> list[ReportItem]:
    """Score the items as entered and put the self-assessed card, total and flags on ``report`` (in memory).
    Returns the items whose stored score or flags change, for the caller to write in one go."""
    card = compute(report, items, SELF)
    changed = {}
    for item in items:
        known = card and item.code in card.kpis and item.result is not None
        score = card.kpis[item.code].score if known else None
        if item.is_leaf and item.self_score != score:
            item.self_score = score
            changed[id(item)] = item
    report.self_card = as_json(card)
    report.self_total = card.total if card else None
    report.flags = _flags(report, items, card, changed)
    return list(changed.values())


SELF_FIELDS = ["self_card", "self_total", "flags"]


def refresh_self_card(report: RoundReport) -> None:
    """Store the self-assessed card, the items' scores and the flags: two or three queries per report."""
    items = list(report.items.all())
    changed = score_self(report, items)
    if changed:
        # Scores and flags are derived from the items' history-kept results: no history rows of their own.
        ReportItem.objects.bulk_update(changed, ["self_score", "flags"])
    RoundReport.objects.filter(pk=report.pk).update(**{f: getattr(report, f) for f in SELF_FIELDS})


def refresh_verified_card(report: RoundReport) -> None:
    items = list(report.items.all())
    card = compute(report, items, VERIFIED)
    changed = []
    for item in items:
        if not item.is_leaf:
            continue
        score = card.kpis[item.code].score if card and item.code in card.kpis else None
        if result_of(item, VERIFIED) is None:
            score = None
        if item.verified_score != score:
            item.verified_score = score
            changed.append(item)
    if changed:
        ReportItem.objects.bulk_update(changed, ["verified_score"])
    report.verified_card = as_json(card)
    report.verified_total = card.total if card else None
    RoundReport.objects.filter(pk=report.pk).update(
        verified_card=report.verified_card, verified_total=report.verified_total
    )
