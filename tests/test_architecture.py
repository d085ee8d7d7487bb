"""Where each rule lives (issue 9): checked on the source, so a new path around a rule fails here."""

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "kpi_agreements"


def test_only_the_kpi_services_write_kpis():
    """Creating, changing and deleting KPIs goes through agreements/services/kpis.py (issue 9.2), so the
    editability, weight and history rules cannot be skipped. Building an unsaved ``KPI(...)`` to hand to those
    services is allowed; the demo seed and the migrations are the only other writers."""
    allowed = {"agreements/services/kpis.py", "organisation/management/commands/seed_demo.py"}
    writes = {"create", "bulk_create", "bulk_update", "update", "get_or_create", "update_or_create", "delete"}
    manager = re.compile(r"\bKPI\.objects\b|\.kpis\b")  # KPI's manager, or an agreement's related manager
    instance = re.compile(r"kpi$", re.IGNORECASE)  # kpi, item.kpi, proposal.kpi …
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if name in allowed or "/migrations/" in name:
            continue
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute):
                receiver = ast.unparse(func.value)
                bad = (func.attr in writes and manager.search(receiver)) or (
                    func.attr in ("save", "delete") and instance.search(receiver)
                )
            else:
                bad = getattr(func, "id", "").endswith("_with_history") and any(
                    getattr(arg, "id", None) == "KPI" for arg in node.args
                )
            if bad:
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert found == []
