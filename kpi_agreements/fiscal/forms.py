from django import forms
from django.utils.translation import gettext_lazy as _

from kpi_agreements.core.dates import ThaiDateField, ThaiDateInput

from .calendar import calendar_range
from .models import CalendarDay, Milestone


class FiscalYearForm(forms.Form):
    be_year = forms.IntegerField(label=_("Fiscal year (B.E.)"), min_value=2540, max_value=2700)
    make_current = forms.BooleanField(label=_("Make it the current year"), required=False)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["start_date", "due_date"]
        field_classes = {"start_date": ThaiDateField, "due_date": ThaiDateField}
        # The formset's table renders bare inputs, without crispy's classes.
        widgets = {name: ThaiDateInput({"class": "form-control"}) for name in fields}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The calendar page's span: the 12-month report and site visits fall after 30 September.
        for name in ("start_date", "due_date"):
            self.fields[name].set_range(*calendar_range(self.instance.fiscal_year))

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", _("The start date must not be after the due date."))
        return data


MilestoneFormSet = forms.modelformset_factory(Milestone, form=MilestoneForm, extra=0)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        field_classes = {"date": ThaiDateField}

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        # A correction matters wherever the year's calendar reaches, so its deadlines roll correctly.
        self.fields["date"].set_range(*calendar_range(fiscal_year))


class ScoringPolicyForm(forms.Form):
    """The per-year settings of DOMAIN §7–§8; the engine validates the whole policy on save."""

    floor = forms.TypedChoiceField(
        label=_("Lowest score (a result short of level 1)"), coerce=str, choices=[("1", "1"), ("0", "0")]
    )
    interpolation = forms.ChoiceField(
        label=_("Between thresholds"),
        choices=[("linear", _("Linear (e.g. 3.4567)")), ("step", _("Whole levels only"))],
    )
    places = forms.IntegerField(label=_("Decimal places"), min_value=0, max_value=10)
    pass_score = forms.DecimalField(label=_("Score for pass"), min_value=0, max_value=5, decimal_places=4)
    fail_score = forms.DecimalField(label=_("Score for fail"), min_value=0, max_value=5, decimal_places=4)
    milestone_partial = forms.BooleanField(
        label=_("Milestones: credit for part of the next level's steps"), required=False
    )
    penalty_6 = forms.DecimalField(
        label=_("Late penalty per working day, 6-month round"), min_value=0, decimal_places=4
    )
    penalty_9 = forms.DecimalField(
        label=_("Late penalty per working day, 9-month round"), min_value=0, decimal_places=4
    )
    penalty_12 = forms.DecimalField(
        label=_("Late penalty per working day, 12-month round"), min_value=0, decimal_places=4
    )
    incentive_threshold = forms.DecimalField(
        label=_("Lowest agreement score for incentive money"), min_value=0, max_value=5, decimal_places=4
    )
    far_below = forms.DecimalField(
        label=_("Site visit: a score below this is far below target"),
        min_value=0,
        max_value=5,
        decimal_places=4,
    )
    far_above = forms.DecimalField(
        label=_("Site visit: a score at or above this is far above target (blank: never)"),
        required=False,
        min_value=0,
        max_value=5,
        decimal_places=4,
    )

    @classmethod
    def initial_from(cls, policy) -> dict:
        data = policy.to_dict()
        penalties = data.pop("late_penalty_per_day")
        data.update({f"penalty_{m}": penalties.get(str(m), "0") for m in (6, 9, 12)})
        return data

    def policy_dict(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("penalty_")}
        data["late_penalty_per_day"] = {str(m): self.cleaned_data[f"penalty_{m}"] for m in (6, 9, 12)}
        return data
