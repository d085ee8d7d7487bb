"""The entry form of one KPI's round report: the result in its method's shape (DOMAIN §7, §8), the account of
performance, obstacles, suggestions, "reports from a later round", and the evidence upload."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kpi_agreements import scoring
from kpi_agreements.criteria.validation import scoring_message
from kpi_agreements.scoring import ScoringError

TEXT_MAX = 20000  # a few pages: enough for any account, bounded against abuse


def _text(label, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _number(label):
    # Text, not DecimalField: the engine parses numbers itself and says what is wrong in its own words.
    return forms.CharField(
        label=label, required=False, max_length=100, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


def _is_blank(exc: ScoringError) -> bool:
    return exc.code in ("required", "blank_text") or exc.params.get("value", "x") in ("", None)


class EntryForm(forms.Form):
    """One KPI's report. The result fields depend on the item's method; ``result()`` gives the engine's shape,
    or None when nothing is entered yet. ``live``: the officer is still typing (htmx), so a blank field is not
    yet a mistake."""

    narrative = _text(_("Account of performance"), rows=4)
    obstacles = _text(_("Obstacles"))
    obstacles_external = forms.BooleanField(
        label=_("The obstacles were outside the unit's control"), required=False
    )
    suggestions = _text(_("Suggestions"))
    later_round = forms.BooleanField(label=_("Reports from a later round"), required=False)
    later_reason = _text(_("Why it reports from a later round"), rows=2)

    def __init__(self, *args, item, live: bool = False, **kwargs):
        self.item = item
        self.live = live
        kwargs.setdefault("initial", self.initial_from(item))
        super().__init__(*args, **kwargs)
        self.result_fields: list[str] = []
        method, criteria = item.method, item.criteria or {}
        if method == "quantitative":
            self._add("actual", _number(_("Result")))
        elif method == "multi_quantitative":
            for i, measure in enumerate(criteria.get("measures", [])):
                self._add(f"actual_{i}", _number(measure.get("name") or _("Result")))
        elif method == "milestone":
            for k, steps in enumerate(criteria.get("levels", []), 1):
                for j, step in enumerate(steps):
                    self._add(f"done_{k}_{j}", forms.BooleanField(label=step, required=False))
        elif method == "pass_fail":
            self._add(
                "passed",
                forms.ChoiceField(
                    label=_("Was the condition for success met?"),
                    required=False,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    choices=[("yes", _("Yes, it was met")), ("no", _("No, it was not met"))],
                ),
            )
        elif method == "qualitative":
            levels = criteria.get("levels", [])
            self._add(
                "level",
                forms.TypedChoiceField(
                    label=_("Level reached"),
                    required=False,
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                    choices=[
                        (k, _("Level %(level)s: %(text)s") % {"level": k, "text": text})
                        for k, text in enumerate(levels, 1)
                    ],
                ),
            )
            self.fields["narrative"].label = _("Account of performance, and why the unit reached this level")

    def _add(self, name, field):
        self.fields[name] = field
        self.result_fields.append(name)

    @staticmethod
    def initial_from(item) -> dict:
        data = {
            "narrative": item.narrative,
            "obstacles": item.obstacles,
            "obstacles_external": item.obstacles_external,
            "suggestions": item.suggestions,
            "later_round": item.later_round,
            "later_reason": item.later_reason,
        }
        result = item.result if isinstance(item.result, dict) else {}
        if item.method == "quantitative":
            data["actual"] = result.get("actual", "")
        elif item.method == "multi_quantitative":
            data.update({f"actual_{i}": v for i, v in enumerate(result.get("actuals") or [])})
        elif item.method == "milestone":
            for k, ticks in enumerate(result.get("done") or [], 1):
                data.update({f"done_{k}_{j}": bool(t) for j, t in enumerate(ticks or [])})
        elif item.method == "pass_fail" and "passed" in result:
            data["passed"] = "yes" if result["passed"] else "no"
        elif item.method == "qualitative":
            data["level"] = result.get("level")
        return data

    # --- for the template -------------------------------------------------------------------------------

    def result_bound_fields(self):
        return [self[name] for name in self.result_fields]

    def milestone_levels(self):
        """(level, [step checkboxes]) for each level of a milestone KPI."""
        levels = (self.item.criteria or {}).get("levels", [])
        return [(k, [self[f"done_{k}_{j}"] for j in range(len(steps))]) for k, steps in enumerate(levels, 1)]

    # --- the result -------------------------------------------------------------------------------------

    def result(self):
        """The result in the engine's shape (numbers as the typed text), or None when nothing is entered."""
        d, method = self.cleaned_data, self.item.method
        if method == "quantitative":
            return {"actual": d["actual"]} if d.get("actual") else None
        if method == "multi_quantitative":
            actuals = [d.get(name, "") for name in self.result_fields]
            return {"actuals": actuals} if any(actuals) else None
        if method == "milestone":
            # Ticks are the report itself: none ticked is "nothing done yet" and scores the floor.
            levels = (self.item.criteria or {}).get("levels", [])
            return {
                "done": [
                    [bool(d.get(f"done_{k}_{j}")) for j in range(len(steps))]
                    for k, steps in enumerate(levels, 1)
                ]
            }
        if method == "pass_fail":
            return {"passed": d["passed"] == "yes"} if d.get("passed") else None
        if method == "qualitative":
            return {"level": d["level"]} if d.get("level") is not None else None
        return None

    def field_for(self, path: str | None) -> str | None:
        """The form field where an engine error about ``path`` ("actual", "actuals[1]", ...) is shown."""
        if not self.result_fields:
            return None
        head, _sep, rest = (path or "").partition("[")
        if head == "actuals" and rest[:1].isdigit():
            name = f"actual_{rest.split(']')[0]}"
            return name if name in self.fields else self.result_fields[0]
        return self.result_fields[0]

    def clean(self):
        data = super().clean()
        if any(name in self.errors for name in self.result_fields):
            return data
        result = self.result()
        if result is not None:
            try:
                scoring.validate_result(self.item.method, self.item.criteria, result)
            except ScoringError as exc:
                blank = _is_blank(exc)
                if not (self.live and blank):
                    message = gettext("Enter a value here.") if blank else scoring_message(exc)
                    self.add_error(self.field_for(exc.field), message)
                result = None
        data["result"] = result
        return data


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))
