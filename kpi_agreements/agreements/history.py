"""Readable change history from simple-history records (who, when, which field from what to what)."""

SKIP = {"order"}


def _show(value):
    if value in (None, "", [], {}):
        return "—"
    return str(value)


def record_changes(records, model) -> list[dict]:
    """Each history record compared with the one before it; ``records`` newest first, already fetched."""
    records = list(records)
    out = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if older is None:
            out.append({"record": newer, "created": True, "changes": []})
            continue
        delta = newer.diff_against(older)
        changes = [
            (str(model._meta.get_field(c.field).verbose_name), _show(c.old), _show(c.new))
            for c in delta.changes
            if c.field not in SKIP
        ]
        if changes:
            out.append({"record": newer, "created": False, "changes": changes})
    return out


def kpi_changes(kpi, limit: int = 30) -> list[dict]:
    return record_changes(
        kpi.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit], type(kpi)
    )
