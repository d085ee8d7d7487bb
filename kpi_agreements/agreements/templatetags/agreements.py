from django import template

register = template.Library()


@register.filter
def criteria_summary(criteria) -> str:
    """One line for a criteria document, as the manuals print them: levels 1..5 separated by slashes."""
    if not isinstance(criteria, dict):
        return ""
    if "thresholds" in criteria:
        return " / ".join(str(t) for t in criteria["thresholds"])
    if "measures" in criteria:
        return "; ".join(
            f"{m.get('name')} ({m.get('weight')}): " + " / ".join(map(str, m.get("thresholds", [])))
            for m in criteria["measures"]
        )
    if "condition" in criteria:
        return str(criteria["condition"])
    if "levels" in criteria:
        return " / ".join("; ".join(x) if isinstance(x, list) else str(x) for x in criteria["levels"])
    return ""
