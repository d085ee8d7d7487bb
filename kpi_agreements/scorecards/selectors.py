"""Reads of the scorecards (DOMAIN §11): every unit in the user's scope with its stored total, dimension
scores, late penalty, status and flags in one round, self-assessed or verified; ranks, incentive tiers and
the dashboard's figures; a unit's and a KPI's results over the years.

Nothing here scores. Every total and score is read from what the reporting app stored from the engine's
``round_card`` (``RoundReport.self_total`` / ``verified_total``, the cards' ``dimensions`` and ``kpis``, and
``ReportItem.self_score`` / ``verified_score``); the dashboard only counts those stored totals, puts them in
bands and averages them. A unit without a report is *missing*: it has no total, never 0 or 1.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext_lazy as _

from kpi_agreements.agreements.models import Agreement, Dimension
from kpi_agreements.organisation.access import scope_of
from kpi_agreements.organisation.models import Unit
from kpi_agreements.reporting.access import reports_visible_to
from kpi_agreements.reporting.models import ReportItem, Round, RoundReport
from kpi_agreements.reporting.selectors import flag_labels, needed, result_text
from kpi_agreements.reporting.services.cards import SELF, VERIFIED

from .models import IncentiveTier

FOUR = Decimal("0.0001")
# The level-3 target (§7: "meets target"): the score every level of the drill-down is shown beside.
TARGET = Decimal("3.0000")
BASES = (SELF, VERIFIED)
BASIS_LABELS = {SELF: _("Self-assessed"), VERIFIED: _("Verified")}
NO_AGREEMENT, NOT_SIGNED, NO_REPORT = "no_agreement", "not_signed", "no_report"
MISSING_LABELS = {
    NO_AGREEMENT: _("No agreement this year"),
    NOT_SIGNED: _("Agreement not signed"),
    NO_REPORT: _("No report in this round"),
}
STATUS_LABELS = dict(RoundReport.Status.choices)
BAND = Decimal("0.5")
TOP = Decimal(5)


def decimal(value) -> Decimal | None:
    """A stored figure (Decimal, or a card's "3.4500") as a Decimal; None where there is none."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def four(value) -> str:
    """A stored figure with its 4 places; "" where there is none."""
    number = decimal(value)
    return "" if number is None else str(number.quantize(FOUR, rounding=ROUND_HALF_UP))


# --- incentive tiers (§11, policy per year) -----------------------------------------------------------


def tiers_of(fiscal_year) -> list[IncentiveTier]:
    return list(IncentiveTier.objects.filter(fiscal_year=fiscal_year).order_by("lower_bound"))


def eligible(total: Decimal | None, threshold: Decimal) -> bool:
    """§11: eligible for incentive money at a total of at least the threshold. Compared here rather than with
    ``scoring.incentive_eligible``, which refuses a total above 5: sums of rounded figures can give 5.0001."""
    return total is not None and total >= threshold


def tier_for(total: Decimal | None, threshold: Decimal, tiers: list[IncentiveTier]) -> IncentiveTier | None:
    """The tier of an eligible total: the one with the highest lower bound at or below it (tiers sorted by
    lower bound). None when not eligible or below the first tier."""
    if not eligible(total, threshold):
        return None
    found = None
    for tier in tiers:
        if total >= tier.lower_bound:
            found = tier
    return found


# --- the scorecard's rows ------------------------------------------------------------------------------


@dataclass
class UnitRow:
    """One unit in one round: its report's stored figures, or missing."""

    unit_id: int
    name_th: str
    abbreviation: str
    path: str
    depth: int
    type_id: int
    type_name: str
    head_id: int | None
    report_id: int | None = None
    status: str = ""
    submitted: bool = False
    days_late: int = 0
    penalty: Decimal | None = None
    total: Decimal | None = None
    # dimension id → its stored score in the card shown (None: the card has none)
    dims: dict = field(default_factory=dict)
    basis: str = SELF  # the card the figures come from
    not_verified: bool = False  # verified figures asked, the report not verified yet: self-assessed shown
    flags: list = field(default_factory=list)
    missing: str = ""  # why there is no report (MISSING_LABELS)
    rank: int | None = None
    is_eligible: bool = False
    tier: IncentiveTier | None = None
    own: bool = False
    previous_total: Decimal | None = None
    previous_ranked: bool = False

    @property
    def has_report(self) -> bool:
        return self.report_id is not None

    @property
    def ranked(self) -> bool:
        """Ranked, banded and counted for incentives: a report sent (its total is the unit's own, not work in
        progress) with a total."""
        return self.submitted and self.total is not None

    @property
    def total_text(self) -> str:
        return four(self.total)

    @property
    def penalty_text(self) -> str:
        return four(self.penalty)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, "")

    @property
    def missing_label(self) -> str:
        return MISSING_LABELS.get(self.missing, "")

    @property
    def flag_labels(self) -> list[str]:
        return flag_labels(self.flags)

    @property
    def change(self) -> Decimal | None:
        """This round's total less the same round's last year (both stored totals)."""
        if not (self.ranked and self.previous_ranked):
            return None
        return self.total - self.previous_total

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return ""
        return ("+" if change > 0 else "") + four(change)

    def dim_cells(self, dimensions) -> list[tuple]:
        return [(d, four(self.dims.get(d.pk))) for d in dimensions]


