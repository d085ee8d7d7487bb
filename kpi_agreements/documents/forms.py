from django import forms
from django.utils.translation import gettext_lazy as _


class DraftRequestForm(forms.Form):
    thai_digits = forms.BooleanField(label=_("Print numbers in Thai digits"), required=False)
