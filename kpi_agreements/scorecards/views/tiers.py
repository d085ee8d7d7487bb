"""The year's incentive tiers (DOMAIN §11, policy): read by everyone signed in, as the year's scoring policy
is; changed by administrators and planning staff of a whole organisation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kpi_agreements.fiscal.access import can_manage_years

from .. import services
from ..access import get_tiers_year_for
from ..forms import TierFormSet, tier_rows
from ..selectors import four, tiers_of


def _initial(tiers) -> list[dict]:
    return [{"name_th": t.name_th, "name_en": t.name_en, "lower_bound": t.lower_bound} for t in tiers]


@login_required
@require_http_methods(["GET", "POST"])
def incentive_tiers(request, pk):
    may_manage = can_manage_years(request.user)
    year = get_tiers_year_for(request.user, pk, need="manage" if request.method == "POST" else "read")
    tiers = tiers_of(year)
    formset = None
    if may_manage:
        formset = TierFormSet(request.POST or None, initial=_initial(tiers), prefix="tiers")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "copy":
                services.tiers_copy_previous(fiscal_year=year)
            elif formset.is_valid():
                services.tiers_save(fiscal_year=year, rows=tier_rows(formset))
            else:
                raise ValidationError(_("Correct the tiers marked below."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The incentive tiers of %(year)s were saved.") % {"year": year})
            return redirect("incentive_tiers", pk=year.pk)
    threshold = year.policy.incentive_threshold
    bands = []
    for index, tier in enumerate(tiers):
        upper = tiers[index + 1].lower_bound if index + 1 < len(tiers) else None
        bands.append(
            {"tier": tier, "low": four(tier.lower_bound), "high": four(upper) if upper is not None else ""}
        )
    return render(
        request,
        "scorecards/tiers.html",
        {
            "year": year,
            "bands": bands,
            "threshold": four(threshold),
            "formset": formset,
            "may_manage": may_manage,
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [path("years/<int:pk>/incentive-tiers/", incentive_tiers, name="incentive_tiers")]
