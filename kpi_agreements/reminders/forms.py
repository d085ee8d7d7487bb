from django import forms

from .models import ReminderPolicy, parse_offsets


class ReminderPolicyForm(forms.ModelForm):
    class Meta:
        model = ReminderPolicy
        fields = [
            "enabled",
            "before_deadline",
            "on_deadline",
            "after_deadline",
            "escalate_after",
            "before_return_due",
            "before_window_end",
            "committee_wait",
            "send_at",
        ]
        widgets = {"send_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    # Stored in one spelling ("14,7,1"), largest first, whatever was typed; a bad list is refused at its
    # field.
    def clean_before_deadline(self):
        return _offsets(self.cleaned_data["before_deadline"])

    def clean_before_return_due(self):
        return _offsets(self.cleaned_data["before_return_due"])

    def clean_before_window_end(self):
        return _offsets(self.cleaned_data["before_window_end"])


def _offsets(text: str) -> str:
    return ",".join(str(n) for n in parse_offsets(text))
