"""Reads for the reporting pages: the report page's rows from the stored cards, what a level needs, a result
in words, the round's deadline, and the "my KPIs to report" lists. Scores and totals are read from the stored
cards and item scores, never recomputed here (services/cards.py keeps them)."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

from kpi_agreements import scoring
from kpi_agreements.agreements.access import EDITORS
from kpi_agreements.criteria.rows import format_decimal
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.scoring import ScoringError

from .access import can_enter_item
from .models import ReportItem, Round, RoundReport
from .services.flow import FLAG_LABELS


def flag_labels(codes) -> list[str]:
    """The site-visit flags' codes in words (services.flow.FLAG_LABELS)."""
    return [FLAG_LABELS.get(code, code) for code in codes or ()]


def _number(value) -> str:
    return format_decimal(value) if isinstance(value, Decimal) else str(value)


def needed(item: ReportItem, level: int, policy) -> list[str]:
    """What the KPI needs for ``level`` (scoring.required_result), as lines of text; [] if the criteria are
    unreadable. Milestone: every step up to the level; several measures: "measure: threshold" each."""
    try:
        value = scoring.required_result(item.method, item.criteria, level, policy)
    except (ScoringError, KeyError, TypeError):
        return []
    if value is None:
        return [gettext("any result")]
    if item.method == "multi_quantitative":
        names = [m.get("name") or "" for m in item.criteria.get("measures", [])]
        return [
            f"{name}: {_number(v)}" if name else _number(v) for name, v in zip(names, value, strict=False)
        ]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [_number(value)]


def result_text(item: ReportItem, result) -> str:
    """A result in a few words, in the method's terms; "" when there is none."""
    if not isinstance(result, dict):
        return ""
    method = item.method
    if method == "quantitative":
        return str(result.get("actual", ""))
    if method == "multi_quantitative":
        return ", ".join(str(a) for a in result.get("actuals") or [])
    if method == "milestone":
        ticks = [t for level in result.get("done") or [] for t in level or []]
        return gettext("%(done)s of %(total)s steps done") % {
            "done": sum(map(bool, ticks)),
            "total": len(ticks),
        }
    if method == "pass_fail":
        return gettext("Met") if result.get("passed") else gettext("Not met")
    if method == "qualitative":
        return gettext("Level %(level)s") % {"level": result.get("level")}
    return ""


def deadline(round: Round) -> date | None:
    """The round's deadline from the year's calendar, rolled forward to a working day (§3)."""
    year = round.fiscal_year
    milestone = next((m for m in year.milestones.all() if m.kind == round.milestone_kind), None)
    if milestone is None:
        return None
    return scoring.effective_deadline(milestone.due_date, year.holiday_dates)


def _differs(mine: dict | None, theirs: dict | None) -> bool:
    return bool(mine and theirs) and mine.get("score") != theirs.get("score")


def report_rows(report: RoundReport, user) -> dict:
    """The report page's table in card order: a row per dimension (where it starts) and per KPI, each with its
    self-assessed and verified figures from the stored cards. Three queries whatever the size."""
    policy = report.round.fiscal_year.policy
    items = list(report.items.select_related("kpi", "dimension").prefetch_related("evidence"))
    self_card, verified_card = report.self_card or {}, report.verified_card or {}
    self_kpis, verified_kpis = self_card.get("kpis", {}), verified_card.get("kpis", {})
    self_dims, verified_dims = self_card.get("dimensions", {}), verified_card.get("dimensions", {})
    rows, dimension = [], None
    for item in items:
        item.report = report  # one report for all rows: access checks below read it without a query
        if item.dimension_id != dimension:
            dimension = item.dimension_id
            key = str(dimension)
            rows.append(
                {
                    "kind": "dimension",
                    "dimension": item.dimension,
                    "self": self_dims.get(key),
                    "verified": verified_dims.get(key),
                    "differs": _differs(self_dims.get(key), verified_dims.get(key)),
                }
            )
        mine, theirs = self_kpis.get(item.code), verified_kpis.get(item.code)
        rows.append(
            {
                "kind": "kpi",
                "item": item,
                "depth": item.code.count("."),
                "self": mine,
                "verified": theirs,
                "differs": _differs(mine, theirs),
                "target": "; ".join(needed(item, 3, policy)) if item.is_leaf else "",
                "result": result_text(item, item.result),
                "verified_result": result_text(item, item.verified_result),
                "flags": flag_labels(item.flags),
                "evidence": list(item.evidence.all()),
                "can_enter": item.is_leaf and can_enter_item(user, item),
            }
        )
    totals = {
        key: {
            "self": self_card.get(key),
            "verified": verified_card.get(key),
            "differs": bool(verified_card) and self_card.get(key) != verified_card.get(key),
        }
        for key in ("subtotal", "penalty", "total")
    }
    return {"rows": rows, "totals": totals, "verified_card": bool(verified_card)}


# --- "my KPIs to report" ---------------------------------------------------------------------------------


def my_items(user) -> QuerySet[ReportItem]:
    """Every KPI in an open round that the user collects or supervises, report by report."""
    if not user.is_authenticated:
        return ReportItem.objects.none()
    return (
        ReportItem.objects.filter(report__round__opened_at__isnull=False, is_leaf=True)
        .filter(Q(kpi__collector=user.pk) | Q(kpi__supervisor=user.pk))
        .select_related("report__round__fiscal_year", "report__agreement__unit")
        .order_by(
            "-report__round__fiscal_year__be_year",
            "-report__round__months",
            "report__agreement__unit__path",
            "report_id",
            "order",
            "id",
        )
    )


def my_unit_reports(user) -> QuerySet[RoundReport] | None:
    """For unit heads, planning staff and administrators: their units' reports in open rounds, with the KPIs
    entered and still to enter counted in SQL. None for anyone without such a role."""
    scope = scope_of(user)
    if not (scope.is_superuser or scope.roles() & set(EDITORS)):
        return None
    counted = Q(items__is_leaf=True, items__later_round=False)
    return (
        RoundReport.objects.filter(round__opened_at__isnull=False)
        .filter(scope.unit_q(*EDITORS, prefix="agreement__unit__"))
        .select_related("round__fiscal_year", "agreement__unit")
        .annotate(
            entered=Count("items", filter=counted & Q(items__result__isnull=False)),
            to_enter=Count("items", filter=counted & Q(items__result__isnull=True)),
        )
        .order_by("-round__fiscal_year__be_year", "-round__months", "agreement__unit__path", "id")
    )
