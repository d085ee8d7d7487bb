"""Objects as the API answers them (schemas.py): decimals as strings with 4 places, Thai and English names.

Nothing here decides who sees what: the endpoints hand in only objects their access helpers (or, for the
public endpoints, kpi_agreements.public.selectors) returned.
"""

from decimal import Decimal

from django.utils import translation

from kpi_agreements import scoring
from kpi_agreements.public.selectors import four


def number(value) -> str | None:
    """A stored number ("80", Decimal("3.45")) with 4 places; anything the engine would not read (a text
    typed by hand, an old out-of-bounds value) as it was stored."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    try:
        return four(scoring.to_decimal(value if isinstance(value, Decimal) else str(value)))
    except (scoring.ScoringError, ArithmeticError):
        return str(value)


def in_both(label) -> tuple[str, str]:
    """A translatable label in Thai and in English."""
    with translation.override("th"):
        th = str(label)
    with translation.override("en"):
        en = str(label)
    return th, en


def criteria(document) -> dict:
    """The criteria document with its thresholds and measure weights given 4 places; texts untouched."""
    if not isinstance(document, dict):
        return {}
    out = dict(document)
    if isinstance(out.get("thresholds"), list):
        out["thresholds"] = [number(t) for t in out["thresholds"]]
    if isinstance(out.get("measures"), list):
        out["measures"] = [
            {
                **m,
                "weight": number(m.get("weight")),
                "thresholds": [number(t) for t in m.get("thresholds") or []],
            }
            if isinstance(m, dict)
            else m
            for m in out["measures"]
        ]
    return out


def result(document):
    """A result in the method's shape, its actual values given 4 places."""
    if not isinstance(document, dict):
        return document
    out = dict(document)
    if "actual" in out:
        out["actual"] = number(out["actual"])
    if isinstance(out.get("actuals"), list):
        out["actuals"] = [number(a) for a in out["actuals"]]
    return out


def policy(scoring_policy) -> dict:
    """The year's scoring policy (ScoringPolicy.to_dict) with its decimals given 4 places; ``places`` stays
    a whole number and ``interpolation`` a word."""
    out = {}
    for key, value in scoring_policy.to_dict().items():
        if isinstance(value, dict):
            value = {k: number(v) for k, v in value.items()}
        elif isinstance(value, str) and key != "interpolation":
            value = number(value)
        out[key] = value
    return out


def baseline(rows) -> list:
    """Past years' results ([{"year": 2567, "value": "85.5"}]): numbers given 4 places, text as entered."""
    if not isinstance(rows, list):
        return []
    return [{**row, "value": number(row.get("value"))} if isinstance(row, dict) else row for row in rows]


def unit_ref(unit) -> dict:
    return {
        "id": unit.pk,
        "name_th": unit.name_th,
        "name_en": unit.name_en,
        "abbreviation": unit.abbreviation,
    }


def unit_type(kind) -> dict:
    return {"code": kind.code, "name_th": kind.name_th, "name_en": kind.name_en}


def unit(unit) -> dict:
    return {
        **unit_ref(unit),
        "unit_type": unit_type(unit.unit_type),
        "parent_id": unit.parent_id,
        "level": unit.depth,
        "is_active": unit.is_active,
    }


def year(fiscal_year) -> dict:
    th, en = in_both(fiscal_year)
    return {
        "be_year": fiscal_year.be_year,
        "name_th": th,
        "name_en": en,
        "start": fiscal_year.start,
        "end": fiscal_year.end,
        "is_current": fiscal_year.is_current,
    }


def dimension(d) -> dict:
    return {
        "id": d.pk,
        "order": d.order,
        "name_th": d.name_th,
        "name_en": d.name_en,
        "weight": four(d.weight),
    }


def mandatory(m) -> dict:
    return {
        "id": m.pk,
        "code": m.code,
        "parent_code": m.parent.code if m.parent_id else None,
        "dimension_id": m.dimension_id,
        "name": m.name,
        "unit_of_measure": m.unit_of_measure,
        "weight": four(m.weight),
        "method": m.method,
        "direction": m.direction,
        "criteria": criteria(m.criteria),
        "unit_types": sorted(t.code for t in m.unit_types.all()),
    }


