"""Server time of the scorecard and the executive dashboard at the size of a real year (issue 12 item 7),
beside hand-written SQL computing the same figures from the KPI rows.

Run:
    .venv/bin/python bench/bench_scorecard.py [--units 2000] [--kpis 25] [--repeat 10] [--configured-db]

Builds a ministry of ``--units`` units (a root, departments, bureaus below them), one signed agreement each
with ``--kpis`` quantitative KPIs over four dimensions, the 6-, 9- and 12-month rounds of the year and the
12-month round of the year before, every report with its items and its cards. The cards are the engine's
``round_card`` of the items' results, stored with ``reporting.services.cards.as_json`` — what the reporting
app stores — and written in bulk (the services would take hours at this size). Then it times, as the
ministry's executive, the scorecard (self-assessed and verified), the dashboard and a department's page, and
SQL that computes the totals and dimension scores (and the dashboard's counts and bands) from the items.

By default it migrates a throwaway SQLite database in a temporary directory. With ``--configured-db`` it
runs on the configured database (``DATABASE_URL``, migrated) inside one transaction rolled back at the end.
Prints figures only; asserts nothing.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DIMENSIONS = [
    ("มิติด้านประสิทธิผล", 45),
    ("มิติด้านคุณภาพการให้บริการ", 15),
    ("มิติด้านประสิทธิภาพ", 20),
    ("มิติด้านการพัฒนาองค์กร", 20),
]
QUANT = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}


class Rollback(Exception):
    pass


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000, help="units in the ministry (default 2000)")
    parser.add_argument("--kpis", type=int, default=25, help="KPIs per agreement (default 25)")
    parser.add_argument("--repeat", type=int, default=10, help="requests per page (default 10)")
    parser.add_argument(
        "--configured-db", action="store_true", help="use the configured database, rolled back"
    )
    return parser.parse_args()


def setup_django(configured: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_agreements.settings")
    tmp = None
    if not configured:
        tmp = tempfile.mkdtemp(prefix="bench-scorecard-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    if tmp:
        from django.core.management import call_command

        print(f"migrating a throwaway SQLite database in {tmp} …")
        call_command("migrate", verbosity=0)


def kpi_plan(n: int) -> list[tuple[int, Decimal]]:
    """(dimension index, weight) of each KPI: the dimension's weight shared among its KPIs, summing to 100."""
    counts = [max(1, round(n * w / 100)) for _name, w in DIMENSIONS]
    counts[0] += n - sum(counts)
    plan = []
    for d, ((_name, weight), count) in enumerate(zip(DIMENSIONS, counts, strict=True)):
        share = (Decimal(weight) / count).quantize(Decimal("0.0001"))
        weights = [share] * count
        weights[-1] += Decimal(weight) - share * count
        plan += [(d, w) for w in weights]
    return plan


def build_units(n_units: int, stamp: str):
    """A root, √n departments, bureaus below them: ``n_units`` units in all (paths written in bulk)."""
    from kpi_agreements.organisation.models import Unit, UnitType

    types = {
        code: UnitType.objects.get_or_create(code=f"bench-{code}", defaults={"name_th": th})[0]
        for code, th in [("ministry", "กระทรวง"), ("department", "กรม"), ("bureau", "สำนัก")]
    }
    root = Unit.objects.add_root(
        instance=Unit(name_th=f"กระทรวงทดสอบ {stamp}", abbreviation=f"ท{stamp}", unit_type=types["ministry"])
    )

    n_depts = max(1, int((n_units - 1) ** 0.5))
    depts = Unit.objects.bulk_create(
        [
            Unit(
                path=Unit._get_path(root.path, 2, i),
                depth=2,
                numchild=0,
                parent=root,
                name_th=f"กรมที่ {i}",
                abbreviation=f"ก{i}.",
                unit_type=types["department"],
            )
            for i in range(1, n_depts + 1)
        ]
    )
    Unit.objects.filter(pk=root.pk).update(numchild=n_depts)
    depts = list(Unit.objects.filter(parent=root).order_by("path"))
    bureaus, per = [], {}
    for i in range(n_units - 1 - n_depts):
        dept = depts[i % n_depts]
        per[dept.pk] = per.get(dept.pk, 0) + 1
        bureaus.append(
            Unit(
                path=Unit._get_path(dept.path, 3, per[dept.pk]),
                depth=3,
                numchild=0,
                parent=dept,
                name_th=f"สำนักที่ {i + 1}",
                abbreviation=f"ส{i + 1}.",
                unit_type=types["bureau"],
            )
        )
    Unit.objects.bulk_create(bureaus, batch_size=1000)
    for dept in depts:
        Unit.objects.filter(pk=dept.pk).update(numchild=per.get(dept.pk, 0))
    return root, depts


