"""Rounds and the reports they hold (DOMAIN §8): opening a round builds one report per signed agreement, its
items frozen from the agreement version in force on the period's last day."""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from kpi_agreements.agreements.models import KPI, Agreement, AgreementVersion
from kpi_agreements.agreements.selectors import outline
from kpi_agreements.fiscal.models import FiscalYear
from kpi_agreements.workflow.notify import queue_notices
from kpi_agreements.workflow.services import record

from ..models import PERIOD_END, ReportItem, Round, RoundReport
from .cards import refresh_self_card, score_self

FROZEN = (
    "code",
    "parent_code",
    "order",
    "is_leaf",
    "dimension_id",
    "name",
    "unit_of_measure",
    "weight",
    "method",
    "direction",
    "criteria",
    "baseline",
    "evidence_required",
)


def default_opening(fiscal_year: FiscalYear, months: int) -> date:
    """Policy (§8): the first day of the period's last month (1 March, 1 June, 1 September)."""
    month, _day = PERIOD_END[months]
    return date(fiscal_year.ce_end_year, month, 1)


def rounds_ensure(fiscal_year: FiscalYear) -> list[Round]:
    """The year's three rounds, created with the default opening dates if missing."""
    existing = {r.months: r for r in fiscal_year.rounds.all()}
    for months in (6, 9, 12):
        if months not in existing:
            existing[months] = Round.objects.create(
                fiscal_year=fiscal_year, months=months, opens_on=default_opening(fiscal_year, months)
            )
    return [existing[m] for m in (6, 9, 12)]


@transaction.atomic
def round_open(*, round: Round, user=None) -> int:
    """Open the round for entry (planning staff, or the daily task on its opening date) and build the report
    of every signed agreement of the year that has none yet. Idempotent; returns the reports built."""
    round = Round.objects.select_for_update().select_related("fiscal_year").get(pk=round.pk)
    if not round.is_open:
        round.opened_at = timezone.now()
        round.opened_by = user if getattr(user, "is_authenticated", False) else None
        round.save(update_fields=["opened_at", "opened_by"])
        queue_notices(
            record(round, action="open", from_state="closed", to_state="open", actor=round.opened_by)
        )
    return reports_build(round)


# Agreements built per batch: a 2,000-unit year opens in a few bulk inserts, with memory that stays flat.
BUILD_BATCH = 200


def reports_build(round: Round) -> int:
    ids = list(
        Agreement.objects.filter(fiscal_year=round.fiscal_year_id, status=Agreement.Status.SIGNED)
        .exclude(round_reports__round=round)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BUILD_BATCH):
        _build(round, ids[start : start + BUILD_BATCH])
    return len(ids)


def _build(round: Round, ids: list[int]) -> None:
    """The reports of these agreements with their items and self-assessed cards, in bulk (with history)."""
    kpis, versions = defaultdict(dict), defaultdict(list)
    for kpi in KPI.objects.filter(agreement__in=ids).select_related("dimension"):
        kpis[kpi.agreement_id][kpi.pk] = kpi
    for version in AgreementVersion.objects.filter(agreement__in=ids):
        versions[version.agreement_id].append(version)
    reports, items = [], []
    for agreement in Agreement.objects.filter(pk__in=ids).order_by("pk"):
        number, rows = frozen_rows(agreement, round.months, kpis[agreement.pk], versions[agreement.pk])
        report = RoundReport(round=round, agreement=agreement, version=number)
        own = [ReportItem(report=report, kpi_id=row["kpi_id"], **{f: row[f] for f in FROZEN}) for row in rows]
        score_self(report, own)
        reports.append(report)
        items += own
    bulk_create_with_history(reports, RoundReport, batch_size=500)
    bulk_create_with_history(items, ReportItem, batch_size=1000)


def version_in_force(versions, months: int) -> AgreementVersion | None:
    """The latest version that takes effect by this round (version 1 takes effect from the start)."""
    versions = [v for v in versions if v.effective_round is None or v.effective_round <= months]
    return max(versions, key=lambda v: v.number, default=None)


