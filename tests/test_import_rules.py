"""The house rules of issue 9, read from the source: each floor imports only the floors below it, and each
rule has one room."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kpi_agreements"
DOMAIN_APPS = ("agreements", "organisation", "fiscal", "documents", "workflow", "criteria")


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, absolute, with relative imports resolved against its package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def sources(*parts: str) -> list[Path]:
    return [p for p in PACKAGE.joinpath(*parts).rglob("*.py") if "migrations" not in p.parts]


def test_core_imports_no_domain_app():
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(
            m
            for m in imports_of(p)
            if m.split(".")[1:2] and m.split(".")[0] == "kpi_agreements" and m.split(".")[1] in DOMAIN_APPS
        )
        for p in sources("core")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_criteria_room_imports_no_domain_app_but_the_fiscal_year():
    """The calculator scores with a year's policy; nothing else of the domain is the criteria room's."""
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(
            m
            for m in imports_of(p)
            if m.startswith("kpi_agreements.") and m.split(".")[1] in DOMAIN_APPS[:-1] and "fiscal" not in m
        )
        for p in sources("criteria")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


SERVICE_MODULES = [
    *sources("agreements", "services"),
    *(PACKAGE / app / "services.py" for app in ("organisation", "fiscal", "documents", "workflow")),
]


@pytest.mark.parametrize("path", SERVICE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_service_imports_a_form_or_a_view(path):
    if not path.exists():
        pytest.fail(f"{path} is listed as a service module but does not exist")
    ui = sorted(m for m in imports_of(path) if any(part in ("forms", "views") for part in m.split(".")))
    assert ui == []


def test_the_method_and_direction_labels_live_in_one_table():
    """A method's or a direction's words are written once, in criteria/labels.py (Thai: the catalogue)."""
    words = ["Several quantitative measures", "เชิงปริมาณมากกว่า", "ยิ่งมากยิ่งดี", "ยิ่งสูงยิ่งดี", "Higher is better"]
    holders = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and any(w in p.read_text() for w in words)
    }
    assert holders == {"criteria/labels.py"}