def _report_values(user, round: Round, basis: str, root: Unit | None, depth: int | None, with_dims: bool):
    reports = reports_visible_to(user).filter(round=round)
    if root is not None:
        reports = reports.filter(agreement__unit__path__startswith=root.path)
    if depth is not None:
        reports = reports.filter(agreement__unit__depth=depth)
    columns = dict(
        unit_id=F("agreement__unit_id"),
        name_th=F("agreement__unit__name_th"),
        abbreviation=F("agreement__unit__abbreviation"),
        path=F("agreement__unit__path"),
        depth=F("agreement__unit__depth"),
        type_id=F("agreement__unit__unit_type_id"),
        type_name=F("agreement__unit__unit_type__name_th"),
        head_id=F("agreement__unit__head_id"),
        submitted=ExpressionWrapper(Q(submitted_at__isnull=False), output_field=BooleanField()),
    )
    if with_dims:
        # Only the cards' dimension rows travel, not every KPI of every card.
        columns["self_dims"] = KeyTransform("dimensions", "self_card")
        if basis == VERIFIED:
            columns["verified_dims"] = KeyTransform("dimensions", "verified_card")
    return reports.order_by().values(
        "pk",
        "status",
        "days_late",
        "penalty",
        "self_total",
        "verified_total",
        "flags",
        **columns,
    )


def _missing_values(user, round: Round, root: Unit | None, depth: int | None):
    """The active units of the user's own subtrees with no report in the round, and why."""
    units = Unit.objects.filter(scope_of(user).unit_q(), is_active=True)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    if depth is not None:
        units = units.filter(depth=depth)
    agreement = Agreement.objects.filter(unit=OuterRef("pk"), fiscal_year=round.fiscal_year_id)
    return (
        # A list built once, not a correlated subquery per unit: that one scanned the round's reports for
        # every unit (seconds at 2,000 units on SQLite).
        units.exclude(pk__in=RoundReport.objects.filter(round=round).values("agreement__unit_id"))
        .annotate(agreement_status=Subquery(agreement.values("status")[:1]))
        .values(
            "pk",
            "name_th",
            "abbreviation",
            "path",
            "depth",
            "head_id",
            "agreement_status",
            type_id=F("unit_type_id"),
            type_name=F("unit_type__name_th"),
        )
    )


def _dims(value) -> dict:
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, figures in value.items():
        if str(key).isdigit() and isinstance(figures, dict):
            out[int(key)] = decimal(figures.get("score"))
    return out


