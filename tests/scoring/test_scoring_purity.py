"""The scoring package stays pure Python: it imports only the standard library (no Django)."""

import ast
import sys
from pathlib import Path

import kpi_agreements.scoring as scoring

PACKAGE = Path(scoring.__file__).parent


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_every_scoring_module_imports_only_the_standard_library():
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) >= 5
    for path in modules:
        outside = set(imported_modules(path)) - set(sys.stdlib_module_names)
        assert not outside, f"{path.name} imports {outside}"


def test_the_public_names_are_all_exported():
    expected = {
        "ScoringPolicy", "score", "weighted_score", "combine", "agreement_score", "effective_deadline",
        "working_days_late", "late_penalty", "ScoringError", "redistribute_weights", "site_visit_flags",
        "incentive_eligible", "required_result", "METHODS", "MESSAGES", "validate_criteria",
        "validate_result",
    }  # fmt: skip
    assert expected <= set(scoring.__all__)
    assert all(hasattr(scoring, name) for name in scoring.__all__)
