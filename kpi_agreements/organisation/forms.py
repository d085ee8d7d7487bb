from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from kpi_agreements.core.dates import ThaiDateField
from kpi_agreements.core.validators import NameField
from kpi_agreements.fiscal.calendar import resolution_range

from .access import MANAGERS, scope_of
from .models import Committee, CommitteeMember, Person, Resolution, Role, Unit, UnitType
from .pickers import PersonPickerField, people_for_committee


class UnitChoiceField(forms.ModelChoiceField):
    """Units the user may act on, indented by depth; anything else is refused with one clear message."""

    default_error_messages = {
        "invalid_choice": _("This unit is unknown, inactive or outside your part of the organisation."),
    }

    def label_from_instance(self, obj):
        return f"{'— ' * (obj.depth - 1)}{obj.name_th} ({obj.abbreviation})"


def unit_field(user, *roles, label, required=True):
    qs = scope_of(user).units(*roles).filter(is_active=True).select_related(None).order_by("path")
    return UnitChoiceField(queryset=qs, label=label, required=required)


def unit_heads(unit: Unit):
    if unit.pk is None:
        return Person.objects.none()
    return Person.objects.filter(is_active=True, roles__unit=unit, roles__role=Role.UNIT_HEAD)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name_th", "name_en", "abbreviation", "unit_type", "head"]
        field_classes = {"name_th": NameField, "name_en": NameField, "abbreviation": NameField}

    def __init__(self, *args, user, parent_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_type"].queryset = UnitType.objects.all()
        # The head signs the unit's agreement, so only people holding the unit-head role on it qualify (and
        # nobody else of the directory is listed).
        self.fields["head"].queryset = unit_heads(self.instance)
        self.fields["head"].help_text = _("Give the person the unit-head role on this unit first.")
        if self.instance.pk is None:
            del self.fields["head"]  # nobody holds a role on a unit that does not exist yet
            self.fields["parent"] = unit_field(
                user, *MANAGERS, label=_("Parent unit"), required=parent_required
            )
            self.order_fields(["parent"])


class UnitMoveForm(forms.Form):
    def __init__(self, *args, user, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        # The unit's own subtree stays in the list: choosing it gets the service's explanation, not a
        # bare "invalid choice".
        self.fields["parent"] = unit_field(user, *MANAGERS, label=_("New parent unit"))


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ["title", "first_name", "last_name", "username", "email", "position", "office", "mobile"]
        field_classes = {"title": NameField, "first_name": NameField, "last_name": NameField}
        # Django's own wording of these has no Thai translation: the project says them in its catalogue.
        help_texts = {
            "username": _("Used to log in: at most 150 letters, digits and the characters @ . + - _"),
        }
        error_messages = {
            "username": {
                "invalid": _("A username may hold only letters, digits and the characters @ . + - _")
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True


class PersonInviteForm(PersonForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, Role.ADMIN, label=_("On unit"))

    def clean_email(self):
        email = self.cleaned_data["email"]
        if Person.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A person with this e-mail address already exists."))
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, Role.ADMIN, label=_("On unit"))


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, person: Person, **kwargs):
        self.person = person
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                validate_password(p1, self.person)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class CommitteeForm(forms.ModelForm):
    class Meta:
        model = Committee
        fields = ["name", "kind", "fiscal_year"]
        field_classes = {"name": NameField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, *MANAGERS, label=_("Convening unit"))
        self.fields["units_covered"] = forms.ModelMultipleChoiceField(
            queryset=self.fields["unit"].queryset,
            label=_("Units covered"),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 10}),
        )
        self.fields["units_covered"].label_from_instance = self.fields["unit"].label_from_instance
        if self.instance.pk:
            self.fields["unit"].initial = self.instance.unit_id
            self.fields["units_covered"].initial = list(
                self.instance.units_covered.values_list("pk", flat=True)
            )

    def clean(self):
        data = super().clean()
        unit, covered = data.get("unit"), data.get("units_covered") or []
        outside = [u for u in covered if unit and not unit.contains(u)]
        if outside:
            self.add_error(
                "units_covered",
                _("These units are not under the convening unit: %(units)s")
                % {"units": ", ".join(u.abbreviation for u in outside)},
            )
        if unit:
            self.instance.unit = unit
        return data


class CommitteeMemberForm(forms.ModelForm):
    person = PersonPickerField(label=_("Person"))

    class Meta:
        model = CommitteeMember
        fields = ["person", "position"]

    def __init__(self, *args, user, committee: Committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].offer(people_for_committee(user, committee), kind="committee", obj=committee.pk)


class ResolutionForm(forms.ModelForm):
    class Meta:
        model = Resolution
        fields = ["number", "date", "text"]
        field_classes = {"date": ThaiDateField}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].set_range(*resolution_range(fiscal_year))
