"""Forms of negotiation and decisions: comments, resolutions, proposals."""

from django import forms
from django.utils.translation import gettext_lazy

from kpi_agreements.core.dates import ThaiDateField
from kpi_agreements.criteria.forms import WeightField
from kpi_agreements.fiscal.calendar import resolution_range


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ResolutionForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Resolution number"), max_length=50)
    date = ThaiDateField(label=gettext_lazy("Date"))
    text = forms.CharField(label=gettext_lazy("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].set_range(*resolution_range(fiscal_year))


class ProposalForm(forms.Form):
    weight = WeightField(label=gettext_lazy("Proposed weight"), required=False)
    change_criteria = forms.BooleanField(label=gettext_lazy("Propose these criteria"), required=False)
    note = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
