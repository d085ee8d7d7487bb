from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kpi_agreements import scoring
from kpi_agreements.organisation.views import _apply_errors

from . import services
from .access import can_manage_years, get_fiscal_year_for
from .forms import CalendarDayForm, FiscalYearForm, MilestoneFormSet, ScoringPolicyForm
from .models import FiscalYear


@login_required
def year_list(request):
    return render(
        request,
        "fiscal/year_list.html",
        {"years": FiscalYear.objects.all(), "can_manage": can_manage_years(request.user)},
    )


@login_required
def year_create(request):
    if not can_manage_years(request.user):
        raise Http404
    form = FiscalYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            year = services.fiscal_year_create(**form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("%(year)s was created with the default calendar.") % {"year": year})
            return redirect("year_detail", pk=year.pk)
    return render(request, "organisation/form.html", {"form": form, "title": _("New fiscal year")})


def _year_context(request, year, day_form=None, formset=None):
    holidays = year.holiday_dates
    milestones = list(year.milestones.all())
    for m in milestones:
        # DOMAIN §3: a deadline on a weekend or holiday moves to the next working day.
        m.effective_due = scoring.effective_deadline(m.due_date, holidays)
        m.rolled = m.effective_due != m.due_date
    can_manage = can_manage_years(request.user)
    return {
        "year": year,
        "milestones": milestones,
        "holidays": sorted(holidays.items()),
        "calendar_days": year.calendar_days.all(),
        "can_manage": can_manage,
        "day_form": day_form or (CalendarDayForm(fiscal_year=year) if can_manage else None),
        "formset": formset,
        "policy": year.policy,
    }


@login_required
def year_detail(request, pk):
    year = get_fiscal_year_for(request.user, pk)
    return render(request, "fiscal/year_detail.html", _year_context(request, year))


@login_required
def milestones_edit(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    formset = MilestoneFormSet(request.POST or None, queryset=year.milestones.all())
    if request.method == "POST" and formset.is_valid():
        services.milestones_save(fiscal_year=year, milestones=[f.instance for f in formset.forms])
        messages.success(request, _("The calendar was saved."))
        return redirect("year_detail", pk=year.pk)
    return render(request, "fiscal/milestones_edit.html", {"year": year, "formset": formset})


@login_required
@require_POST
def calendar_day_add(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    form = CalendarDayForm(request.POST, fiscal_year=year)
    if form.is_valid():
        try:
            services.calendar_day_add(fiscal_year=year, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        return render(
            request, "fiscal/year_detail.html", _year_context(request, year, day_form=form), status=400
        )
    messages.success(request, _("The day was added to the calendar."))
    return redirect("year_detail", pk=year.pk)


@login_required
@require_POST
def calendar_day_remove(request, pk, day_pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    year.calendar_days.filter(pk=day_pk).delete()
    messages.success(request, _("The day was removed from the calendar."))
    return redirect("year_detail", pk=year.pk)


@login_required
def scoring_policy_edit(request, pk):
    year = get_fiscal_year_for(request.user, pk, need="manage")
    form = ScoringPolicyForm(request.POST or None, initial=ScoringPolicyForm.initial_from(year.policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.scoring_policy_save(fiscal_year=year, data=form.policy_dict())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The scoring policy of %(year)s was saved.") % {"year": year})
            return redirect("year_detail", pk=year.pk)
    title = _("Scoring policy of %(year)s") % {"year": year}
    return render(request, "organisation/form.html", {"form": form, "title": title})
