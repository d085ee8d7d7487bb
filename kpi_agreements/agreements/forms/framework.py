"""Forms of the framework (DOMAIN §4), the signing rules (§5) and the creation of a year's agreements."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kpi_agreements.agreements.models import Dimension, MandatoryKPI
from kpi_agreements.core.validators import NameField
from kpi_agreements.criteria.forms import WeightField
from kpi_agreements.organisation.models import Unit, UnitType

BASELINE_ROWS = 3
TEXT_FIELDS = [
    "name",
    "unit_of_measure",
    "description",
    "formula",
    "conditions",
    "data_source",
    "collection_method",
]


def _weight_field(**attrs):
    return WeightField(widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": 100, **attrs}))


class DimensionForm(forms.ModelForm):
    weight = _weight_field(**{"class": "form-control form-control-sm dimension-weight width-8em"})

    class Meta:
        model = Dimension
        fields = ["order", "name_th", "name_en", "weight"]
        field_classes = {"name_th": NameField, "name_en": NameField}
        widgets = {
            "order": forms.NumberInput(attrs={"class": "form-control form-control-sm width-5em", "min": 1}),
            "name_th": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "name_en": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        }

    def has_changed(self):
        # A new row with neither name nor weight is an empty row left alone, whatever its order says.
        if self.instance.pk is None and self.is_bound:
            if not any(
                (self.data.get(self.add_prefix(f)) or "").strip() for f in ("name_th", "name_en", "weight")
            ):
                return False
        return super().has_changed()


DimensionFormSet = forms.modelformset_factory(Dimension, form=DimensionForm, extra=1, can_delete=True)
MAX_NEW_DIMENSIONS = 10


def dimension_formset_class(extra: int):
    """The dimensions' table with ``extra`` empty rows: as many as a new framework needs, else one, and more
    on request ("add a row"), so a framework is entered in one save (issue 13.12)."""
    extra = max(1, min(extra, MAX_NEW_DIMENSIONS))
    return forms.modelformset_factory(Dimension, form=DimensionForm, extra=extra, can_delete=True)


def natural_choices(mandatory, empty_label=None) -> list:
    """(id, "code name") choices of mandatory KPIs, codes sorted naturally (8, 9, 10)."""
    from kpi_agreements.agreements.selectors import natural_key

    choices = [(m.pk, f"{m.code} {m.name}") for m in sorted(mandatory, key=lambda m: natural_key(m.code))]
    return ([("", empty_label)] if empty_label is not None else []) + choices


class MandatoryKPIForm(forms.ModelForm):
    """The mandatory KPI and its KPI Template; the criteria come from a CriteriaForm beside it."""

    weight = _weight_field()

    class Meta:
        model = MandatoryKPI
        fields = ["code", "parent", "dimension", "weight", "unit_types", *TEXT_FIELDS]
        field_classes = {"name": NameField}
        widgets = {
            "unit_types": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "formula": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
            "data_source": forms.Textarea(attrs={"rows": 2}),
            "collection_method": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "unit_types": _("Tick none to apply the KPI to every unit type."),
            "parent": _(
                "Leave blank for a KPI of its own. A sub-KPI takes its parent's dimension and is numbered "
                "under it (1.1, 1.2 …); the parent then weighs what its sub-KPIs weigh."
            ),
        }

    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fiscal_year = fiscal_year
        self.fields["dimension"].queryset = fiscal_year.dimensions.all()
        self.fields["dimension"].empty_label = None
        # A KPI cannot sit under itself or under one of its own sub-KPIs.
        candidates = list(fiscal_year.mandatory_kpis.all())
        excluded = set()
        if self.instance.pk:
            excluded, frontier = {self.instance.pk}, {self.instance.pk}
            while frontier:
                frontier = {m.pk for m in candidates if m.parent_id in frontier} - excluded
                excluded |= frontier
        parent = self.fields["parent"]
        parent.queryset = fiscal_year.mandatory_kpis.exclude(pk__in=excluded)
        parent.choices = natural_choices([m for m in candidates if m.pk not in excluded], "—")
        if self.instance.pk and any(m.parent_id == self.instance.pk for m in candidates):
            weight = self.fields["weight"]
            weight.disabled, weight.required = True, False
            weight.help_text = _("The sum of its sub-KPIs' weights.")
        self.fields["unit_types"].queryset = UnitType.objects.all()
        rows = list(self.instance.baseline or []) if self.instance.pk else []
        rows = rows[-BASELINE_ROWS:]
        # A new KPI's baseline is the three years before this one (B.E.), values to be filled in.
        years = [fiscal_year.be_year - BASELINE_ROWS + i for i in range(BASELINE_ROWS)]
        for i in range(BASELINE_ROWS):
            row = rows[i] if i < len(rows) else {"year": years[i] if not rows else None, "value": ""}
            self.fields[f"baseline_year_{i}"] = forms.IntegerField(
                label=_("Year (B.E.)"),
                required=False,
                min_value=2400,
                max_value=2800,
                initial=row.get("year"),
            )
            self.fields[f"baseline_value_{i}"] = forms.CharField(
                label=_("Result"), required=False, max_length=100, initial=row.get("value", "")
            )

    def baseline_rows(self):
        return [(self[f"baseline_year_{i}"], self[f"baseline_value_{i}"]) for i in range(BASELINE_ROWS)]

    def template_fields(self):
        return [self[name] for name in TEXT_FIELDS]

    def clean(self):
        data = super().clean()
        years = []
        for i in range(BASELINE_ROWS):
            year, value = data.get(f"baseline_year_{i}"), (data.get(f"baseline_value_{i}") or "").strip()
            if value and year is None:
                self.add_error(f"baseline_year_{i}", _("Give the year of this result."))
            if year is not None and year >= self.fiscal_year.be_year:
                self.add_error(f"baseline_year_{i}", _("A baseline is a result of a past year."))
            if year is not None and year in years:
                self.add_error(f"baseline_year_{i}", _("This year is given twice."))
            if year is not None:
                years.append(year)
        return data

    def baseline(self) -> list[dict]:
        d = self.cleaned_data
        rows = [
            {"year": d[f"baseline_year_{i}"], "value": (d[f"baseline_value_{i}"] or "").strip()}
            for i in range(BASELINE_ROWS)
            if d.get(f"baseline_year_{i}") is not None
        ]
        return sorted(rows, key=lambda r: r["year"])

    def service_fields(self) -> dict:
        d = self.cleaned_data
        fields = {name: d[name] for name in ["code", "parent", "dimension", "weight", *TEXT_FIELDS]}
        fields["baseline"] = self.baseline()
        return fields


class MandatoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class RedistributionRuleForm(forms.Form):
    def __init__(self, *args, fiscal_year, **kwargs):
        super().__init__(*args, **kwargs)
        mandatory = fiscal_year.mandatory_kpis.all()
        self.fields["source"] = MandatoryChoiceField(queryset=mandatory, label=_("When a unit has no"))
        self.fields["target"] = MandatoryChoiceField(
            queryset=mandatory,
            label=_("its weight goes to"),
            help_text=_("A KPI of the same dimension; a parent KPI shares it among its sub-KPIs."),
        )
        choices = natural_choices(mandatory, "---------")
        self.fields["source"].choices = self.fields["target"].choices = choices
        self.fields["amount"] = forms.DecimalField(
            label=_("Amount"),
            required=False,
            max_digits=7,
            decimal_places=4,
            min_value=0,
            help_text=_("Leave blank to move all of the weight."),
        )


class SigningRuleForm(forms.Form):
    unit_type = forms.ModelChoiceField(queryset=UnitType.objects.all(), widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = UnitType.objects.all()
        self.fields["recipient_type"] = forms.ModelChoiceField(
            queryset=types,
            required=False,
            empty_label=_("the parent unit"),
            label=_("signs with the head of the nearest unit of type"),
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )
        self.fields["co_signer_type"] = forms.ModelChoiceField(
            queryset=types,
            required=False,
            empty_label=_("no co-signer"),
            label=_("together with the head of the nearest unit of type"),
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )


SigningRuleFormSet = forms.formset_factory(SigningRuleForm, extra=0)


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name_th} ({obj.abbreviation})"


class AgreementsCreateForm(forms.Form):
    """Units to open a draft agreement for; only active units the user manages (planning or admin)."""

    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        # Any unit is accepted by the field, so a unit posted from outside the list gets our message below
        # that names it, not a bare "invalid choice".
        self.fields["units"] = UnitsChoiceField(queryset=Unit.objects.all(), label=_("Units"))

    def clean_units(self):
        units = list(self.cleaned_data["units"])
        allowed = set(self.allowed.values_list("pk", flat=True))
        refused = [u for u in units if u.pk not in allowed]
        if refused:
            raise forms.ValidationError(
                _("%(units)s: inactive or outside the units you manage; no agreement was created.")
                % {"units": ", ".join(f"{u.name_th} ({u.abbreviation})" for u in refused)}
            )
        return units


class AgreementCopyForm(forms.Form):
    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = forms.ModelChoiceField(
            queryset=allowed,
            label=_("Unit"),
            error_messages={
                "invalid_choice": _(
                    "This unit is unknown, inactive or outside your part of the organisation."
                )
            },
        )
