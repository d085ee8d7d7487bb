"""The criteria and result forms of all five methods, the calculator's form and the weight field."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpi_agreements import scoring
from kpi_agreements.scoring import METHODS, ScoringError

from .labels import DIRECTION_CHOICES, METHOD_LABELS
from .validation import scoring_message

MEASURE_ROWS = 3


def _decimal_text(required=False, label=""):
    # Text, not DecimalField: the engine parses numbers itself and says what is wrong in its own words.
    return forms.CharField(
        required=required, label=label, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class CriteriaForm(forms.Form):
    """The criteria editor of all five methods (DOMAIN §7) in one form.

    Every method's fields are always present, so switching method keeps what was typed until saved; the
    template shows only the chosen method's fieldset when JavaScript runs.
    """

    method = forms.ChoiceField(label=_("Scoring method"), choices=[(m, METHOD_LABELS[m]) for m in METHODS])
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=DIRECTION_CHOICES,
        initial="higher",
        required=False,
    )
    with_results = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        for k in range(1, 6):
            f[f"q_t{k}"] = _decimal_text(label=_("Level %(level)s") % {"level": k})
        for i in range(MEASURE_ROWS):
            f[f"m{i}_name"] = forms.CharField(required=False, label=_("Measure"))
            f[f"m{i}_weight"] = _decimal_text(label=_("Weight"))
            for k in range(1, 6):
                f[f"m{i}_t{k}"] = _decimal_text(label=_("Level %(level)s") % {"level": k})
        for k in range(1, 6):
            f[f"ms_level{k}"] = forms.CharField(
                required=False,
                label=_("Steps of level %(level)s (one per line)") % {"level": k},
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        f["pf_condition"] = forms.CharField(required=False, label=_("Condition for success"))
        for k in range(1, 6):
            f[f"ql_level{k}"] = forms.CharField(required=False, label=_("Level %(level)s") % {"level": k})

    @staticmethod
    def initial_from(method: str, criteria: dict, direction: str = "higher") -> dict:
        """Form values from a stored criteria document (the inverse of ``criteria()``)."""
        data = {"method": method, "direction": direction}
        criteria = criteria or {}
        if method == "quantitative":
            data.update({f"q_t{k}": v for k, v in enumerate(criteria.get("thresholds", []), 1)})
        elif method == "multi_quantitative":
            for i, m in enumerate(criteria.get("measures", [])[:MEASURE_ROWS]):
                data.update({f"m{i}_name": m.get("name", ""), f"m{i}_weight": m.get("weight", "")})
                data.update({f"m{i}_t{k}": v for k, v in enumerate(m.get("thresholds", []), 1)})
        elif method == "milestone":
            data.update(
                {f"ms_level{k}": "\n".join(steps) for k, steps in enumerate(criteria.get("levels", []), 1)}
            )
        elif method == "pass_fail":
            data["pf_condition"] = criteria.get("condition", "")
        elif method == "qualitative":
            data.update({f"ql_level{k}": v for k, v in enumerate(criteria.get("levels", []), 1)})
        return data

    def _group(self, prefix: str):
        return [self[name] for name in self.fields if name.startswith(prefix)]

    def quantitative_thresholds(self):
        return self._group("q_t")

    def milestone_levels(self):
        return self._group("ms_level")

    def qualitative_levels(self):
        return self._group("ql_level")

    def measure_rows(self):
        rows = []
        for i in range(MEASURE_ROWS):
            row = [self[f"m{i}_name"], self[f"m{i}_weight"], *[self[f"m{i}_t{k}"] for k in range(1, 6)]]
            if self.with_results:
                row.append(self[f"m{i}_actual"])
            rows.append(row)
        return rows

    def _measure_indexes(self) -> list[int]:
        d = self.cleaned_data
        return [i for i in range(MEASURE_ROWS) if d[f"m{i}_name"] or d[f"m{i}_weight"]]

    def _levels(self) -> list[list[str]]:
        d = self.cleaned_data
        return [[s.strip() for s in d[f"ms_level{k}"].splitlines() if s.strip()] for k in range(1, 6)]

    def criteria(self) -> tuple[str, dict]:
        """The engine's criteria document for the chosen method (numbers kept as the typed text)."""
        d = self.cleaned_data
        method = d["method"]
        if method == "quantitative":
            return method, {
                "thresholds": [d[f"q_t{k}"] for k in range(1, 6)],
                "direction": d["direction"] or "higher",
            }
        if method == "multi_quantitative":
            measures = [
                {
                    "name": d[f"m{i}_name"],
                    "weight": d[f"m{i}_weight"],
                    "thresholds": [d[f"m{i}_t{k}"] for k in range(1, 6)],
                }
                for i in self._measure_indexes()
            ]
            return method, {"measures": measures}
        if method == "milestone":
            return method, {"levels": self._levels()}
        if method == "pass_fail":
            return method, {"condition": d["pf_condition"]}
        return method, {"levels": [d[f"ql_level{k}"] for k in range(1, 6)]}

    def field_for(self, method: str, path: str | None) -> str | None:
        """The form field where an engine error about ``path`` should be shown."""
        if not path:
            return None
        head, _, rest = path.partition("[")
        index = int(rest.split("]")[0]) if rest and rest[0].isdigit() else 0
        # The threshold at fault, e.g. "thresholds[2]" or "measures[1].thresholds[2]", else the first one.
        at = re.search(r"thresholds\[(\d)\]$", path)
        level = int(at[1]) + 1 if at else 1
        if method == "quantitative":
            return "q_actual" if head == "actual" else ("direction" if head == "direction" else f"q_t{level}")
        if method == "multi_quantitative":
            if head == "actuals":
                return f"m{index}_actual"
            if ".weight" in path:
                return f"m{index}_weight"
            return f"m{index}_t{level}" if ".thresholds" in path else "m0_name"
        if method == "milestone":
            return f"ms_level{index + 1}" if head == "levels" else f"ms_done{index + 1}"
        if method == "pass_fail":
            return "pf_passed" if head == "passed" else "pf_condition"
        return "ql_result" if head == "level" else f"ql_level{index + 1}"

    def validated_criteria(self, *, live: bool = False) -> tuple[str, dict] | None:
        """The criteria if the engine accepts them; else its message is put next to the field at fault.

        ``live``: the officer is still typing (htmx), so blank fields are not yet mistakes.
        """
        method, criteria = self.criteria()
        try:
            scoring.validate_criteria(method, criteria)
        except ScoringError as exc:
            if not (live and _is_blank(exc)):
                message = gettext("Enter a value here.") if _is_blank(exc) else scoring_message(exc)
                self.add_error(self.field_for(method, exc.field), message)
            return None
        return method, criteria


