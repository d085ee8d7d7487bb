"""Each criteria editor against the scoring engine's validation (issue 4)."""

import pytest

from kpi_agreements import scoring
from kpi_agreements.criteria.forms import CriteriaForm

DOCUMENTS = {
    "quantitative": {"thresholds": ["10", "8", "6", "4", "2"], "direction": "lower"},
    "multi_quantitative": {
        "measures": [
            {"name": "ก", "weight": "60", "thresholds": ["1", "2", "3", "4", "5"]},
            {"name": "ข", "weight": "40", "thresholds": ["10", "20", "30", "40", "50"]},
        ]
    },
    "milestone": {"levels": [["ขั้น 1"], ["ขั้น 2ก", "ขั้น 2ข"], ["ขั้น 3"], ["ขั้น 4"], ["ขั้น 5"]]},
    "pass_fail": {"condition": "เปิดระบบได้"},
    "qualitative": {"levels": ["หนึ่ง", "สอง", "สาม", "สี่", "ห้า"]},
}


def bound(method, document, direction="higher"):
    initial = CriteriaForm.initial_from(method, document, direction)
    form = CriteriaForm({k: v for k, v in initial.items() if v is not None})
    assert form.is_valid(), form.errors
    return form


@pytest.mark.parametrize("method", list(DOCUMENTS))
def test_each_editor_round_trips_a_stored_document(method):
    document = DOCUMENTS[method]
    form = bound(method, document, document.get("direction", "higher"))
    assert form.validated_criteria() == (method, document)
    scoring.validate_criteria(method, document)


@pytest.mark.parametrize(
    "method, field, value, error_field",
    [
        ("quantitative", "q_t3", "65", "q_t1"),  # not strictly monotone
        ("quantitative", "q_t2", "abc", "q_t2"),  # not a number, shown at its own level
        ("multi_quantitative", "m1_weight", "-5", "m1_weight"),  # negative weight
        ("milestone", "ms_level3", "", "ms_level3"),  # a level with no steps
        ("pass_fail", "pf_condition", "", "pf_condition"),
        ("qualitative", "ql_level4", "", "ql_level4"),
    ],
)
def test_invalid_input_gets_the_engines_message_at_the_field(db, method, field, value, error_field):
    form = bound(method, DOCUMENTS[method], DOCUMENTS[method].get("direction", "higher"))
    data = dict(form.data, **{field: value})
    form = CriteriaForm(data)
    assert form.is_valid()
    assert form.validated_criteria() is None
    assert form.errors[error_field]


def test_switching_method_keeps_the_other_methods_fields():
    data = dict(CriteriaForm.initial_from("quantitative", DOCUMENTS["quantitative"], "lower"))
    data.update(CriteriaForm.initial_from("pass_fail", DOCUMENTS["pass_fail"]))
    form = CriteriaForm(data)
    assert form.is_valid()
    assert form.validated_criteria() == ("pass_fail", DOCUMENTS["pass_fail"])
    assert form["q_t1"].value() == "10"