def build_year(be_year: int, units, n_kpis: int):
    from kpi_agreements.agreements.models import KPI, Agreement, Dimension
    from kpi_agreements.fiscal.models import FiscalYear

    year = FiscalYear.objects.filter(be_year=be_year).first() or FiscalYear.objects.create(be_year=be_year)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(w))
        for i, (name, w) in enumerate(DIMENSIONS, start=1)
    ]
    agreements = Agreement.objects.bulk_create(
        [Agreement(unit=u, fiscal_year=year, status=Agreement.Status.SIGNED) for u in units], batch_size=1000
    )
    plan = kpi_plan(n_kpis)
    kpis = KPI.objects.bulk_create(
        [
            KPI(
                agreement=a,
                dimension=dims[d],
                order=k + 1,
                name=f"ตัวชี้วัดที่ {k + 1}",
                weight=w,
                criteria=QUANT,
                unit_of_measure="ร้อยละ",
            )
            for a in agreements
            for k, (d, w) in enumerate(plan)
        ],
        batch_size=5000,
    )
    by_agreement = {}
    for kpi in kpis:
        by_agreement.setdefault(kpi.agreement_id, []).append(kpi)
    return year, agreements, by_agreement


def build_round(year, months: int, agreements, kpis, rng: random.Random) -> int:
    """Every agreement's report in the round (a few units have none), its items with results and scores,
    its cards from the engine; most reports verified, some submitted (some late), a few being entered."""
    from django.utils import timezone

    from kpi_agreements import scoring
    from kpi_agreements.reporting.models import ReportItem, Round, RoundReport
    from kpi_agreements.reporting.services.cards import as_json

    round = Round.objects.get(fiscal_year=year, months=months)
    Round.objects.filter(pk=round.pk).update(opened_at=timezone.now())
    policy = year.policy
    reports, items = [], []
    for agreement in agreements:
        if rng.random() < 0.02:
            continue  # no report: shown as missing
        rows, results = [], []
        for k, kpi in enumerate(kpis[agreement.pk]):
            actual = str(rng.randint(550, 1050) / 10)
            results.append(actual)
            rows.append(
                {
                    "code": str(k + 1),
                    "parent": None,
                    "dimension": kpi.dimension_id,
                    "weight": kpi.weight,
                    "method": "quantitative",
                    "criteria": QUANT,
                    "result": {"actual": actual},
                }
            )
        days_late = rng.choice([0] * 8 + [1, 3])
        penalty = scoring.late_penalty(months, days_late, policy)
        card = scoring.round_card(rows, penalty=penalty, policy=policy)
        draw = rng.random()
        status = "draft" if draw < 0.05 else "submitted" if draw < 0.25 else "verified"
        report = RoundReport(
            round=round,
            agreement=agreement,
            status=status,
            days_late=days_late if status != "draft" else 0,
            penalty=penalty,
            submitted_at=None if status == "draft" else timezone.now(),
            self_card=as_json(card),
            self_total=card.total,
            verified_card=as_json(card) if status == "verified" else {},
            verified_total=card.total if status == "verified" else None,
            flags=["far_from_target"] if any(card.kpis[r["code"]].score < 2 for r in rows) else [],
        )
        reports.append((report, card, results))
    RoundReport.objects.bulk_create([r for r, _c, _x in reports], batch_size=1000)
    for report, card, results in reports:
        for k, kpi in enumerate(kpis[report.agreement_id]):
            score = card.kpis[str(k + 1)].score
            items.append(
                ReportItem(
                    report=report,
                    kpi=kpi,
                    code=str(k + 1),
                    order=k + 1,
                    is_leaf=True,
                    dimension_id=kpi.dimension_id,
                    name=kpi.name,
                    unit_of_measure=kpi.unit_of_measure,
                    weight=kpi.weight,
                    method="quantitative",
                    direction="higher",
                    criteria=QUANT,
                    result={"actual": results[k]},
                    narrative="ผลการดำเนินงาน",
                    self_score=score,
                    verified_score=score if report.status == "verified" else None,
                )
            )
    ReportItem.objects.bulk_create(items, batch_size=5000)
    return len(reports)


