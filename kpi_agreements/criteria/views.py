"""The score calculator: any method's criteria against a result, with what levels 3 and 5 need."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kpi_agreements.core.params import id_param
from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.scoring import METHODS, ScoringPolicy

from .forms import CalculatorForm, calculate


def _year(request) -> FiscalYear | None:
    """The year whose policy scores: ``?year=<pk>`` (404 if there is no such year), else the current one."""
    pk = id_param(request, "year")
    if pk is None:
        return FiscalYear.objects.filter(is_current=True).first()
    return get_fiscal_year_for(request.user, pk)


@login_required
def calculator(request):
    """Try scoring criteria of any method against a result; htmx swaps only the result panel."""
    year = _year(request)
    policy = year.policy if year else ScoringPolicy()
    data = request.POST if request.method == "POST" else None
    # The KPI editor posts its own criteria fields, named with the "criteria" prefix, to this same view.
    prefix = "criteria" if request.GET.get("prefix") == "criteria" else None
    method = request.GET.get("method")
    initial = {"method": method if method in METHODS else METHODS[0]}
    form = CalculatorForm(data, prefix=prefix, initial=initial)
    outcome = calculate(form, policy, live=bool(request.htmx)) if form.is_bound and form.is_valid() else None
    context = {"form": form, "outcome": outcome, "year": year, "policy": policy}
    if request.htmx:
        return render(request, "criteria/_calculator_live.html", context)
    return render(request, "criteria/calculator.html", context)
