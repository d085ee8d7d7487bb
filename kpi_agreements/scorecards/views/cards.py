"""The scorecard of a subtree and its drill-down (issue 12 items 1–3): subtree → unit → dimension → KPI →
the KPI's result, narrative and evidence, each level beside the level-3 target; a unit's and a KPI's years.
Thin views: an access helper, one selector, a template. Every figure is a stored one (selectors.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kpi_agreements.agreements.models import Dimension
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.reporting.access import reports_visible_to
from kpi_agreements.reporting.models import Round
from kpi_agreements.reporting.selectors import flag_labels, needed, result_text

from .. import charts, selectors
from ..access import get_item_for, get_round_in_scope, get_unit_in_scope
from ..selectors import BASIS_LABELS, SELF, TARGET, VERIFIED, four
from .params import Params, basis_of, read_params

PAGE_SIZE = 50
ROUND_MONTHS = (6, 9, 12)


def _say(request, problems) -> None:
    for problem in problems:
        messages.error(request, problem)


def _basis_links(params: Params, **extra) -> list[tuple[str, str, bool]]:
    """The self-assessed / verified toggle: (label, query string, chosen)."""
    return [
        (
            BASIS_LABELS[b],
            params.query(basis=b if b != SELF else None, around=None, **extra),
            params.basis == b,
        )
        for b in (SELF, VERIFIED)
    ]


@login_required
@require_GET
def scorecard_home(request):
    """The years and rounds the user may read, each with its scorecard and dashboard."""
    scope = scope_of(request.user)
    rounds = Round.objects.select_related("fiscal_year").order_by("-fiscal_year__be_year", "months")
    if not (scope.is_superuser or scope.paths):
        years = reports_visible_to(request.user).values("round__fiscal_year")
        rounds = rounds.filter(fiscal_year__in=years)
    years = {}
    for r in rounds:
        years.setdefault(r.fiscal_year, []).append(r)
    return render(request, "scorecards/home.html", {"years": list(years.items())})


def _type_options(rows) -> list[tuple[int, str]]:
    return sorted({(r.type_id, r.type_name) for r in rows}, key=lambda t: t[1])


def _level_options(rows) -> list[int]:
    return sorted({r.depth for r in rows})


def scorecard_context(user, round: Round, params: Params, dimensions=None) -> dict:
    """Everything the scorecard shows (page and exports): the rows filtered, ranked and sorted."""
    year = round.fiscal_year
    dimensions = list(year.dimensions.all()) if dimensions is None else dimensions
    rows = selectors.scorecard_rows(user, round, basis=params.basis, root=params.unit)
    types, levels = _type_options(rows), _level_options(rows)
    rows = selectors.narrow(rows, unit_type=params.unit_type, level=params.level)
    selectors.rank(rows, year.policy, selectors.tiers_of(year))
    me = selectors.mark_own(rows, user)
    rows = selectors.sort_rows(rows, params.sort)
    return {
        "round": round,
        "year": year,
        "dimensions": dimensions,
        "rows": rows,
        "me": me,
        "types": types,
        "levels": levels,
        "params": params,
        "policy": year.policy,
        "threshold": four(year.policy.incentive_threshold),
        "basis_label": BASIS_LABELS[params.basis],
        "not_verified": any(r.not_verified for r in rows),
    }


@login_required
@require_GET
def scorecard(request, pk):
    round = get_round_in_scope(request.user, pk)
    dimensions = list(round.fiscal_year.dimensions.all())
    params = read_params(request, round.fiscal_year, dimensions)
    context = scorecard_context(request.user, round, params, dimensions)
    rows = context["rows"]
    if params.around:
        if context["me"] is None:
            params.problems.append(
                _("Your own unit has no ranked total in this round, so the whole list is shown.")
            )
            params.around = False
        else:
            rows = selectors.around(rows, context["me"])
    _say(request, params.problems)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.cells = row.dim_cells(context["dimensions"])
    sorts = {}
    for key in selectors.sort_keys(context["dimensions"]):
        # A second click on a column turns its order round.
        sorts[key] = params.query(sort=f"-{key}" if params.sort == key else key, around=None)
    context.update(
        page=page,
        query=params.query(),
        sorts=sorts,
        basis_links=_basis_links(params),
        around_query=params.query(around="me", sort=None),
        all_query=params.query(around=None),
        dimension_sorts=[(d, sorts[f"d{d.pk}"]) for d in context["dimensions"]],
        crumbs=selectors.breadcrumb_units(request.user, params.unit) if params.unit else [],
        exports=[("scorecard_pdf", _("PDF")), ("scorecard_xlsx", _("Excel"))],
    )
    return render(request, "scorecards/scorecard.html", context)


def _unit_card(user, round: Round, unit, basis: str) -> dict:
    report = selectors.report_of(user, round, unit)
    card, shown, not_verified = selectors.card_of(report, basis)
    return {
        "report": report,
        "card": card,
        "shown": shown,
        "shown_label": BASIS_LABELS[shown],
        "not_verified": not_verified,
        "total": four(selectors.total_of(report, shown)) if report else "",
        "subtotal": four(card.get("subtotal")),
        "penalty": four(card.get("penalty")) if card else (four(report.penalty) if report else ""),
    }


@login_required
@require_GET
def scorecard_unit(request, pk, unit_pk):
    """One unit in the round: its total and dimension scores beside the target, and the units below it."""
    round = get_round_in_scope(request.user, pk)
    year = round.fiscal_year
    unit = get_unit_in_scope(request.user, unit_pk, year)
    problems = []
    params = Params(basis=basis_of(request, problems))
    _say(request, problems)
    dimensions = list(year.dimensions.all())
    context = _unit_card(request.user, round, unit, params.basis)
    children = selectors.scorecard_rows(
        request.user, round, basis=params.basis, root=unit, depth=unit.depth + 1
    )
    selectors.rank(children, year.policy, [])
    for row in children:
        row.cells = row.dim_cells(dimensions)
    context.update(
        round=round,
        year=year,
        unit=unit,
        params=params,
        query=params.query(),
        basis_links=_basis_links(params),
        dimensions=dimensions,
        dimension_rows=selectors.dimension_rows(context["card"], dimensions),
        children=children,
        target=four(TARGET),
        crumbs=selectors.breadcrumb_units(request.user, unit),
        flags=flag_labels(context["report"].flags) if context["report"] else [],
        subtree_query=params.query(unit=unit.pk),
        # Why there is no report (no agreement, not signed, none in this round): the unit's own row.
        own_row=None
        if context["report"]
        else next(iter(selectors.scorecard_rows(request.user, round, root=unit, depth=unit.depth)), None),
    )
    return render(request, "scorecards/unit.html", context)


@login_required
@require_GET
def scorecard_dimension(request, pk, unit_pk, dimension_pk):
    """One dimension of a unit's card: its KPIs with their stored scores beside the target."""
    round = get_round_in_scope(request.user, pk)
    year = round.fiscal_year
    unit = get_unit_in_scope(request.user, unit_pk, year)
    dimension = get_object_or_404(Dimension, pk=dimension_pk, fiscal_year=year)
    problems = []
    params = Params(basis=basis_of(request, problems))
    _say(request, problems)
    context = _unit_card(request.user, round, unit, params.basis)
    if context["report"] is None:
        raise Http404  # a unit without a report has no KPIs to show in this round
    context["report"].round = round  # the round read once, for the level-3 criteria (its year's policy)
    figures = (context["card"].get("dimensions") or {}).get(str(dimension.pk)) or {}
    context.update(
        round=round,
        year=year,
        unit=unit,
        dimension=dimension,
        params=params,
        query=params.query(),
        basis_links=_basis_links(params),
        dimension_score=four(figures.get("score")),
        dimension_weight=four(figures.get("weight")),
        dimension_weighted=four(figures.get("weighted")),
        items=selectors.item_rows(context["report"], dimension, context["card"], context["shown"]),
        target=four(TARGET),
        crumbs=selectors.breadcrumb_units(request.user, unit),
    )
    return render(request, "scorecards/dimension.html", context)