def kpi(k, *, people: bool) -> dict:
    """A KPI of the agreement, numbered by agreements.selectors.outline (``k.number``)."""
    out = {
        "id": k.pk,
        "number": k.number,
        "parent_id": k.parent_id,
        "dimension_id": k.dimension_id,
        "name": k.name,
        "unit_of_measure": k.unit_of_measure,
        "weight": four(k.weight),
        "method": k.method,
        "direction": k.direction,
        "criteria": criteria(k.criteria),
        "baseline": baseline(k.baseline),
        "description": k.description,
        "formula": k.formula,
        "conditions": k.conditions,
        "data_source": k.data_source,
        "collection_method": k.collection_method,
        "mandatory_code": k.mandatory.code if k.mandatory_id else None,
        "cancelled_from_round": k.cancelled_from_round,
    }
    if people:
        # Who supervises and collects, by name: the API carries no one's phone number or e-mail.
        for role in ("supervisor", "collector"):
            person = getattr(k, role)
            out[role] = {"id": person.pk, "name": person.display_name} if person else None
    return out


def agreement(a) -> dict:
    return {
        "id": a.pk,
        "be_year": a.fiscal_year.be_year,
        "unit": unit_ref(a.unit),
        "status": a.status,
        "version": a.version,
    }


def report(r) -> dict:
    return {
        "id": r.pk,
        "be_year": r.round.fiscal_year.be_year,
        "round": r.round.months,
        "unit": unit_ref(r.agreement.unit),
        "agreement_id": r.agreement_id,
        "version": r.version,
        "status": r.status,
        "submitted_at": r.submitted_at,
        "verified_at": r.verified_at,
        "days_late": r.days_late,
        "penalty": four(r.penalty),
        "self_total": four(r.self_total),
        "verified_total": four(r.verified_total),
        "flags": list(r.flags or []),
    }


def item(i) -> dict:
    return {
        "id": i.pk,
        "kpi_id": i.kpi_id,
        "code": i.code,
        "parent_code": i.parent_code or None,
        "is_leaf": i.is_leaf,
        "dimension_id": i.dimension_id,
        "name": i.name,
        "unit_of_measure": i.unit_of_measure,
        "weight": four(i.weight),
        "method": i.method,
        "criteria": criteria(i.criteria),
        "later_round": i.later_round,
        "later_reason": i.later_reason,
        "result": result(i.result),
        "narrative": i.narrative,
        "obstacles": i.obstacles,
        "obstacles_external": i.obstacles_external,
        "suggestions": i.suggestions,
        "self_score": four(i.self_score),
        "verified_result": result(i.verified_result),
        "verified_score": four(i.verified_score),
        "verifier_note": i.verifier_note,
        "flags": list(i.flags or []),
    }


def card(stored: dict, dimensions: dict) -> dict | None:
    """A stored round card (reporting.services.cards.as_json) as it is: its KPI rows in card order, its
    dimension rows with their names; None for a card not stored yet."""
    if not stored:
        return None
    rows = []
    for key, figures in (stored.get("dimensions") or {}).items():
        d = dimensions.get(int(key)) if str(key).isdigit() else None
        rows.append(
            {
                "dimension_id": int(key) if str(key).isdigit() else 0,
                "name_th": d.name_th if d else "",
                "name_en": d.name_en if d else "",
                "weight": four(figures.get("weight")),
                "score": four(figures.get("score")),
                "weighted": four(figures.get("weighted")),
            }
        )
    return {
        "kpis": [
            {
                "code": code,
                "weight": four(f.get("weight")),
                "score": four(f.get("score")),
                "weighted": four(f.get("weighted")),
                "missing": bool(f.get("missing")),
            }
            for code, f in (stored.get("kpis") or {}).items()
        ],
        "dimensions": rows,
        "subtotal": four(stored.get("subtotal")),
        "penalty": four(stored.get("penalty")),
        "total": four(stored.get("total")),
    }