def scorecard_rows(
    user,
    round: Round,
    *,
    basis: str = SELF,
    root: Unit | None = None,
    depth: int | None = None,
    with_dims: bool = True,
) -> list[UnitRow]:
    """Every unit in the user's scope (under ``root``, at ``depth`` if given) in the round, in tree order:
    with its report's stored figures, or missing. Two queries whatever the number of units.

    Verified figures are those of a verified report; any other report shows its self-assessed figures with
    the ``not_verified`` marker."""
    rows = []
    for r in _report_values(user, round, basis, root, depth, with_dims):
        use_verified = basis == VERIFIED and r["status"] == RoundReport.Status.VERIFIED
        rows.append(
            UnitRow(
                unit_id=r["unit_id"],
                name_th=r["name_th"],
                abbreviation=r["abbreviation"],
                path=r["path"],
                depth=r["depth"],
                type_id=r["type_id"],
                type_name=r["type_name"],
                head_id=r["head_id"],
                report_id=r["pk"],
                status=r["status"],
                submitted=bool(r["submitted"]),
                days_late=r["days_late"],
                penalty=r["penalty"],
                total=r["verified_total"] if use_verified else r["self_total"],
                dims=_dims(r.get("verified_dims") if use_verified else r.get("self_dims")),
                basis=VERIFIED if use_verified else SELF,
                not_verified=basis == VERIFIED and not use_verified,
                flags=list(r["flags"] or []),
            )
        )
    for u in _missing_values(user, round, root, depth):
        status = u["agreement_status"]
        rows.append(
            UnitRow(
                unit_id=u["pk"],
                name_th=u["name_th"],
                abbreviation=u["abbreviation"],
                path=u["path"],
                depth=u["depth"],
                type_id=u["type_id"],
                type_name=u["type_name"],
                head_id=u["head_id"],
                basis=basis,
                missing=NO_AGREEMENT
                if status is None
                else NO_REPORT
                if status == Agreement.Status.SIGNED
                else NOT_SIGNED,
            )
        )
    rows.sort(key=lambda row: row.path)
    return rows


def narrow(rows: list[UnitRow], *, unit_type: int | None = None, level: int | None = None) -> list[UnitRow]:
    return [
        r
        for r in rows
        if (unit_type is None or r.type_id == unit_type) and (level is None or r.depth == level)
    ]


def rank(rows: list[UnitRow], policy, tiers: list[IncentiveTier]) -> None:
    """Rank the units with a total (1 = highest; equal totals share a rank, the next rank skips), and mark
    eligibility and tier by the year's threshold and tiers."""
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (-r.total, r.path))
    previous, position = None, 0
    for index, row in enumerate(ranked, start=1):
        if row.total != previous:
            position, previous = index, row.total
        row.rank = position
    for row in rows:
        row.rank = row.rank if row.ranked else None
        row.is_eligible = row.ranked and eligible(row.total, policy.incentive_threshold)
        row.tier = tier_for(row.total, policy.incentive_threshold, tiers) if row.ranked else None


def mark_own(rows: list[UnitRow], user) -> UnitRow | None:
    """Mark the user's own units (where they hold a role, or head); return the most specific one ranked."""
    paths = {p for paths in scope_of(user).paths.values() for p in paths}
    own = None
    for row in rows:
        row.own = row.path in paths or (row.head_id is not None and row.head_id == user.pk)
        if row.own and row.ranked and (own is None or row.depth > own.depth):
            own = row
    return own


def _by(key: str):
    if key == "tree":
        return lambda r: r.path
    if key == "name":
        return lambda r: r.name_th
    if key == "total":
        return lambda r: r.total
    if key == "penalty":
        return lambda r: r.penalty
    if key == "late":
        return lambda r: r.days_late if r.submitted else None
    if key.startswith("d") and key[1:].isdigit():
        dimension = int(key[1:])
        return lambda r: r.dims.get(dimension)
    return None


def sort_keys(dimensions) -> set[str]:
    return {"rank", "tree", "name", "total", "penalty", "late", *(f"d{d.pk}" for d in dimensions)}


