"""Forms of change requests: the request, its items, the committee's decision, evidence."""

from django import forms
from django.utils.translation import gettext_lazy

from kpi_agreements.agreements.forms.negotiation import ResolutionForm
from kpi_agreements.agreements.models import ChangeItem, ChangeRequest
from kpi_agreements.core.validators import NameField
from kpi_agreements.criteria.forms import WeightField


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["grounds", "grounds_other", "justification", "effective_round"]
        widgets = {"justification": forms.Textarea(attrs={"rows": 3}), "grounds": forms.RadioSelect}


class ChangeItemForm(forms.ModelForm):
    weight = WeightField(required=False)
    change_criteria = forms.BooleanField(label=gettext_lazy("Change the scoring criteria"), required=False)

    class Meta:
        model = ChangeItem
        fields = ["kind", "kpi", "dimension", "name", "description", "weight"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"name": NameField}

    def __init__(self, *args, change: ChangeRequest, **kwargs):
        super().__init__(*args, **kwargs)
        agreement = change.agreement
        self.fields["kpi"].queryset = agreement.kpis.filter(cancelled_from_round__isnull=True)
        self.fields["dimension"].queryset = agreement.fiscal_year.dimensions.all()


class DecisionForm(ResolutionForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Evidence file"))