@login_required
@require_GET
def scorecard_kpi(request, pk):
    """One KPI in one round: its stored score beside the target, its result, narrative and evidence."""
    item = get_item_for(request.user, pk)
    report = item.report
    round, unit = report.round, report.agreement.unit
    problems = []
    params = Params(basis=basis_of(request, problems))
    _say(request, problems)
    card, shown, not_verified = selectors.card_of(report, params.basis)
    figures = (card.get("kpis") or {}).get(item.code) or {}
    result = item.verified_result if shown == VERIFIED and item.verified_result is not None else item.result
    context = {
        "item": item,
        "report": report,
        "round": round,
        "year": round.fiscal_year,
        "unit": unit,
        "dimension": item.dimension,
        "params": params,
        "query": params.query(),
        "basis_links": _basis_links(params),
        "shown_label": BASIS_LABELS[shown],
        "not_verified": not_verified,
        "score": four(figures.get("score")),
        "weight": four(figures.get("weight")),
        "weighted": four(figures.get("weighted")),
        "missing": bool(figures.get("missing")),
        "in_card": bool(figures),
        "result": result_text(item, result),
        "self_result": result_text(item, item.result),
        "verified_result": result_text(item, item.verified_result),
        "self_score": four(item.self_score),
        "verified_score": four(item.verified_score),
        "needed_3": needed(item, 3, round.fiscal_year.policy),
        "target": four(TARGET),
        "evidence": list(item.evidence.all()),
        "flags": flag_labels(item.flags),
        "crumbs": selectors.breadcrumb_units(request.user, unit),
    }
    return render(request, "scorecards/kpi.html", context)


