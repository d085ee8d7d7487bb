"""Timing of a reporting round at scale (issue 10): a year's 12-month round of N units × 25 KPIs, its results
imported from the round's workbook, and the round's overview page.

Run:
    .venv/bin/python bench/bench_reporting.py [--units 2000] [--repeat 3] [--configured-db]

By default the script migrates a throwaway SQLite database (and keeps uploaded files) in a temporary
directory; nothing else is touched. With ``--configured-db`` it runs on the configured database (e.g.
``DATABASE_URL`` for PostgreSQL, already migrated) inside one transaction that it rolls back at the end.

What it prints (figures and ratios; nothing is asserted):
- set-up: the year built with bulk inserts, the 12-month round opened (``rounds.round_open`` builds every
  report and its items);
- the round workbook made by its background job (``reporting.round_workbook``), then filled in with a
  result and a narrative on every KPI row;
- the import job (``reporting.round_import``) against a baseline, a bare openpyxl read of the same file
  (read-only, every cell's value), measured interleaved: baseline, import, baseline, the same file imported
  again (every row unchanged: checked, nothing written), baseline; each import's time over the mean
  baseline;
- the round overview page's server time (Django test client, GET ``round_overview`` as a planner covering
  every unit) against a baseline, a hand-written SQL query of the same rows (the page's 50 reports and the
  count), interleaved ``--repeat`` times; medians and their ratio. Skipped if that URL does not exist.
"""

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KPIS_PER_UNIT = 25
SEED = 2552
MULTI = {
    "measures": [
        {"name": "ความครอบคลุม", "weight": "2", "thresholds": ["60", "70", "80", "90", "100"]},
        {"name": "ความทันเวลา", "weight": "1", "thresholds": ["10", "8", "6", "4", "2"]},
    ]
}
CRITERIA = {
    "quantitative": {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"},
    "multi_quantitative": MULTI,
    "milestone": {"levels": [["ขั้นที่ 1"], ["ขั้นที่ 2", "ขั้นที่ 3"], ["ขั้นที่ 4"], ["ขั้นที่ 5"], ["ขั้นที่ 6"]]},
    "pass_fail": {"condition": "ส่งรายงานภายใน 30 ก.ย."},
    "qualitative": {"levels": ["ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 4", "ระดับ 5"]},
}
# The 21 top-level KPIs after the parent and its three sub-KPIs, by position modulo 7.
TOP_METHODS = ["quantitative", "quantitative", "quantitative", "multi_quantitative", "milestone", "pass_fail",
               "qualitative"]  # fmt: skip


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--units", type=int, default=2000, help="units, one signed agreement each (default 2000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of the page and its baseline (default 3)")
    parser.add_argument(
        "--configured-db",
        action="store_true",
        help="use the configured database inside a rolled-back transaction",
    )
    return parser.parse_args()


class Rollback(Exception):
    pass


def timed(label, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<62} {elapsed:8.2f} s")
    return result, elapsed


def setup_django(configured: bool) -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_agreements.settings")
    tmp = None
    if not configured:
        tmp = tempfile.mkdtemp(prefix="bench-reporting-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["MEDIA_ROOT"] = f"{tmp}/media"
    import django

    django.setup()
    if tmp:
        from django.core.management import call_command

        print(f"migrating a throwaway SQLite database in {tmp} …")
        call_command("migrate", verbosity=0)
    return tmp


def build_world(n_units: int):
    """A fiscal year (its rounds made by the reporting app's signal), four dimensions, a root unit with
    ``n_units`` units below, a signed agreement each with 25 KPIs of every method (KPI 1 a parent of three),
    and a planner covering the root."""
    from django.db.models import Max

    from kpi_agreements.agreements.models import KPI, Agreement, Dimension
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation.models import Person, Role, RoleAssignment, Unit, UnitType

    be_year = (FiscalYear.objects.aggregate(m=Max("be_year"))["m"] or 2569) + 1
    year = fiscal_year_create(be_year=be_year)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(w))
        for i, (name, w) in enumerate(
            [("ประสิทธิผล", 45), ("คุณภาพการให้บริการ", 15), ("ประสิทธิภาพ", 20), ("การพัฒนาองค์กร", 20)], start=1
        )
    ]
    unit_type, _ = UnitType.objects.get_or_create(code="bench-unit", defaults={"name_th": "หน่วยทดสอบ"})
    stamp = str(time.time_ns())[-8:]
    root = Unit.objects.add_root(
        dict(name_th=f"หน่วยงานทดสอบ {stamp}", abbreviation=f"ท{stamp}", unit_type=unit_type)
    )
    Unit.objects.bulk_create(
        [
            Unit(
                path=Unit._get_path(root.path, 2, i),
                depth=2,
                numchild=0,
                parent=root,
                name_th=f"สำนักที่ {i}",
                abbreviation=f"ส{i}.",
                unit_type=unit_type,
            )
            for i in range(1, n_units + 1)
        ],
        batch_size=1000,
    )
    Unit.objects.filter(pk=root.pk).update(numchild=n_units)
    planner = Person.objects.create(
        username=f"bench-planner-{stamp}", first_name="นักวางแผน", last_name="ทดสอบ"
    )
    RoleAssignment.objects.create(person=planner, unit=root, role=Role.PLANNING)
    units = list(Unit.objects.filter(parent=root).order_by("path"))
    agreements = Agreement.objects.bulk_create(
        [Agreement(unit=u, fiscal_year=year, status=Agreement.Status.SIGNED) for u in units], batch_size=1000
    )
    parents = KPI.objects.bulk_create(
        [
            KPI(agreement=a, dimension=dims[0], order=1, name="ตัวชี้วัดหลัก", weight=Decimal(15), criteria={})
            for a in agreements
        ],
        batch_size=2000,
    )
    rows = []
    for a, parent in zip(agreements, parents, strict=True):
        for k, method in enumerate(["quantitative", "multi_quantitative", "milestone"]):
            rows.append(
                KPI(
                    agreement=a,
                    dimension=dims[0],
                    parent=parent,
                    order=k + 1,
                    name=f"ตัวชี้วัดย่อยที่ 1.{k + 1}",
                    weight=Decimal(5),
                    method=method,
                    criteria=CRITERIA[method],
                )
            )
        for k in range(KPIS_PER_UNIT - 4):
            method = TOP_METHODS[k % 7]
            rows.append(
                KPI(
                    agreement=a,
                    dimension=dims[1 + k % 3],
                    order=k + 2,
                    name=f"ตัวชี้วัดที่ {k + 2}",
                    weight=Decimal(5 if k == 0 else 4),  # 5 + 20 × 4 = 85, with the parent's 15: 100
                    unit_of_measure="ร้อยละ",
                    method=method,
                    criteria=CRITERIA[method],
                )
            )
    KPI.objects.bulk_create(rows, batch_size=2000)
    return year, planner


def fill(data: bytes) -> bytes:
    """The workbook with a result and a narrative on every KPI row (seeded, so every run fills the same)."""
    from openpyxl import load_workbook

    from kpi_agreements.agreements.excel.export import _new_workbook, workbook_bytes
    from kpi_agreements.agreements.excel.layout import METHOD_LABELS_TH
    from kpi_agreements.reporting.excel.layout import RESULT_COLUMNS, SHEET_RESULTS

    rng = random.Random(SEED)
    methods = {label: code for code, label in METHOD_LABELS_TH.items()}
    at = {c.key: i for i, c in enumerate(RESULT_COLUMNS)}
    source = load_workbook(io.BytesIO(data), read_only=True)
    out = _new_workbook(write_only=True)
    ws = out.create_sheet(SHEET_RESULTS)
    rows = source[SHEET_RESULTS].iter_rows(values_only=True)
    ws.append(list(next(rows)))
    for values in rows:
        values = list(values) + [None] * (len(RESULT_COLUMNS) - len(values))
        method = methods.get(values[at["method"]])
        if method:
            values[at["result"]] = {
                "quantitative": lambda: rng.randint(500, 1100) / 10,
                "multi_quantitative": lambda: f"{rng.randint(50, 110)};{rng.randint(1, 12)}",
                "milestone": lambda: rng.randint(0, 5),
                "pass_fail": lambda: rng.choice(["ผ่าน", "ไม่ผ่าน"]),
                "qualitative": lambda: rng.randint(1, 5),
            }[method]()
            values[at["narrative"]] = (
                f"รายงาน {values[at['report']]} ตัวชี้วัด {values[at['code']]}: ดำเนินการตามแผน"
            )
        ws.append(values)
    source.close()
    return workbook_bytes(out)


def bare_read(data: bytes) -> int:
    """The baseline: openpyxl reads every cell's value of the same file, in read-only mode."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    cells = sum(len(row) for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    wb.close()
    return cells


def run_job_of(kind: str, round, user, **params):
    from django.contrib.contenttypes.models import ContentType

    from kpi_agreements.workflow.jobs import run_job
    from kpi_agreements.workflow.models import Job

    job = Job.objects.create(
        kind=kind,
        content_type=ContentType.objects.get_for_model(round),
        object_id=round.pk,
        params=params,
        requested_by=user,
    )
    run_job(job.pk)  # the task's body, here and now (no broker, no outbox)
    job.refresh_from_db()
    return job


def import_job(round, user, data: bytes):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from kpi_agreements.reporting.excel.jobs import IMPORT

    name = default_storage.save("imports/bench.xlsx", ContentFile(data))
    return run_job_of(IMPORT, round, user, file=name, language="th")


def bench_import(round, planner, n_items: int):
    from kpi_agreements.reporting.excel.jobs import WORKBOOK

    print(f"\nthe round workbook: {n_items:,} KPI rows")
    job, _ = timed("workbook job (query + rows + save)", run_job_of, WORKBOOK, round, planner, unit=None)
    print(f"    status={job.status} progress={job.done}/{job.total} {job.error}")
    with job.file.open("rb") as f:
        exported = f.read()
    data, _ = timed("  … filled in (a result and a narrative on every KPI row)", fill, exported)
    print(f"    {len(data) / 1024 / 1024:,.1f} MiB")

    print("\nimport against a bare openpyxl read of the same file, interleaved")
    baselines = []
    cells, elapsed = timed("baseline: openpyxl read-only, every cell", bare_read, data)
    baselines.append(elapsed)
    job, first = timed("import job, every row new (check + write + cards)", import_job, round, planner, data)
    print(f"    status={job.status} {job.outcome.get('summary', '')} {job.error}")
    _, elapsed = timed("baseline again", bare_read, data)
    baselines.append(elapsed)
    job, second = timed("import job, the same file again (check only)", import_job, round, planner, data)
    print(f"    status={job.status} {job.outcome.get('summary', '')} {job.error}")
    _, elapsed = timed("baseline again", bare_read, data)
    baselines.append(elapsed)
    base = statistics.mean(baselines)
    print(f"    baseline mean {base:.2f} s for {cells:,} cells")
    print(f"    ratio import / baseline: every row new {first / base:.1f}×, unchanged {second / base:.1f}×")


def bench_overview(round, planner, repeat: int):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from kpi_agreements.agreements.models import Agreement
    from kpi_agreements.organisation.models import Unit
    from kpi_agreements.reporting.models import RoundReport

    try:
        url = reverse("round_overview", args=[round.pk])
    except NoReverseMatch:
        print("\nround overview: no URL named round_overview yet; skipped")
        return
    except Exception as exc:  # the URLconf does not load (another part of the tree being edited)
        print(f"\nround overview: the URLs do not load ({type(exc).__name__}: {exc}); skipped")
        return
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(planner)
    sql = f"""
        SELECT r.id, u.name_th, u.abbreviation, r.status, r.submitted_at, r.days_late, r.penalty,
               r.self_total, r.verified_total, r.flags
        FROM {RoundReport._meta.db_table} r
        JOIN {Agreement._meta.db_table} a ON a.id = r.agreement_id
        JOIN {Unit._meta.db_table} u ON u.id = a.unit_id
        WHERE r.round_id = %s ORDER BY u.path, r.id LIMIT 50
    """
    count_sql = f"SELECT COUNT(*) FROM {RoundReport._meta.db_table} WHERE round_id = %s"

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(count_sql, [round.pk])
            cursor.fetchone()
            cursor.execute(sql, [round.pk])
            return cursor.fetchall()

    print(f"\nround overview page against a hand-written SQL query of the same rows, {repeat}× interleaved")
    page()  # warm-up: templates, translations, the user's scope
    with CaptureQueriesContext(connection) as queries:
        page()
    n_queries = len(queries)  # now: the next request clears the log
    pages, bases = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        page()
        pages.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = baseline()
        bases.append(time.perf_counter() - start)
    p, b = statistics.median(pages), statistics.median(bases)
    print(f"  {'page (server time, test client)':<62} {p * 1000:8.1f} ms  queries={n_queries}")
    print(f"  {f'baseline SQL ({len(rows)} rows and the count)':<62} {b * 1000:8.1f} ms")
    print(f"    ratio page / baseline {p / b:.0f}×")


def run(args):
    from django.db import connection

    from kpi_agreements.reporting.models import ReportItem, Round
    from kpi_agreements.reporting.services.rounds import round_open

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"building {args.units:,} units × {KPIS_PER_UNIT} KPIs …")
    (year, planner), _ = timed("set-up (bulk inserts)", build_world, args.units)
    round = Round.objects.select_related("fiscal_year").get(fiscal_year=year, months=12)
    built, _ = timed(
        "open the 12-month round (reports and items built)", round_open, round=round, user=planner
    )
    n_items = ReportItem.objects.filter(report__round=round).count()
    print(f"    {built:,} reports, {n_items:,} items")
    bench_import(round, planner, n_items)
    entered = ReportItem.objects.filter(report__round=round, result__isnull=False).count()
    print(f"    items with a result now: {entered:,}")
    bench_overview(round, planner, args.repeat)


def main():
    args = parse_args()
    tmp = setup_django(args.configured_db)
    from django.db import transaction

    try:
        with transaction.atomic():
            run(args)
            raise Rollback
    except Rollback:
        print("\nrolled back." if args.configured_db else "")
    if tmp:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        print(f"removed {tmp}")


if __name__ == "__main__":
    main()
