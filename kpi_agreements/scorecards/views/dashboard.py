"""The executive dashboard (issue 12 item 4): for the user's subtree and the chosen round, units reported, on
time and late; the distribution of totals in bands of 0.5; the ranking; the share eligible for incentives and
the tiers; the units flagged for site visits; the same round of the previous year beside it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import charts, selectors
from ..access import get_round_in_scope
from ..selectors import BASIS_LABELS, four
from .cards import _basis_links
from .params import Params, read_params

RANKING_SHOWN = 10
FLAGGED_SHOWN = 20


def dashboard_charts(data: dict, round) -> dict:
    """The dashboard's two charts from its figures (the page and the PDF draw the same)."""
    year = round.fiscal_year
    bands = data["bands"]
    series = [charts.Series(str(year), [b["count"] for b in bands])]
    previous = data["previous"]
    if previous is not None:
        series.insert(
            0, charts.Series(str(data["previous_round"].fiscal_year), [b["count"] for b in previous["bands"]])
        )
    distribution = charts.bar_chart(
        "distribution",
        _("Units by total, in bands of 0.5 (%(round)s)") % {"round": round},
        [b["label"] for b in bands],
        series,
        unit=_("units"),
    )
    summary = data["summary"]
    categories = [_("Below %(threshold)s") % {"threshold": summary["threshold_text"]}]
    counts = [summary["ranked"] - summary["eligible"]]
    if summary["untiered"] or not summary["tiers"]:
        categories.append(_("Eligible") if not summary["tiers"] else _("Eligible, below the first tier"))
        counts.append(summary["untiered"])
    for entry in summary["tiers"]:
        categories.append(entry["tier"].name_th)
        counts.append(entry["count"])
    tiers = charts.bar_chart(
        "tiers",
        _("Units by incentive tier (%(round)s)") % {"round": round},
        categories,
        [charts.Series(str(year), counts)],
        unit=_("units"),
    )
    return {
        "distribution_chart": distribution,
        "tiers_chart": tiers,
        "tier_rows": list(zip(categories, counts, strict=True)),
    }


def _blank(value):
    """0 stays 0; an empty figure (no mean of no totals) is shown as a dash."""
    return None if value == "" else value


def dashboard_context(user, round, params: Params) -> dict:
    data = selectors.dashboard(user, round, basis=params.basis, root=params.unit)
    previous = data["previous"]
    comparison = []
    if previous is not None:
        now = data["summary"]
        for key, label in [
            ("units", _("Units in scope")),
            ("reported", _("Reported")),
            ("on_time", _("On time")),
            ("late", _("Late")),
            ("missing", _("No report")),
            ("mean_text", _("Mean of the totals")),
            ("eligible", _("Eligible for incentives")),
            ("eligible_share", _("Eligible, per cent of units")),
            ("flagged", _("Flagged for site visits")),
        ]:
            comparison.append(
                {
                    "key": key,
                    "label": label,
                    "now": _blank(now[key]),
                    "then": _blank(previous[key]),
                }
            )
    before = previous["bands"] if previous is not None else [None] * len(data["bands"])
    return {
        **data,
        **dashboard_charts(data, round),
        "band_rows": [
            (b["label"], p["count"] if p else None, b["count"])
            for b, p in zip(data["bands"], before, strict=True)
        ],
        "ranking_shown": data["ranking"][:RANKING_SHOWN],
        "flagged_shown": data["flagged"][:FLAGGED_SHOWN],
        "round": round,
        "year": round.fiscal_year,
        "params": params,
        "basis_label": BASIS_LABELS[params.basis],
        "comparison": comparison,
        "not_verified": any(r.not_verified for r in data["rows"]),
        "threshold": four(data["policy"].incentive_threshold),
    }


@login_required
@require_GET
def dashboard(request, pk):
    round = get_round_in_scope(request.user, pk)
    params = read_params(request, round.fiscal_year)
    for problem in params.problems:
        messages.error(request, problem)
    context = dashboard_context(request.user, round, params)
    context.update(
        query=params.query(),
        scorecard_query=params.query(sort=None),
        basis_links=_basis_links(params),
        exports=[("dashboard_pdf", _("PDF")), ("dashboard_xlsx", _("Excel"))],
    )
    return render(request, "scorecards/dashboard.html", context)


urlpatterns = [path("scorecards/rounds/<int:pk>/dashboard/", dashboard, name="scorecard_dashboard")]
