from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, Milestone


class FiscalYearForm(forms.Form):
    be_year = forms.IntegerField(label=_("Fiscal year (B.E.)"), min_value=2540, max_value=2700)
    make_current = forms.BooleanField(label=_("Make it the current year"), required=False)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["start_date", "due_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
            "due_date": forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        }

    def clean(self):
        from .calendar import calendar_range

        data = super().clean()
        first, last = calendar_range(self.instance.fiscal_year)
        for field in ("start_date", "due_date"):
            value = data.get(field)
            if value is not None and not first <= value <= last:
                self.add_error(
                    field,
                    _("The date must fall between 1 October of the fiscal year and 31 January after it."),
                )
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and start > due:
            self.add_error("start_date", _("The start date must not be after the due date."))
        return data


MilestoneFormSet = forms.modelformset_factory(Milestone, form=MilestoneForm, extra=0)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