class CalculatorForm(CriteriaForm):
    """Criteria and a result to try them with."""

    with_results = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["q_actual"] = _decimal_text(label=_("Result"))
        for i in range(MEASURE_ROWS):
            f[f"m{i}_actual"] = _decimal_text(label=_("Result"))
        for k in range(1, 6):
            f[f"ms_done{k}"] = forms.IntegerField(required=False, min_value=0, label=_("Steps done"))
        f["pf_passed"] = forms.BooleanField(required=False, label=_("The condition was met"))
        f["ql_result"] = forms.TypedChoiceField(
            required=False,
            coerce=int,
            empty_value=None,
            label=_("Level assigned"),
            choices=[("", "—")] + [(k, str(k)) for k in range(1, 6)],
        )

    def milestone_done(self):
        return self._group("ms_done")

    def result(self) -> dict:
        d = self.cleaned_data
        method = d["method"]
        if method == "quantitative":
            return {"actual": d["q_actual"]}
        if method == "multi_quantitative":
            return {"actuals": [d[f"m{i}_actual"] for i in self._measure_indexes()]}
        if method == "milestone":
            return {
                "done": [
                    [n < (d[f"ms_done{k}"] or 0) for n in range(len(steps))]
                    for k, steps in enumerate(self._levels(), 1)
                ]
            }
        if method == "pass_fail":
            return {"passed": d["pf_passed"]}
        return {"level": d["ql_result"]}


def _is_blank(exc: ScoringError) -> bool:
    return exc.code in ("required", "blank_text") or (
        "value" in exc.params and exc.params["value"] in ("", None)
    )


def calculate(form: CalculatorForm, policy: scoring.ScoringPolicy, *, live: bool = False) -> dict | None:
    """Score the typed result and say what level 3 and 5 need; engine errors go next to their field."""
    valid = form.validated_criteria(live=live)
    if valid is None:
        return None
    method, criteria = valid
    outcome = {
        "needed_3": _describe(scoring.required_result(method, criteria, 3, policy)),
        "needed_5": _describe(scoring.required_result(method, criteria, 5, policy)),
        "score": None,
    }
    try:
        outcome["score"] = scoring.score(method, criteria, form.result(), policy)
    except ScoringError as exc:
        # No result typed yet is not a mistake: the panel still shows what levels 3 and 5 need.
        if not _is_blank(exc):
            form.add_error(form.field_for(method, exc.field), scoring_message(exc))
    return outcome


def _describe(needed) -> str:
    if needed is None:
        return gettext("any result")
    if isinstance(needed, list):
        return ", ".join(str(n) for n in needed)
    return str(needed) if not isinstance(needed, Decimal) else f"{needed:f}"


class WeightField(forms.DecimalField):
    """A weight typed into a form, checked by the same engine rule as ``check_weight``, with its message."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Weight"))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return scoring.validate_weight(value.strip() if isinstance(value, str) else value)
        except ScoringError as exc:
            raise ValidationError(scoring_message(exc), code=exc.code) from exc