def frozen_rows(agreement: Agreement, months: int, kpis=None, versions=None) -> tuple[int, list[dict]]:
    """(version number, one dict of FROZEN fields per KPI) as the agreement stood for this round.

    ``kpis`` ({pk: KPI with its dimension}) and ``versions`` may be given when building many reports at once.
    """
    if kpis is None:
        kpis = {k.pk: k for k in KPI.objects.filter(agreement=agreement).select_related("dimension")}
    if versions is None:
        versions = list(agreement.versions.all())
    version = version_in_force(versions, months)
    if version is None:
        live = [k for k in kpis.values() if k.cancelled_from_round is None or k.cancelled_from_round > months]
        rows = [
            {
                "kpi_id": k.pk,
                "code": k.number,
                "parent": k.parent_id,
                "order": i,
                "dimension_id": k.dimension_id,
                **{
                    f: getattr(k, f)
                    for f in FROZEN
                    if f not in ("code", "parent_code", "order", "is_leaf", "dimension_id")
                },
            }
            for i, k in enumerate(outline(live))
        ]
        number = agreement.version
    else:
        rows = []
        for i, snap in enumerate(version.snapshot["kpis"]):
            kpi = kpis.get(snap["id"])
            if kpi is None:
                continue
            row = {"kpi_id": kpi.pk, "code": snap["number"], "order": i}
            row["parent"] = snap.get("parent", kpi.parent_id)
            row["dimension_id"] = snap.get("dimension_id", kpi.dimension_id)
            for f in (
                "name",
                "unit_of_measure",
                "weight",
                "method",
                "direction",
                "criteria",
                "baseline",
                "evidence_required",
            ):
                row[f] = snap.get(f, getattr(kpi, f))
            rows.append(row)
        number = version.number
    codes = {r["kpi_id"]: r["code"] for r in rows}
    parents = {r["parent"] for r in rows}
    for r in rows:
        r["parent_code"] = codes.get(r.pop("parent"), "")
        r["is_leaf"] = r["kpi_id"] not in parents
        if not r["is_leaf"]:
            r["method"] = ""
    return number, rows


def report_sync(report: RoundReport) -> None:
    """Bring the report's items in line with the version in force: new KPIs added, cancelled ones removed,
    frozen fields updated; what the unit entered is kept. Only while the report is being entered."""
    number, rows = frozen_rows(report.agreement, report.round.months)
    items = {i.kpi_id: i for i in report.items.all()}
    wanted = {r["kpi_id"] for r in rows}
    for kpi_id, item in items.items():
        if kpi_id not in wanted:
            item.delete()
    for row in rows:
        item = items.get(row["kpi_id"]) or ReportItem(report=report, kpi_id=row["kpi_id"])
        changed = item.pk is None
        for f in FROZEN:
            if getattr(item, f) != row[f]:
                setattr(item, f, row[f])
                changed = True
        if changed:
            item.save()
    if report.version != number:
        report.version = number
        report.save(update_fields=["version"])
    refresh_self_card(report)


def agreement_amended(agreement: Agreement) -> None:
    """An approved change request: the reports still being entered follow the new version (§9)."""
    for report in RoundReport.objects.filter(
        agreement=agreement, status__in=RoundReport.ENTERABLE
    ).select_related("round__fiscal_year", "agreement"):
        report_sync(report)


def open_due_rounds(today: date | None = None) -> int:
    """The daily task: open the rounds whose opening date has come, and build the reports of agreements
    signed since a round opened."""
    today = today or timezone.localdate()
    built = 0
    for year in FiscalYear.objects.all():
        rounds_ensure(year)
    for round in Round.objects.filter(opens_on__lte=today).select_related("fiscal_year"):
        if round.is_open:
            with transaction.atomic():
                built += reports_build(round)
        else:
            built += round_open(round=round)
    return built
