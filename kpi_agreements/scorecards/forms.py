"""The incentive tiers form and the scorecard's export request."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TierForm(forms.Form):
    name_th = forms.CharField(label=_("Thai name"), max_length=200, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    lower_bound = forms.DecimalField(
        label=_("From a total of"), min_value=0, max_value=5, max_digits=6, decimal_places=4, required=False
    )

    def clean(self):
        data = super().clean()
        named = bool((data.get("name_th") or "").strip() or (data.get("name_en") or "").strip())
        if named and data.get("lower_bound") is None and "lower_bound" not in self.errors:
            self.add_error("lower_bound", _("Give the total the tier starts at."))
        if data.get("lower_bound") is not None and not (data.get("name_th") or "").strip():
            self.add_error("name_th", _("Give the tier a Thai name."))
        return data

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("name_th") or "").strip() and data.get("lower_bound") is None


TierFormSet = forms.formset_factory(TierForm, extra=2, can_delete=True, max_num=20, absolute_max=40)


def tier_rows(formset) -> list[dict]:
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and not form.is_blank and not form.cleaned_data.get("DELETE")
    ]
