"""Forms of the report's workflow: the reporting policy of a year, returning a report for more information,
and a verifier's result for one KPI (the entry form's per-method inputs)."""

from copy import copy
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpi_agreements.core.dates import ThaiDateField
from kpi_agreements.fiscal.calendar import calendar_range

from .entry import EntryForm

# A returned report gets at most a year to answer; the policy's default is 30 days (§8).
LONGEST_RETURN = 365


class ReportingPolicyForm(forms.Form):
    """Each round's opening date and the year's reporting policy (§8)."""

    return_days = forms.IntegerField(
        label=_("Days to answer a report returned for more information"),
        min_value=1,
        max_value=LONGEST_RETURN,
    )
    planning_verifies = forms.BooleanField(
        label=_("Where no committee covers a unit, planning staff above it verify its reports"),
        required=False,
    )

    def __init__(self, *args, fiscal_year, rounds, **kwargs):
        initial = {"return_days": fiscal_year.return_days, "planning_verifies": fiscal_year.planning_verifies}
        initial.update({f"opens_on_{r.months}": r.opens_on for r in rounds})
        super().__init__(*args, initial=initial, **kwargs)
        first, last = calendar_range(fiscal_year)
        opening = {}
        for r in rounds:
            field = ThaiDateField(label=_("%(round)s opens on") % {"round": r.get_months_display()})
            # From the year's first day to the end of its calendar: late is possible, before the year is not.
            field.set_range(first, last)
            opening[f"opens_on_{r.months}"] = field
        # The opening dates first, in round order, then the year's settings.
        self.fields = {**opening, **self.fields}
        self.months = [r.months for r in rounds]

    def opening_dates(self) -> dict[int, object]:
        return {m: self.cleaned_data[f"opens_on_{m}"] for m in self.months}


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("What more information is needed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    due = ThaiDateField(label=_("Due date"))
    items = forms.ModelMultipleChoiceField(
        label=_("KPIs to tell more about"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, report, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["due"].initial = today + timedelta(days=report.round.fiscal_year.return_days)
        self.fields["due"].set_range(today, today + timedelta(days=LONGEST_RETURN))
        items = self.fields["items"]
        items.queryset = report.items.filter(is_leaf=True).order_by("order", "id")
        items.label_from_instance = lambda item: f"{item.code} {item.name}"


class VerifiedResultForm(EntryForm):
    """The verifier's result for one KPI: the per-method inputs the unit entered with (EntryForm), filled with
    the verified result, or the unit's own as a starting point. Left blank, or as the unit entered it, the
    unit's result is accepted (None), so the verified card follows the unit's result."""

    UNIT_FIELDS = (
        "narrative",
        "obstacles",
        "obstacles_external",
        "suggestions",
        "later_round",
        "later_reason",
    )

    def __init__(self, *args, item, **kwargs):
        shown = copy(item)
        shown.result = item.verified_result if item.verified_result is not None else item.result
        kwargs.setdefault("initial", {**EntryForm.initial_from(shown), "note": item.verifier_note})
        super().__init__(*args, item=item, **kwargs)
        for name in self.UNIT_FIELDS:
            del self.fields[name]
        self.fields["note"] = forms.CharField(
            label=_("Verifier's note"),
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )

    def clean(self):
        data = super().clean()
        result = data.get("result")
        data["verified_result"] = None if result is None or result == self.item.result else result
        return data
