from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kpi_agreements.fiscal.access import get_fiscal_year_for
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.scoring import METHODS, ScoringPolicy

from .scoring_ui import CalculatorForm, calculate


@never_cache
@require_safe
def health(request):
    """Liveness for the container health checks: the database answers.

    Behind HTTPS=true the probe must look like the TLS proxy (a Host from ALLOWED_HOSTS and
    X-Forwarded-Proto: https), else SecurityMiddleware refuses or redirects it before this view runs.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _year(request) -> FiscalYear | None:
    """The year whose policy scores: ``?year=<pk>`` (404 if there is no such year), else the current one."""
    pk = request.GET.get("year")
    if not pk:
        return FiscalYear.objects.filter(is_current=True).first()
    if not (pk.isascii() and pk.isdigit() and len(pk) < 10):  # 404, not a database error on "abc" or 10^30
        raise Http404
    return get_fiscal_year_for(request.user, int(pk))


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
        return render(request, "core/_calculator_live.html", context)
    return render(request, "core/calculator.html", context)