def time_page(client, path: str, repeat: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm templates and caches
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
    return statistics.median(times), len(queries.captured_queries)


# The totals and dimension scores of a round from the KPI rows, as the round card works them out: each
# weighted score rounded to 4 places, then summed (the leaves' weight W is 100 here), less the penalty.
SQL_TOTALS = """
SELECT r.id, SUM(ROUND(COALESCE(i.self_score, 1) * i.weight / 100.0, 4)) - r.penalty AS total
FROM reporting_reportitem i JOIN reporting_roundreport r ON r.id = i.report_id
JOIN agreements_agreement a ON a.id = r.agreement_id JOIN organisation_unit u ON u.id = a.unit_id
WHERE r.round_id = %s AND i.is_leaf AND NOT i.later_round AND u.path LIKE %s
GROUP BY r.id, r.penalty
"""
SQL_DIMENSIONS = """
SELECT i.report_id, i.dimension_id,
       ROUND(SUM(COALESCE(i.self_score, 1) * i.weight) / SUM(i.weight), 4) AS score
FROM reporting_reportitem i JOIN reporting_roundreport r ON r.id = i.report_id
JOIN agreements_agreement a ON a.id = r.agreement_id JOIN organisation_unit u ON u.id = a.unit_id
WHERE r.round_id = %s AND i.is_leaf AND NOT i.later_round AND u.path LIKE %s
GROUP BY i.report_id, i.dimension_id
"""
SQL_DASHBOARD = """
WITH t AS (
  SELECT r.id, r.submitted_at, r.days_late,
         SUM(ROUND(COALESCE(i.self_score, 1) * i.weight / 100.0, 4)) - r.penalty AS total
  FROM reporting_reportitem i JOIN reporting_roundreport r ON r.id = i.report_id
  JOIN agreements_agreement a ON a.id = r.agreement_id JOIN organisation_unit u ON u.id = a.unit_id
  WHERE r.round_id = %s AND i.is_leaf AND NOT i.later_round AND u.path LIKE %s
  GROUP BY r.id, r.submitted_at, r.days_late, r.penalty
)
SELECT COUNT(*),
       SUM(CASE WHEN submitted_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN submitted_at IS NOT NULL AND days_late = 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN submitted_at IS NOT NULL AND days_late > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN submitted_at IS NOT NULL AND total >= 3 THEN 1 ELSE 0 END),
       AVG(CASE WHEN submitted_at IS NOT NULL THEN total END),
       {bands}
FROM t
"""


def sql_dashboard() -> str:
    bands = []
    low = Decimal(1)
    while low < 5:
        top = "" if low == Decimal("4.5") else f" AND total < {low + Decimal('0.5')}"
        bands.append(f"SUM(CASE WHEN submitted_at IS NOT NULL AND total >= {low}{top} THEN 1 ELSE 0 END)")
        low += Decimal("0.5")
    return SQL_DASHBOARD.format(bands=", ".join(bands))


def time_sql(queries: list[tuple[str, list]], repeat: int):
    from django.db import connection

    times, rows = [], None
    for _ in range(repeat + 1):
        start = time.perf_counter()
        rows = []
        with connection.cursor() as cursor:
            for sql, params in queries:
                cursor.execute(sql, params)
                rows.append(cursor.fetchall())
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:]), rows