def sort_rows(rows: list[UnitRow], sort: str) -> list[UnitRow]:
    """``rank`` (ranked units first by rank, then the reports not yet sent, then the missing), or a column,
    ``-`` in front for descending; units without the figure always come last."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "rank":
        ranked = sorted((r for r in rows if r.ranked), key=lambda r: (r.rank, r.path), reverse=descending)
        others = sorted((r for r in rows if not r.ranked), key=lambda r: (not r.has_report, r.path))
        return ranked + others
    get = _by(key)
    present = [r for r in rows if get(r) is not None]
    absent = [r for r in rows if get(r) is None]
    present.sort(key=lambda r: (get(r), r.path), reverse=descending)
    return present + absent


def around(rows: list[UnitRow], me: UnitRow, reach: int = 5) -> list[UnitRow]:
    """The ranked units from ``reach`` places above the user's unit to ``reach`` places below it."""
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (r.rank, r.path))
    index = ranked.index(me)
    return ranked[max(0, index - reach) : index + reach + 1]


# --- one unit, one dimension, one KPI -------------------------------------------------------------------


def report_of(user, round: Round, unit: Unit) -> RoundReport | None:
    return (
        reports_visible_to(user)
        .filter(round=round, agreement__unit=unit)
        .select_related("agreement__unit__unit_type", "round__fiscal_year")
        .first()
    )


def card_of(report: RoundReport | None, basis: str) -> tuple[dict, str, bool]:
    """The stored card to show, the basis it is on, and whether verified figures were asked of a report not
    yet verified (then the self-assessed card is shown with the marker)."""
    if report is None:
        return {}, basis, False
    if basis == VERIFIED and report.status == RoundReport.Status.VERIFIED:
        return report.verified_card or {}, VERIFIED, False
    return report.self_card or {}, SELF, basis == VERIFIED


def total_of(report: RoundReport, shown: str) -> Decimal | None:
    return report.verified_total if shown == VERIFIED else report.self_total


def dimension_rows(card: dict, dimensions) -> list[dict]:
    stored = card.get("dimensions") or {}
    rows = []
    for d in dimensions:
        figures = stored.get(str(d.pk)) or {}
        rows.append(
            {
                "dimension": d,
                "weight": four(figures.get("weight")),
                "score": four(figures.get("score")),
                "weighted": four(figures.get("weighted")),
                "in_card": bool(figures),
            }
        )
    return rows


def item_rows(report: RoundReport, dimension: Dimension, card: dict, shown: str) -> list[dict]:
    """The KPIs of one dimension in card order, with their stored figures; one query."""
    policy = report.round.fiscal_year.policy
    kpis = card.get("kpis") or {}
    items = (
        report.items.filter(dimension=dimension)
        .annotate(evidence_count=Count("evidence"))
        .order_by("order", "id")
    )
    rows = []
    for item in items:
        figures = kpis.get(item.code) or {}
        rows.append(
            {
                "item": item,
                "depth": item.code.count("."),
                "weight": four(figures.get("weight")),
                "score": four(figures.get("score")),
                "weighted": four(figures.get("weighted")),
                "missing": bool(figures.get("missing")),
                "in_card": bool(figures),
                "target": "; ".join(needed(item, 3, policy)) if item.is_leaf else "",
            }
        )
    return rows


def breadcrumb_units(user, unit: Unit) -> list[Unit]:
    """The units above ``unit`` that the user may open, root first (one query)."""
    # Someone reading a unit through a committee seat or a named KPI only gets no units above it.
    scope = scope_of(user)
    above = Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("depth")
    return [u for u in above if scope.covers(u)]


# --- across the years -------------------------------------------------------------------------------------


