from django import forms
from django.utils.translation import gettext_lazy as _

from kpi_agreements.agreements.access import get_agreement_for
from kpi_agreements.agreements.models import KPI, Agreement, Party
from kpi_agreements.agreements.selectors import outline
from kpi_agreements.core.thai import local_name
from kpi_agreements.core.validators import NameField
from kpi_agreements.criteria.forms import WeightField
from kpi_agreements.organisation.pickers import PersonPickerField, people_around, person_search


@person_search("agreement")
def _agreement_people(user, pk):
    """The agreement's editors name people around its unit, as its forms offer them."""
    return people_around(get_agreement_for(user, pk, need="edit").unit)


class ActionPlanForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["vision", "mission", "strategic_issues", "goals", "strategies"]
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in fields}


class PartyForm(forms.ModelForm):
    person = PersonPickerField(required=False, label=_("Person"))

    class Meta:
        model = Party
        fields = ["role", "person", "position"]


class BasePartyFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["person"].offer(
            people_around(self.instance.unit),
            kind="agreement",
            obj=self.instance.pk,
            keep=form.instance.person_id,
        )


PartyFormSet = forms.inlineformset_factory(
    Agreement, Party, form=PartyForm, formset=BasePartyFormSet, extra=1, can_delete=True
)


class KPIForm(forms.ModelForm):
    """The KPI Template (§6) without its criteria, which the criteria editor handles."""

    weight = WeightField()
    # Moving a KPI under another (DOMAIN §4 nesting); the KPI services refuse cycles and other agreements.
    parent = forms.ChoiceField(
        required=False,
        label=_("Parent KPI"),
        help_text=_("Put this KPI, with its sub-KPIs, under another KPI of the agreement."),
    )
    supervisor = PersonPickerField(required=False, label=_("KPI supervisor"))
    collector = PersonPickerField(required=False, label=_("Data collector"))

    class Meta:
        model = KPI
        fields = [
            "name",
            "dimension",
            "weight",
            "unit_of_measure",
            "description",
            "formula",
            "conditions",
            "data_source",
            "collection_method",
            "evidence_required",
            "supervisor",
            "collector",
            "cascaded_from",
        ]
        widgets = {
            f: forms.Textarea(attrs={"rows": 2})
            for f in ("description", "formula", "conditions", "data_source", "collection_method")
        }
        field_classes = {"name": NameField}

    # Fields a named KPI supervisor or data collector may not touch (§ issue 4.9: template fields only).
    AGREEMENT_FIELDS = ("dimension", "weight", "supervisor", "collector", "parent")

    def __init__(self, *args, agreement: Agreement, template_only=False, cascade_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].queryset = agreement.fiscal_year.dimensions.all()
        self.fields["dimension"].label_from_instance = local_name
        self.fields["cascaded_from"].queryset = (
            cascade_choices if cascade_choices is not None else KPI.objects.none()
        )
        self.fields["cascaded_from"].label_from_instance = lambda k: (
            f"{k.agreement.unit.abbreviation} · {k.name}"
        )
        self.fields["cascaded_from"].required = False
        kpi = self.instance
        around = people_around(agreement.unit)
        for name in ("supervisor", "collector"):
            self.fields[name].offer(
                around, kind="agreement", obj=agreement.pk, keep=getattr(kpi, f"{name}_id")
            )
        self._offer_parents(agreement, kpi)
        has_children = bool(kpi.pk) and kpi.children.exists()  # asked once: two fields depend on it
        if kpi.pk and (kpi.parent_id or has_children):
            self.fields["dimension"].disabled = True
        if has_children:
            # A parent's weight is the sum of its children's (§4): shown, not typed.
            self.fields["weight"].disabled = True
            self.fields["weight"].help_text = _("The sum of the sub-KPIs' weights.")
        if template_only:
            for name in self.AGREEMENT_FIELDS:
                self.fields[name].disabled = True
        be = agreement.fiscal_year.be_year
        baseline = {str(row.get("year")): row.get("value", "") for row in (kpi.baseline or [])}
        for i, year in enumerate(range(be - 3, be), start=1):
            self.fields[f"baseline_{i}"] = forms.CharField(
                required=False,
                label=_("Result in %(year)s") % {"year": year},
                initial=baseline.get(str(year), ""),
            )
        self.baseline_years = list(range(be - 3, be))

    def _offer_parents(self, agreement: Agreement, kpi: KPI) -> None:
        """The agreement's live KPIs in reading order, less this KPI and its own sub-KPIs."""
        rows = outline(agreement.kpis.filter(cancelled_from_round__isnull=True).select_related("dimension"))
        subtree, inside, depth = set(), False, 0
        for row in rows:  # outline order: a KPI's subtree follows it, deeper than it
            if row.pk == kpi.pk:
                subtree.add(row.pk)
                inside, depth = True, row.depth
            elif inside and row.depth > depth:
                subtree.add(row.pk)
            else:
                inside = False
        self._parents = {str(r.pk): r for r in rows if r.pk not in subtree}
        field = self.fields["parent"]
        field.choices = [("", _("None: a top-level KPI"))] + [
            (pk, f"{'— ' * r.depth}{r.number} {r.name}") for pk, r in self._parents.items()
        ]
        field.initial = str(kpi.parent_id) if kpi.parent_id else ""
        if kpi.is_mandatory:
            field.disabled = True  # the framework sets where a mandatory KPI stands
            field.help_text = _("A mandatory KPI stays where the framework puts it.")

    def clean_parent(self):
        value = self.cleaned_data.get("parent") or ""
        return self._parents.get(value) if value else None

    def clean(self):
        data = super().clean()
        self.instance.baseline = [
            {"year": year, "value": (data.get(f"baseline_{i}") or "").strip()}
            for i, year in enumerate(self.baseline_years, start=1)
        ]
        return data

    def template_values(self) -> dict:
        values = {
            name: self.cleaned_data[name] for name in self.Meta.fields if not self.fields[name].disabled
        }
        values["baseline"] = self.instance.baseline
        if not self.fields["parent"].disabled:
            values["parent"] = self.cleaned_data["parent"]
        return values
