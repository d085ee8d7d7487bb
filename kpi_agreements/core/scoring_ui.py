"""The Django side of the scoring engine: translated messages and the calculator's form."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpi_agreements import scoring
from kpi_agreements.scoring import MESSAGES, METHODS, ScoringError

METHOD_LABELS = {
    "quantitative": _("Quantitative"),
    "multi_quantitative": _("Several quantitative measures"),
    "milestone": _("Milestones"),
    "pass_fail": _("Pass / fail"),
    "qualitative": _("Qualitative"),
}
MEASURE_ROWS = 3


def scoring_message(exc: ScoringError) -> str:
    """The engine's message in the user's language (the engine marks its catalogue for makemessages)."""
    return gettext(MESSAGES.get(exc.code, exc.code)).format(**exc.params)


def _decimal_text(required=False, label=""):
    # Text, not DecimalField: the engine parses numbers itself and says what is wrong in its own words.
    return forms.CharField(
        required=required, label=label, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class CalculatorForm(forms.Form):
    """Criteria of any of the five methods (DOMAIN §7) and a result to try them with."""

    method = forms.ChoiceField(label=_("Scoring method"), choices=[(m, METHOD_LABELS[m]) for m in METHODS])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        for k in range(1, 6):
            f[f"q_t{k}"] = _decimal_text(label=_("Level %(level)s") % {"level": k})
        f["q_actual"] = _decimal_text(label=_("Result"))
        for i in range(MEASURE_ROWS):
            f[f"m{i}_name"] = forms.CharField(required=False, label=_("Measure"))
            f[f"m{i}_weight"] = _decimal_text(label=_("Weight"))
            for k in range(1, 6):
                f[f"m{i}_t{k}"] = _decimal_text(label=_("Level %(level)s") % {"level": k})
            f[f"m{i}_actual"] = _decimal_text(label=_("Result"))
        for k in range(1, 6):
            f[f"ms_level{k}"] = forms.CharField(
                required=False,
                label=_("Steps of level %(level)s (one per line)") % {"level": k},
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            f[f"ms_done{k}"] = forms.IntegerField(required=False, min_value=0, label=_("Steps done"))
        f["pf_condition"] = forms.CharField(required=False, label=_("Condition for success"))
        f["pf_passed"] = forms.BooleanField(required=False, label=_("The condition was met"))
        for k in range(1, 6):
            f[f"ql_level{k}"] = forms.CharField(required=False, label=_("Level %(level)s") % {"level": k})
        f["ql_result"] = forms.TypedChoiceField(
            required=False,
            coerce=int,
            empty_value=None,
            label=_("Level assigned"),
            choices=[("", "—")] + [(k, str(k)) for k in range(1, 6)],
        )

    def _group(self, prefix: str):
        return [self[name] for name in self.fields if name.startswith(prefix)]

    def quantitative_thresholds(self):
        return self._group("q_t")

    def milestone_levels(self):
        return self._group("ms_level")

    def milestone_done(self):
        return self._group("ms_done")

    def qualitative_levels(self):
        return self._group("ql_level")

    def measure_rows(self):
        return [
            [
                self[f"m{i}_name"],
                self[f"m{i}_weight"],
                *[self[f"m{i}_t{k}"] for k in range(1, 6)],
                self[f"m{i}_actual"],
            ]
            for i in range(MEASURE_ROWS)
        ]

    def criteria_and_result(self) -> tuple[str, dict, dict]:
        d = self.cleaned_data
        method = d["method"]
        if method == "quantitative":
            return method, {"thresholds": [d[f"q_t{k}"] for k in range(1, 6)]}, {"actual": d["q_actual"]}
        if method == "multi_quantitative":
            rows = [i for i in range(MEASURE_ROWS) if d[f"m{i}_name"] or d[f"m{i}_weight"]]
            measures = [
                {
                    "name": d[f"m{i}_name"],
                    "weight": d[f"m{i}_weight"],
                    "thresholds": [d[f"m{i}_t{k}"] for k in range(1, 6)],
                }
                for i in rows
            ]
            return method, {"measures": measures}, {"actuals": [d[f"m{i}_actual"] for i in rows]}
        if method == "milestone":
            levels = [[s.strip() for s in d[f"ms_level{k}"].splitlines() if s.strip()] for k in range(1, 6)]
            done = [
                [n < (d[f"ms_done{k}"] or 0) for n in range(len(steps))] for k, steps in enumerate(levels, 1)
            ]
            return method, {"levels": levels}, {"done": done}
        if method == "pass_fail":
            return method, {"condition": d["pf_condition"]}, {"passed": d["pf_passed"]}
        return method, {"levels": [d[f"ql_level{k}"] for k in range(1, 6)]}, {"level": d["ql_result"]}

    def field_for(self, method: str, path: str | None) -> str | None:
        """The form field where an engine error about ``path`` should be shown."""
        if not path:
            return None
        head, _, rest = path.partition("[")
        index = int(rest.split("]")[0]) if rest else 0
        if method == "quantitative":
            return "q_actual" if head == "actual" else "q_t1"
        if method == "multi_quantitative":
            if head == "actuals":
                return f"m{index}_actual"
            if ".weight" in path:
                return f"m{index}_weight"
            return f"m{index}_t1" if ".thresholds" in path else "m0_name"
        if method == "milestone":
            return f"ms_level{index + 1}" if head == "levels" else f"ms_done{index + 1}"
        if method == "pass_fail":
            return "pf_passed" if head == "passed" else "pf_condition"
        return "ql_result" if head == "level" else f"ql_level{index + 1}"


def _is_blank(exc: ScoringError) -> bool:
    return exc.code in ("required", "blank_text") or (
        "value" in exc.params and exc.params["value"] in ("", None)
    )


def calculate(form: CalculatorForm, policy: scoring.ScoringPolicy, *, live: bool = False) -> dict | None:
    """Score the typed result and say what level 3 and 5 need; engine errors go next to their field.

    ``live``: the officer is still typing (htmx), so blank fields are not yet mistakes.
    """
    method, criteria, result = form.criteria_and_result()
    try:
        scoring.validate_criteria(method, criteria)
    except ScoringError as exc:
        if not (live and _is_blank(exc)):
            message = gettext("Enter a value here.") if _is_blank(exc) else scoring_message(exc)
            form.add_error(form.field_for(method, exc.field), message)
        return None
    outcome = {
        "needed_3": _describe(scoring.required_result(method, criteria, 3, policy)),
        "needed_5": _describe(scoring.required_result(method, criteria, 5, policy)),
        "score": None,
    }
    try:
        outcome["score"] = scoring.score(method, criteria, result, policy)
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
