from django import template
from django.utils.translation import gettext as _

from kpi_agreements.criteria.rows import criteria_rows, measure_rows

register = template.Library()


def _method_of(criteria: dict) -> str:
    """A stored version keeps the criteria without the method; their shape says which it is."""
    if "thresholds" in criteria:
        return "quantitative"
    if "measures" in criteria:
        return "multi_quantitative"
    if "condition" in criteria:
        return "pass_fail"
    levels = criteria.get("levels") or []
    return "milestone" if any(isinstance(x, list) for x in levels) else "qualitative"


@register.filter
def criteria_summary(criteria) -> str:
    """One line for a criteria document, as the manuals print them: levels 1..5 separated by slashes."""
    if not isinstance(criteria, dict) or not criteria:
        return ""
    method = _method_of(criteria)
    if method == "multi_quantitative":
        return "; ".join(
            f"{m['name']} ({m['weight']}): " + " / ".join(m["thresholds"])
            for m in measure_rows(method, criteria)
        )
    if method == "pass_fail":
        return str(criteria.get("condition", ""))
    return " / ".join("; ".join(cell) for cell in criteria_rows(method, criteria))


@register.filter
def criteria_levels(obj) -> dict:
    """The five level cells (or the measures) of a KPI or a mandatory KPI, for the criteria table."""
    year = obj.agreement.fiscal_year if hasattr(obj, "agreement") else obj.fiscal_year
    return {
        "cells": criteria_rows(obj.method, obj.criteria, policy=year.policy, failed=_("Not achieved")),
        "measures": measure_rows(obj.method, obj.criteria),
    }