def run(args):
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from kpi_agreements.organisation.models import Person, Role, RoleAssignment
    from kpi_agreements.reporting.models import Round, RoundReport

    setup_test_environment()
    rng = random.Random(2570)
    stamp = str(time.time_ns())[-6:]
    start = time.perf_counter()
    root, depts = build_units(args.units, stamp)
    from kpi_agreements.organisation.models import Unit

    units = list(Unit.objects.filter(path__startswith=root.path).order_by("path"))
    previous, prev_agreements, prev_kpis = build_year(2569, units, args.kpis)
    year, agreements, kpis = build_year(2570, units, args.kpis)
    made = sum(build_round(year, m, agreements, kpis, rng) for m in (6, 9, 12))
    made += build_round(previous, 12, prev_agreements, prev_kpis, rng)
    print(
        f"built {len(units)} units × {args.kpis} KPIs, {made} reports in {time.perf_counter() - start:.0f} s"
    )

    executive = Person.objects.create(username=f"bench-exec-{stamp}", first_name="ผู้บริหาร")
    RoleAssignment.objects.create(person=executive, unit=root, role=Role.EXECUTIVE)
    client = Client()
    client.force_login(executive)
    round12 = Round.objects.get(fiscal_year=year, months=12)
    like = [round12.pk, root.path + "%"]

    sql_time, (totals, dimension_rows) = time_sql([(SQL_TOTALS, like), (SQL_DIMENSIONS, like)], args.repeat)
    stored = dict(RoundReport.objects.filter(round=round12).values_list("pk", "self_total"))
    agree = sum(1 for pk, total in totals if f"{Decimal(str(total)):.4f}" == f"{stored[pk]:.4f}")
    print(
        f"hand-written SQL from {len(dimension_rows)} dimension rows: {len(totals)} totals, "
        f"{agree} equal to the stored card totals to 4 places"
    )
    dash_sql, _rows = time_sql(
        [
            (sql_dashboard(), like),
            (sql_dashboard(), [Round.objects.get(fiscal_year=previous, months=12).pk, root.path + "%"]),
        ],
        args.repeat,
    )

    pages = [
        ("scorecard, 12 months, self-assessed", reverse("scorecard", args=[round12.pk]), sql_time),
        (
            "scorecard, 12 months, verified",
            reverse("scorecard", args=[round12.pk]) + "?basis=verified",
            sql_time,
        ),
        (
            "scorecard, sorted by name, page 3",
            reverse("scorecard", args=[round12.pk]) + "?sort=name&page=3",
            sql_time,
        ),
        (
            "executive dashboard, 12 months (with last year)",
            reverse("scorecard_dashboard", args=[round12.pk]),
            dash_sql,
        ),
        ("a department's page", reverse("scorecard_unit", args=[round12.pk, depts[0].pk]), None),
    ]
    print(f"\n{args.repeat} requests each, median server time (Django test client, {connection_vendor()}):")
    print(f"  {'page':<50} {'time':>9} {'queries':>8} {'SQL':>9} {'ratio':>6}")
    for label, path, baseline in pages:
        median, count = time_page(client, path, args.repeat)
        ratio = f"{median / baseline:5.1f}×" if baseline else ""
        base = f"{baseline * 1000:7.1f} ms" if baseline else ""
        print(f"  {label:<50} {median * 1000:7.1f} ms {count:>8} {base:>9} {ratio:>6}")
    print("  (SQL: the totals and dimension scores of every unit from the KPI rows; for the dashboard, its")
    print("   counts, mean, eligibility and bands of this year and last year.)")


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def main():
    args = parse_args()
    setup_django(args.configured_db)
    if not args.configured_db:
        run(args)
        return
    from django.db import transaction

    try:
        with transaction.atomic():
            run(args)
            raise Rollback
    except Rollback:
        print("rolled back")


if __name__ == "__main__":
    main()