def unit_years(user, unit: Unit, months: int, basis: str) -> dict:
    """The unit's reports in the ``months`` round of every year the user may read, oldest first, with the
    totals and dimension scores matched across years by the dimension's order (two queries)."""
    reports = list(
        reports_visible_to(user)
        .filter(agreement__unit=unit, round__months=months)
        .select_related("round__fiscal_year")
        .order_by("round__fiscal_year__be_year")
    )
    years = [r.round.fiscal_year_id for r in reports]
    dimensions = list(Dimension.objects.filter(fiscal_year__in=years).order_by("order", "id"))
    orders = sorted({d.order for d in dimensions})
    names = {}
    for d in dimensions:
        names.setdefault(d.order, d.name_th)  # the oldest year's name heads the column
    order_of = {d.pk: d.order for d in dimensions}
    rows = []
    for report in reports:
        card, shown, not_verified = card_of(report, basis)
        by_order = {}
        for key, figures in (card.get("dimensions") or {}).items():
            if str(key).isdigit() and int(key) in order_of and isinstance(figures, dict):
                by_order[order_of[int(key)]] = decimal(figures.get("score"))
        rows.append(
            {
                "report": report,
                "year": report.round.fiscal_year,
                "total": total_of(report, shown),
                "total_text": four(total_of(report, shown)),
                "dims": [(o, four(by_order.get(o))) for o in orders],
                "values": {o: by_order.get(o) for o in orders},
                "not_verified": not_verified,
                "status_label": STATUS_LABELS.get(report.status, ""),
            }
        )
    return {"rows": rows, "orders": [(o, names[o]) for o in orders]}


def same_kpi(item: ReportItem, other: ReportItem) -> bool:
    """Whether ``other`` (another year's report of the same unit) is the same KPI as ``item`` continued.

    KPIs are not linked across years: "copy from last year" (agreements.services.drafting) copies name,
    template and the mandatory KPI's code, and ``cascaded_from`` links units within one year. So: the same
    mandatory KPI code where the KPI is mandatory; otherwise the same KPI name (as frozen in the report) in
    the dimension of the same order."""
    mine, theirs = item.kpi.mandatory, other.kpi.mandatory
    if mine is not None or theirs is not None:
        return mine is not None and theirs is not None and mine.code == theirs.code
    return item.name.strip() == other.name.strip() and item.dimension.order == other.dimension.order


def kpi_years(user, item: ReportItem, basis: str) -> list[dict]:
    """The KPI's results over the years where it continues (``same_kpi``), in the same round: one query."""
    report = item.report
    candidates = (
        ReportItem.objects.filter(
            report__in=reports_visible_to(user).filter(
                agreement__unit=report.agreement.unit_id, round__months=report.round.months
            ),
            is_leaf=item.is_leaf,
        )
        .filter(Q(pk=item.pk) | ~Q(report__round__fiscal_year=report.round.fiscal_year_id))
        .select_related("report__round__fiscal_year", "kpi__mandatory", "dimension")
        .order_by("report__round__fiscal_year__be_year", "order", "id")
    )
    rows, seen = [], set()
    for other in candidates:
        year = other.report.round.fiscal_year
        if year.pk in seen or not (other.pk == item.pk or same_kpi(item, other)):
            continue
        seen.add(year.pk)
        card, shown, not_verified = card_of(other.report, basis)
        figures = (card.get("kpis") or {}).get(other.code) or {}
        result = (
            other.verified_result if shown == VERIFIED and other.verified_result is not None else other.result
        )
        rows.append(
            {
                "item": other,
                "year": year,
                "result": result_text(other, result),
                "score": decimal(figures.get("score")),
                "score_text": four(figures.get("score")),
                "weight": four(figures.get("weight")),
                "weighted": four(figures.get("weighted")),
                "not_verified": not_verified,
                "current": other.pk == item.pk,
            }
        )
    return rows


# --- the executive dashboard --------------------------------------------------------------------------


def bands(rows: list[UnitRow], floor: Decimal) -> list[dict]:
    """Ranked totals in bands of 0.5 from the policy's floor to 5: [a, a + 0.5), the last one closed and
    taking any total above 5 (sums of rounded figures can give 5.0001)."""
    edges = []
    low = Decimal(floor)
    while low < TOP:
        edges.append(low)
        low += BAND
    counts = [0] * len(edges)
    for row in rows:
        if not row.ranked:
            continue
        index = 0
        for i, edge in enumerate(edges):
            if row.total >= edge:
                index = i
        counts[index] += 1
    return [
        {"low": edge, "high": edge + BAND, "label": f"{edge:.1f}–{edge + BAND:.1f}", "count": count}
        for edge, count in zip(edges, counts, strict=True)
    ]


