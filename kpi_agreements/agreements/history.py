"""Readable change history from simple-history records (who, when, which field from what to what).

Values are shown as a person reads them, never as stored: criteria as the five-level table, baselines as
years and values, people and other linked rows by name (one query per kind of row for the whole page),
choices by their labels, weights as written.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _

from kpi_agreements.core.thai import local_name
from kpi_agreements.criteria.rows import criteria_rows, format_decimal, measure_rows

SKIP = {"order"}
EMPTY = "—"


@dataclass
class CriteriaShown:
    """A criteria document as the editor shows it: five level cells (each a list of lines), or measures."""

    cells: list = field(default_factory=list)
    measures: list = field(default_factory=list)

    def __str__(self):
        if self.measures:
            return "; ".join(
                f"{m['name']} ({m['weight']}): " + " / ".join(m["thresholds"]) for m in self.measures
            )
        return " / ".join("; ".join(cell) or EMPTY for cell in self.cells)


def _empty(value) -> bool:
    return value in (None, "", [], {})


def _baseline(rows) -> str:
    """[{"year": 2568, "value": ""}, …] → "2568: — · 2569: 85.5"."""
    shown = [
        f"{row.get('year', '')}: {row.get('value') or EMPTY}" for row in rows or [] if isinstance(row, dict)
    ]
    return " · ".join(shown) or EMPTY


def _criteria(method: str, criteria) -> CriteriaShown | str:
    if _empty(criteria):
        return EMPTY
    if method == "multi_quantitative":
        return CriteriaShown(measures=measure_rows(method, criteria))
    return CriteriaShown(cells=criteria_rows(method, criteria, failed=_("Not achieved")))


def _show(model_field, value, record, names) -> object:
    if _empty(value):
        return EMPTY
    name = model_field.name
    if name == "criteria":
        return _criteria(getattr(record, "method", ""), value)
    if name == "baseline":
        return _baseline(value)
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def _names(wanted: dict) -> dict:
    """{(model, pk): name} for every linked row the page shows: one query per kind of row."""
    names = {}
    for model, pks in wanted.items():
        for pk, obj in model._default_manager.in_bulk(pks).items():
            names[(model, pk)] = local_name(obj) if hasattr(obj, "name_th") else str(obj)
    return names


def record_changes(records, model) -> list[dict]:
    """Each history record compared with the one before it; ``records`` newest first, already fetched.

    Each entry: ``record``, ``created`` and ``changes``, a list of (label, before, after); a value is text,
    or a ``CriteriaShown`` for criteria.
    """
    records = list(records)
    raw = []
    wanted: dict = {}
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if older is None:
            raw.append((newer, None, []))
            continue
        fields = []
        for change in newer.diff_against(older).changes:
            if change.field in SKIP:
                continue
            model_field = model._meta.get_field(change.field)
            if model_field.is_relation:
                wanted.setdefault(model_field.related_model, set()).update(
                    v for v in (change.old, change.new) if v is not None
                )
            fields.append((model_field, change.old, change.new))
        if fields:
            raw.append((newer, older, fields))
    names = _names(wanted)
    out = []
    for newer, older, fields in raw:
        out.append(
            {
                "record": newer,
                "created": older is None,
                "changes": [
                    (
                        str(f.verbose_name),
                        _show(f, old, older, names),
                        _show(f, new, newer, names),
                    )
                    for f, old, new in fields
                ],
            }
        )
    return out


def kpi_changes(kpi, limit: int = 30) -> list[dict]:
    return record_changes(
        kpi.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit], type(kpi)
    )