def _months(request, problems) -> int:
    value = request.GET.get("months", "") or "12"
    if value not in {str(m) for m in ROUND_MONTHS}:
        problems.append(
            _("Choose the 6-, 9- or 12-month round; “%(value)s” was ignored.") % {"value": value[:40]}
        )
        return 12
    return int(value)


@login_required
@require_GET
def unit_years(request, pk):
    """A unit's totals and dimension scores over the years, in one round of each year (12 months by
    default), dimensions matched by their order in each year's framework."""
    unit = get_unit_in_scope(request.user, pk)
    problems = []
    params = Params(basis=basis_of(request, problems))
    months = _months(request, problems)
    _say(request, problems)
    data = selectors.unit_years(request.user, unit, months, params.basis)
    rows = data["rows"]
    categories = [str(r["year"].be_year) for r in rows]
    series = [charts.Series(_("Total"), [r["total"] for r in rows])]
    for order, _name in data["orders"]:
        series.append(
            charts.Series(_("Dimension %(order)s") % {"order": order}, [r["values"][order] for r in rows])
        )
    floor = min((r["year"].policy.floor for r in rows), default=0)
    chart = charts.line_chart(
        "unit-years",
        _("%(unit)s: totals and dimension scores over the years") % {"unit": unit.name_th},
        categories,
        series,
        low=floor,
        guides=[(TARGET, _("target %(score)s") % {"score": four(TARGET)})],
    )
    return render(
        request,
        "scorecards/unit_years.html",
        {
            "unit": unit,
            "rows": rows,
            "orders": data["orders"],
            "months": months,
            "month_choices": ROUND_MONTHS,
            "params": params,
            "basis_links": _basis_links(params, months=months),
            "chart": chart,
            "crumbs": selectors.breadcrumb_units(request.user, unit),
        },
    )


@login_required
@require_GET
def kpi_years(request, pk):
    """A KPI's results over the years where it continues (selectors.same_kpi), in the same round."""
    item = get_item_for(request.user, pk)
    problems = []
    params = Params(basis=basis_of(request, problems))
    _say(request, problems)
    rows = selectors.kpi_years(request.user, item, params.basis)
    chart = charts.line_chart(
        "kpi-years",
        _("%(kpi)s: score over the years") % {"kpi": item.name},
        [str(r["year"].be_year) for r in rows],
        [charts.Series(_("Score"), [r["score"] for r in rows])],
        low=min((r["year"].policy.floor for r in rows), default=0),
        guides=[(TARGET, _("target %(score)s") % {"score": four(TARGET)})],
    )
    unit = item.report.agreement.unit
    return render(
        request,
        "scorecards/kpi_years.html",
        {
            "item": item,
            "unit": unit,
            "round": item.report.round,
            "rows": rows,
            "params": params,
            "basis_links": _basis_links(params),
            "chart": chart,
            "crumbs": selectors.breadcrumb_units(request.user, unit),
        },
    )


urlpatterns = [
    path("scorecards/", scorecard_home, name="scorecard_home"),
    path("scorecards/rounds/<int:pk>/", scorecard, name="scorecard"),
    path("scorecards/rounds/<int:pk>/units/<int:unit_pk>/", scorecard_unit, name="scorecard_unit"),
    path(
        "scorecards/rounds/<int:pk>/units/<int:unit_pk>/dimensions/<int:dimension_pk>/",
        scorecard_dimension,
        name="scorecard_dimension",
    ),
    path("scorecards/items/<int:pk>/", scorecard_kpi, name="scorecard_kpi"),
    path("scorecards/units/<int:pk>/years/", unit_years, name="scorecard_unit_years"),
    path("scorecards/items/<int:pk>/years/", kpi_years, name="scorecard_kpi_years"),
]