def summary(rows: list[UnitRow], policy, tiers: list[IncentiveTier]) -> dict:
    """Counts of one round: units in scope, reported (on time, late), being entered, missing; eligible and
    per tier; the mean of the ranked totals (a statistic of stored totals, rounded half-up to 4 places)."""
    ranked = [r for r in rows if r.ranked]
    reported = [r for r in rows if r.submitted]
    mean = None
    if ranked:
        mean = (sum(r.total for r in ranked) / len(ranked)).quantize(FOUR, rounding=ROUND_HALF_UP)
    eligible_rows = [r for r in ranked if eligible(r.total, policy.incentive_threshold)]
    per_tier = []
    for tier in tiers:
        per_tier.append({"tier": tier, "count": sum(1 for r in eligible_rows if r.tier == tier)})
    untiered = sum(1 for r in eligible_rows if r.tier is None)
    units = len(rows)
    return {
        "units": units,
        "reported": len(reported),
        "on_time": sum(1 for r in reported if r.days_late == 0),
        "late": sum(1 for r in reported if r.days_late > 0),
        "entering": sum(1 for r in rows if r.has_report and not r.submitted),
        "missing": sum(1 for r in rows if not r.has_report),
        "verified": sum(1 for r in rows if r.status == RoundReport.Status.VERIFIED),
        "ranked": len(ranked),
        "mean": mean,
        "mean_text": four(mean),
        "eligible": len(eligible_rows),
        "eligible_share": _share(len(eligible_rows), units),
        "threshold": policy.incentive_threshold,
        "threshold_text": four(policy.incentive_threshold),
        "tiers": per_tier,
        "untiered": untiered,
        "flagged": sum(1 for r in rows if r.flags),
    }


def _share(part: int, whole: int) -> str:
    """A percentage with one decimal place, "–" of nothing."""
    if not whole:
        return "–"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}"


def previous_round(round: Round) -> Round | None:
    return (
        Round.objects.filter(fiscal_year__be_year=round.fiscal_year.be_year - 1, months=round.months)
        .select_related("fiscal_year")
        .first()
    )


def dashboard(user, round: Round, *, basis: str, root: Unit | None = None) -> dict:
    """The executive dashboard of the user's scope (under ``root``) in the round, beside the same round of
    the previous year. A fixed number of queries whatever the number of units."""
    year = round.fiscal_year
    policy = year.policy
    tiers = tiers_of(year)
    rows = scorecard_rows(user, round, basis=basis, root=root, with_dims=False)
    rank(rows, policy, tiers)
    mark_own(rows, user)
    now = summary(rows, policy, tiers)
    distribution = bands(rows, policy.floor)
    before = previous_round(round)
    then = None
    if before is not None:
        before_policy, before_tiers = before.fiscal_year.policy, tiers_of(before.fiscal_year)
        before_rows = scorecard_rows(user, before, basis=basis, root=root, with_dims=False)
        rank(before_rows, before_policy, before_tiers)
        then = summary(before_rows, before_policy, before_tiers)
        # This year's bands, so the two years compare band by band.
        then["bands"] = bands(before_rows, policy.floor)
        totals = {r.unit_id: r for r in before_rows if r.ranked}
        for row in rows:
            earlier = totals.get(row.unit_id)
            if earlier is not None:
                row.previous_total, row.previous_ranked = earlier.total, True
    ranking = sorted((r for r in rows if r.ranked), key=lambda r: (r.rank, r.path))
    return {
        "rows": rows,
        "summary": now,
        "bands": distribution,
        "ranking": ranking,
        "flagged": [r for r in rows if r.flags],
        "previous_round": before,
        "previous": then,
        "tiers": tiers,
        "policy": policy,
    }
