"""The planning staff's publication pages: which years, units' signed agreements and verified totals are
announced to the public (DOMAIN §12). Thin views: an access helper, one service call, a redirect."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpi_agreements.agreements.models import Agreement
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.organisation.access import MANAGERS, scope_of

from . import services
from .access import can_publish_years, get_unit_for_publishing, get_year_for_publishing
from .models import PublicationEvent, UnitPublication, YearPublication

PAGE_SIZE = 50


@login_required
@require_GET
def publication_home(request):
    if not scope_of(request.user).manages_anything():
        raise Http404
    years = list(FiscalYear.objects.order_by("-be_year"))
    switches = {p.fiscal_year_id: p for p in YearPublication.objects.all()}
    for year in years:
        year.switches = switches.get(year.pk)
    return render(request, "public/manage_home.html", {"years": years})


def _in_scope_agreements(user, year: FiscalYear):
    """The year's agreements of the units the user may publish, with whether each is published."""
    published = UnitPublication.objects.filter(fiscal_year=year, unit=OuterRef("unit_id"))
    return (
        Agreement.objects.filter(fiscal_year=year)
        .filter(scope_of(user).unit_q(*MANAGERS, prefix="unit__"))
        .annotate(is_published=Exists(published))
        .select_related("unit")
        .order_by("unit__path")
    )


@login_required
@require_http_methods(["GET", "POST"])
def publication_year(request, pk):
    """The year's switches (managers of a whole organisation) and its agreements in the user's scope."""
    year = get_year_for_publishing(request.user, pk, need="year" if request.method == "POST" else "units")
    if request.method == "POST":
        services.year_set(
            fiscal_year=year,
            user=request.user,
            published=request.POST.get("published") == "on",
            totals=request.POST.get("totals") == "on",
        )
        messages.success(request, _("The year's publication was saved."))
        return redirect("publication_year", pk=year.pk)
    q = request.GET.get("q", "").strip()[:100]
    agreements = _in_scope_agreements(request.user, year)
    if q:
        agreements = agreements.filter(unit__name_th__icontains=q)
    switches = YearPublication.objects.filter(fiscal_year=year).first()
    return render(
        request,
        "public/manage_year.html",
        {
            "year": year,
            "switches": switches,
            "can_switch": can_publish_years(request.user),
            "page": Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page")),
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "signed": Agreement.Status.SIGNED,
            "events": PublicationEvent.objects.filter(fiscal_year=year)
            .filter(scope_of(request.user).unit_q(*MANAGERS, prefix="unit__") | Q(unit__isnull=True))
            .select_related("unit", "actor")[:20],
        },
    )


@login_required
@require_POST
def publication_unit(request, pk, unit_pk):
    """Publish or withdraw one unit's signed agreement of the year."""
    year = get_year_for_publishing(request.user, pk)
    unit = get_unit_for_publishing(request.user, unit_pk)
    if request.POST.get("action") == "withdraw":
        services.unit_withdraw(fiscal_year=year, unit=unit, user=request.user)
        messages.success(request, _("%(unit)s's agreement is no longer public.") % {"unit": unit.name_th})
    else:
        try:
            services.unit_publish(fiscal_year=year, unit=unit, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(unit)s's agreement is published.") % {"unit": unit.name_th})
    return redirect("publication_year", pk=year.pk)


@login_required
@require_POST
def publication_all(request, pk):
    """Publish every signed agreement of the year in the user's scope."""
    year = get_year_for_publishing(request.user, pk)
    count = services.units_publish_all(
        fiscal_year=year, units=scope_of(request.user).units(*MANAGERS), user=request.user
    )
    messages.success(request, _("%(count)s signed agreements were published.") % {"count": count})
    return redirect("publication_year", pk=year.pk)
