"""The framework of a fiscal year (DOMAIN §4), the signing rules (§5) and the year's agreements.

Thin views: access check, form, one service call, redirect. Managers of a root unit edit the framework and
the signing rules (they are organisation-wide, like the calendar); everyone logged in reads them.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from kpi_agreements.agreements import selectors
from kpi_agreements.agreements.access import agreements_visible_to
from kpi_agreements.agreements.forms.framework import (
    MAX_NEW_DIMENSIONS,
    AgreementCopyForm,
    AgreementsCreateForm,
    MandatoryKPIForm,
    RedistributionRuleForm,
    SigningRuleFormSet,
    dimension_formset_class,
)
from kpi_agreements.agreements.jobs import YEAR_CREATE, YEAR_EXPORT, can_export_year
from kpi_agreements.agreements.models import KPI, Agreement, MandatoryKPI, SigningRule
from kpi_agreements.agreements.services import drafting, framework
from kpi_agreements.core.thai import local_name
from kpi_agreements.criteria.forms import CalculatorForm, CriteriaForm
from kpi_agreements.fiscal.access import can_manage_years, get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import UnitType
from kpi_agreements.organisation.views import _apply_errors
from kpi_agreements.workflow.access import JOB_LABELS
from kpi_agreements.workflow.jobs import job_request, jobs_about

AGREEMENT_CREATORS = drafting.AGREEMENT_CREATORS


def _errors_by_field(exc: ValidationError) -> dict:
    return exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}


def _apply_row_errors(forms_by_key: dict, exc: ValidationError, param: str, fallback) -> None:
    """Put a service's errors about one row of a table on that row's field (the row's key is in params)."""
    for field, errors in _errors_by_field(exc).items():
        for error in errors:
            form = forms_by_key.get((error.params or {}).get(param), fallback)
            form.add_error(field if field in form.fields else None, error)


# --- the framework -----------------------------------------------------------------------------------


NEW_FRAMEWORK_ROWS = 4  # DOMAIN §4: a framework has four dimensions, as FY2552's


def _new_rows(request, year, previous) -> int:
    """Empty rows offered for new dimensions: asked for (?rows=), else a new framework's usual count (the
    previous year's, or four), else one."""
    try:
        return int(request.GET.get("rows", ""))
    except ValueError:
        pass
    if year.dimensions.exists():
        return 1
    return (previous.dimensions.count() if previous else 0) or NEW_FRAMEWORK_ROWS


def _dimension_formset(year, data=None, extra=1):
    # The empty rows for new dimensions come numbered after the last one; the same initial values must be
    # given when the form is posted, or an untouched empty row would count as changed.
    last = max(year.dimensions.values_list("order", flat=True), default=0)
    initial = [{"order": last + i} for i in range(1, MAX_NEW_DIMENSIONS + 1)]
    formset_class = dimension_formset_class(extra)
    return formset_class(data, queryset=year.dimensions.all(), prefix="dimensions", initial=initial)


def _framework_context(request, year, formset=None, rule_form=None):
    can_manage = can_manage_years(request.user)
    dimensions = list(year.dimensions.all())
    rows = selectors.mandatory_outline(
        year.mandatory_kpis.select_related("dimension").prefetch_related("unit_types", "rules_out")
    )
    groups = [(d, [m for m in rows if m.dimension_id == d.pk]) for d in dimensions]
    check = selectors.framework_check(year, rows)
    total = check.total
    previous = FiscalYear.objects.filter(be_year=year.be_year - 1).first()
    extra = 0
    if can_manage:
        if formset is None:
            extra = _new_rows(request, year, previous)
            formset = _dimension_formset(year, extra=extra)
        if rule_form is None:
            rule_form = RedistributionRuleForm(fiscal_year=year)
    rules = sorted(
        year.redistribution_rules.select_related("source", "target"),
        key=lambda r: (selectors.natural_key(r.source.code), selectors.natural_key(r.target.code)),
    )
    return {
        "year": year,
        "can_manage": can_manage,
        "dimensions": dimensions,
        "groups": groups,
        # Per dimension: (dimension, mandatory weight, room left for the units' own KPIs).
        "check": check,
        "total": total,
        "balanced": total == framework.HUNDRED,
        "rules": rules,
        "formset": formset,
        "more_rows": min(max(extra, 1) + 1, MAX_NEW_DIMENSIONS),
        "rule_form": rule_form if rows else None,
        "previous": previous,
        "can_copy": can_manage and not dimensions and previous is not None,
    }


@login_required
def framework_detail(request, pk):
    year = get_fiscal_year_for(request.user, pk)
    return render(request, "agreements/framework_detail.html", _framework_context(request, year))


@login_required
@require_POST
def framework_dimensions(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    formset = _dimension_formset(year, request.POST)
    if formset.is_valid():
        dimensions = formset.save(commit=False)
        try:
            total = framework.dimensions_save(
                fiscal_year=year, dimensions=dimensions, deleted=formset.deleted_objects
            )
        except ValidationError as exc:
            by_pk = {f.instance.pk: f for f in formset.forms if f.instance.pk}
            _apply_row_errors(by_pk, exc, "dimension", formset.forms[0])
        else:
            messages.success(request, _("The dimensions were saved."))
            if total != framework.HUNDRED:
                messages.warning(
                    request,
                    _(
                        "The dimensions weigh %(total)s in all, not 100. "
                        "Correct the weights before agreements are made."
                    )
                    % {"total": selectors.format_weight(total)},
                )
            return redirect("framework_detail", pk=year.pk)
    context = _framework_context(request, year, formset=formset)
    return render(request, "agreements/framework_detail.html", context, status=400)


@login_required
@require_POST
def framework_copy(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    try:
        framework.framework_copy_previous(fiscal_year=year)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The framework of FY %(year)s was copied.") % {"year": year.be_year - 1})
    return redirect("framework_detail", pk=year.pk)


@login_required
def mandatory_kpi_edit(request, pk, mpk=None):
    year = get_fiscal_year_for(request.user, pk)
    mandatory = get_object_or_404(year.mandatory_kpis.select_related("dimension"), pk=mpk) if mpk else None
    if not can_manage_years(request.user):
        if mandatory is None or request.method == "POST":
            raise Http404
        return render(
            request,
            "agreements/framework_mandatory_detail.html",
            {
                "year": year,
                "mandatory": mandatory,
                "unit_types": mandatory.unit_types.all(),
                "children": sorted(mandatory.children.all(), key=lambda m: selectors.natural_key(m.code)),
            },
        )
    if not year.dimensions.exists():
        messages.error(request, _("Set up the dimensions of %(year)s first.") % {"year": year})
        return redirect("framework_detail", pk=year.pk)
    data = request.POST if request.method == "POST" else None
    instance = mandatory or MandatoryKPI(fiscal_year=year)
    form = MandatoryKPIForm(data, instance=instance, fiscal_year=year)
    initial = (
        CriteriaForm.initial_from(mandatory.method, mandatory.criteria, mandatory.direction)
        if mandatory
        else None
    )
    # The calculator form is a superset of the criteria form, so the calculator can sit beside it.
    criteria_form = CalculatorForm(data, prefix="criteria", initial=initial)
    if data is not None:
        form_ok = form.is_valid()
        criteria = criteria_form.validated_criteria() if criteria_form.is_valid() else None
        if form_ok and criteria is not None:
            method, document = criteria
            try:
                mandatory = framework.mandatory_kpi_save(
                    fiscal_year=year,
                    mandatory=mandatory,
                    unit_types=form.cleaned_data["unit_types"],
                    method=method,
                    direction=criteria_form.cleaned_data["direction"] or "higher",
                    criteria=document,
                    **form.service_fields(),
                )
            except ValidationError as exc:
                for field, errors in _errors_by_field(exc).items():
                    target = criteria_form if field == "criteria" else form
                    target.add_error(field if field in target.fields else None, errors)
            else:
                messages.success(request, _("Mandatory KPI %(code)s was saved.") % {"code": mandatory.code})
                return redirect("framework_detail", pk=year.pk)
    title = _("Mandatory KPI %(code)s") % {"code": mandatory.code} if mandatory else _("New mandatory KPI")
    return render(
        request,
        "agreements/framework_mandatory_form.html",
        {
            "year": year,
            "mandatory": mandatory,
            "form": form,
            "criteria_form": criteria_form,
            "title": title,
            "deletion": _deletion(mandatory) if mandatory else None,
        },
        status=400 if form.errors or criteria_form.errors else 200,
    )


def _deletion(mandatory: MandatoryKPI) -> dict:
    """The confirmation of deleting a mandatory KPI, naming what goes with it (issue 13.12)."""
    effects = selectors.mandatory_delete_effects(mandatory)
    parts = [
        _("Delete mandatory KPI %(code)s %(name)s (weight %(weight)s)?")
        % {
            "code": mandatory.code,
            "name": mandatory.name,
            "weight": selectors.format_weight(mandatory.weight),
        }
    ]
    if effects["children"]:
        parts.append(
            _("Its sub-KPIs %(codes)s are deleted with it.")
            % {"codes": ", ".join(m.code for m in effects["children"])}
        )
    if effects["rules"]:
        parts.append(
            ngettext(
                "The redistribution rule %(rules)s is deleted with it.",
                "The redistribution rules %(rules)s are deleted with it.",
                len(effects["rules"]),
            )
            % {"rules": ", ".join(f"{r.source.code} → {r.target.code}" for r in effects["rules"])}
        )
    if mandatory.parent_id:
        parts.append(
            _("KPI %(parent)s will weigh what its other sub-KPIs weigh.") % {"parent": mandatory.parent.code}
        )
    parts.append(_("Agreements already created keep their copies."))
    return {**effects, "question": " ".join(parts)}


@login_required
@require_POST
def mandatory_kpi_delete(request, pk, mpk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    mandatory = get_object_or_404(year.mandatory_kpis, pk=mpk)
    try:
        framework.mandatory_kpi_delete(mandatory=mandatory)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mandatory_kpi_edit", pk=year.pk, mpk=mandatory.pk)
    messages.success(request, _("Mandatory KPI %(code)s was deleted.") % {"code": mandatory.code})
    return redirect("framework_detail", pk=year.pk)


@login_required
@require_POST
def redistribution_rule_add(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    form = RedistributionRuleForm(request.POST, fiscal_year=year)
    if form.is_valid():
        try:
            framework.redistribution_rule_add(fiscal_year=year, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        context = _framework_context(request, year, rule_form=form)
        return render(request, "agreements/framework_detail.html", context, status=400)
    messages.success(request, _("The redistribution rule was added."))
    return redirect("framework_detail", pk=year.pk)


@login_required
@require_POST
def redistribution_rule_remove(request, pk, rpk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    framework.redistribution_rule_remove(rule=get_object_or_404(year.redistribution_rules, pk=rpk))
    messages.success(request, _("The redistribution rule was removed."))
    return redirect("framework_detail", pk=year.pk)


# --- signing rules -----------------------------------------------------------------------------------


@login_required
def signing_rules(request):
    can_manage = can_manage_years(request.user)
    if request.method == "POST" and not can_manage:
        raise Http404
    types = list(UnitType.objects.all())
    by_pk = {t.pk: t for t in types}
    rules = {
        r.unit_type_id: r for r in SigningRule.objects.select_related("recipient_type", "co_signer_type")
    }
    if not can_manage:
        rows = [(t, rules.get(t.pk)) for t in types]
        return render(request, "agreements/signing_rules.html", {"rows": rows, "can_manage": False})
    initial = [
        {
            "unit_type": t.pk,
            "recipient_type": getattr(rules.get(t.pk), "recipient_type_id", None),
            "co_signer_type": getattr(rules.get(t.pk), "co_signer_type_id", None),
        }
        for t in types
    ]
    data = request.POST if request.method == "POST" else None
    formset = SigningRuleFormSet(data, initial=initial, prefix="rules")
    if data is not None and formset.is_valid():
        rows = [
            (f.cleaned_data["unit_type"], f.cleaned_data["recipient_type"], f.cleaned_data["co_signer_type"])
            for f in formset.forms
        ]
        try:
            framework.signing_rules_save(rows=rows)
        except ValidationError as exc:
            by_type = {f.cleaned_data["unit_type"].pk: f for f in formset.forms}
            _apply_row_errors(by_type, exc, "unit_type", formset.forms[0])
        else:
            messages.success(request, _("The signing rules were saved."))
            return redirect("signing_rules")
    form_rows = []
    for form in formset.forms:
        try:
            unit_type = by_pk.get(int(form["unit_type"].value()))
        except (TypeError, ValueError):
            unit_type = None
        form_rows.append((unit_type, form))
    return render(
        request,
        "agreements/signing_rules.html",
        {"formset": formset, "form_rows": form_rows, "can_manage": True},
        status=400 if data is not None else 200,
    )


# --- the year's agreements ---------------------------------------------------------------------------

PAGE_SIZE = 50
CANDIDATES_SHOWN = 100  # units offered one by one; beyond that, a search or "every unit" (one job either way)
RECENT_JOBS = 5
SEARCH_WORDS = 5


class YearAgreementsFilter(forms.Form):
    """The year's agreements: searched by unit name or abbreviation, filtered by status and unit type. The
    search and the type also narrow the units offered for new agreements."""

    q = forms.CharField(label=_lazy("Search units"), required=False, max_length=100)
    status = forms.ChoiceField(label=_lazy("Status"), required=False)
    type = forms.ModelChoiceField(
        label=_lazy("Unit type"),
        queryset=UnitType.objects.order_by("code"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _lazy("Every status")), *Agreement.Status.choices]
        self.fields["type"].empty_label = _lazy("Every unit type")
        self.fields["type"].label_from_instance = local_name

    def units_q(self, prefix: str = "") -> Q:
        """The search and type as a filter on units (``prefix``: the path to the unit, e.g. "unit__")."""
        data = self.cleaned_data if self.is_valid() else {}
        q = Q()
        for word in (data.get("q") or "").split()[:SEARCH_WORDS]:
            q &= Q(**{f"{prefix}name_th__icontains": word}) | Q(**{f"{prefix}abbreviation__icontains": word})
        if data.get("type"):
            q &= Q(**{f"{prefix}unit_type": data["type"]})
        return q

    def chosen_status(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""

    def query(self, *names) -> str:
        """The filters given, urlencoded, for the pager and the links that keep them."""
        return urlencode([(n, self.data[n]) for n in names or self.fields if self.data.get(n)])


class YearAgreementsCreateForm(AgreementsCreateForm):
    """The units ticked, or ``every`` unit without an agreement among those the user manages (those the
    page's search and type show): the page offers at most CANDIDATES_SHOWN units one by one."""

    every = forms.BooleanField(required=False)

    def __init__(self, *args, year, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["units"].required = False

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("every"):
            # The page's search and type, posted with the button, narrow "every" as they narrow the list.
            units = _creatable_units(self.allowed, self.year).filter(
                YearAgreementsFilter(self.data).units_q()
            )
            data["units"] = list(units)
            if not data["units"]:
                self.add_error(None, _("Every unit you manage has an agreement for this year."))
        elif not data.get("units"):
            self.add_error("units", forms.Field.default_error_messages["required"])
        return data


def _creatable_units(allowed, year):
    """Of the ``allowed`` units, the active ones that have no agreement in ``year`` yet."""
    return (
        allowed.filter(is_active=True)
        .exclude(agreements__fiscal_year=year)
        .select_related("unit_type")
        .order_by("path")
    )


def _agreements_page(request, year, filters: YearAgreementsFilter):
    """One page of the agreements the user may read, with each one's live KPI count and top-level weight:
    summed for the page's agreements only, so the page costs the same at any size."""
    agreements = (
        agreements_visible_to(request.user)
        .filter(filters.units_q("unit__"), fiscal_year=year)
        .select_related("unit__unit_type")
        .order_by("unit__path", "pk")
    )
    if filters.chosen_status():
        agreements = agreements.filter(status=filters.chosen_status())
    page = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # KPIs cancelled by an approved change request are no longer part of the agreement (§9).
    totals = {
        row["agreement_id"]: row
        for row in KPI.objects.filter(agreement__in=[a.pk for a in rows], cancelled_from_round__isnull=True)
        .values("agreement_id")
        .annotate(kpi_count=Count("pk"), total_weight=Sum("weight", filter=Q(parent__isnull=True)))
    }
    for agreement in rows:
        found = totals.get(agreement.pk, {})
        agreement.kpi_count = found.get("kpi_count", 0)
        agreement.total_weight = found.get("total_weight")
    page.object_list = rows
    return page


def _recent_jobs(request, year) -> list:
    jobs = list(jobs_about(year, [YEAR_CREATE, YEAR_EXPORT]).filter(requested_by=request.user)[:RECENT_JOBS])
    for job in jobs:
        job.label = JOB_LABELS.get(job.kind, job.kind)
    return jobs


def _year_agreements_context(request, year, create_form=None, copy_form=None):
    filters = YearAgreementsFilter(request.GET)
    context = {
        "year": year,
        "filters": filters,
        "agreements": _agreements_page(request, year, filters),
        "query": filters.query(),
        "create_form": create_form,
        "copy_form": copy_form,
        "can_export": can_export_year(request.user),
        "jobs": _recent_jobs(request, year),
        "candidates": [],
        "candidates_total": 0,
        "copyable": [],
        "previous": None,
    }
    allowed = scope_of(request.user).units(*AGREEMENT_CREATORS)
    context["can_create"] = allowed.exists()
    if not context["can_create"]:
        return context
    creatable = _creatable_units(allowed, year)
    candidates = list(creatable.filter(filters.units_q())[: CANDIDATES_SHOWN + 1])
    total = len(candidates)
    if total > CANDIDATES_SHOWN:
        candidates, total = candidates[:CANDIDATES_SHOWN], creatable.filter(filters.units_q()).count()
    previous = FiscalYear.objects.filter(be_year=year.be_year - 1).first()
    copyable = []
    if previous is not None and candidates:
        with_previous = set(
            Agreement.objects.filter(fiscal_year=previous, unit__in=[u.pk for u in candidates]).values_list(
                "unit_id", flat=True
            )
        )
        copyable = [u for u in candidates if u.pk in with_previous]
    types = {}
    for unit in candidates:
        types.setdefault(unit.unit_type_id, unit.unit_type)
    selected = set()
    if create_form is not None and create_form.is_bound:
        selected = {str(v) for v in create_form.data.getlist("units")}
    context.update(
        candidates=candidates,
        candidates_total=total,
        candidate_types=list(types.values()),
        selected=selected,
        copyable=copyable,
        previous=previous,
        every_type=filters.cleaned_data.get("type") if filters.is_valid() else None,
        narrowed=bool(filters.query("q", "type")),  # the units offered are those the search shows
    )
    return context


def _warn_framework(request, year, context) -> None:
    """Before the year's agreements are created, say what in the framework would make them start wrong."""
    if context["candidates"]:
        for problem in selectors.framework_check(year).problems:
            messages.warning(request, _("Framework: %(problem)s") % {"problem": problem})


@login_required
def year_agreements(request, pk):
    """The year's agreements the user may read, 50 a page, searched and filtered; for planning staff and
    administrators, the units still without one, to create their drafts (a background job) or copy last
    year's; for whoever may, the button that makes the year's workbook (a background job too)."""
    year = get_fiscal_year_for(request.user, pk)
    context = _year_agreements_context(request, year)
    _warn_framework(request, year, context)
    return render(request, "agreements/year_agreements.html", context)


def _allowed_units(request):
    allowed = scope_of(request.user).units(*AGREEMENT_CREATORS).filter(is_active=True)
    if not allowed.exists():
        raise Http404
    return allowed


@login_required
@require_POST
def year_agreements_create(request, pk):
    """Ask for the drafts of the units chosen (or every unit without one) to be created by a background job
    (jobs.year_create); its page shows the progress and how many were made."""
    year = get_fiscal_year_for(request.user, pk)
    form = YearAgreementsCreateForm(request.POST, allowed=_allowed_units(request), year=year)
    if form.is_valid():
        job = job_request(
            kind=YEAR_CREATE,
            user=request.user,
            subject=year,
            units=[unit.pk for unit in form.cleaned_data["units"]],
            language=get_language(),
        )
        return redirect("job_detail", job.pk)
    context = _year_agreements_context(request, year, create_form=form)
    return render(request, "agreements/year_agreements.html", context, status=400)


@login_required
@require_POST
def year_agreement_copy(request, pk):
    year = get_fiscal_year_for(request.user, pk)
    form = AgreementCopyForm(request.POST, allowed=_allowed_units(request))
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            drafting.agreement_copy_previous(unit=unit, fiscal_year=year)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The agreement of %(unit)s was copied from FY %(year)s.")
                % {"unit": unit, "year": year.be_year - 1},
            )
            return redirect("year_agreements", pk=year.pk)
    context = _year_agreements_context(request, year, copy_form=form)
    return render(request, "agreements/year_agreements.html", context, status=400)
