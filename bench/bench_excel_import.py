"""The KPI Template import of a 5,000-row workbook as a background job, against a bare openpyxl read of the
same file (issue 14, "Excel import, 5,000 rows").

Run:
    .venv/bin/python bench/bench_excel_import.py [--rows 5000] [--repeat 3] [--configured-db]

The world: FY 2570 with its four dimensions and one bureau's draft agreement. The workbook is the agreement's
own KPI Template workbook filled with ``--rows`` KPI rows, a parent and four sub-KPIs at a time, the sub-KPIs
of every method with their criteria on the criteria sheets (about 14,000 rows in all). By default a
throwaway SQLite database (and media directory) is used; ``--configured-db`` uses the configured database
inside a transaction rolled back at the end.

Timed, interleaved ``--repeat`` times (medians), every import through the upload page and its job (the page's
POST, then ``run_job``), each in a transaction rolled back afterwards:
- baseline: a bare openpyxl read of the same file (read-only, every cell's value of every sheet);
- every row new: all the KPIs created, with their history;
- every row changed: the same KPIs stored, the file from their own download with every name edited;
- nothing changed: that file imported again (every cell checked, nothing written);
- a refused file: one threshold is text (everything checked, nothing written).
Prints each import's job time, its ratio to the bare read, the request's time and the job's query count;
asserts nothing.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_lists  # noqa: E402  (Django set-up and the throwaway database)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="KPI rows in the workbook (default 5000)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each (default 3)")
    parser.add_argument(
        "--configured-db", action="store_true", help="use the configured database, rolled back"
    )
    return parser.parse_args()


class Rollback(Exception):
    pass


def build_world(head=None):
    """A bureau's draft agreement of FY 2570 (with its four dimensions) and its head."""
    from kpi_agreements.agreements.models import Agreement, Dimension
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation.models import Person, Role, RoleAssignment, Unit, UnitType

    stamp = str(time.time_ns())[-6:]
    year = FiscalYear.objects.filter(be_year=2570).first() or fiscal_year_create(be_year=2570)
    if not year.dimensions.exists():
        for i, (name, weight) in enumerate(bench_lists.DIMENSIONS, start=1):
            Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(weight))
    unit_type, _ = UnitType.objects.get_or_create(code="bench-bureau", defaults={"name_th": "สำนัก"})
    unit = Unit.objects.add_root(
        instance=Unit(name_th=f"สำนักนำเข้า {stamp}", abbreviation=f"น{stamp}", unit_type=unit_type)
    )
    head = head or Person.objects.create(username=f"head-{stamp}", first_name="หัวหน้า", last_name="นำเข้า")
    RoleAssignment.objects.create(person=head, unit=unit, role=Role.UNIT_HEAD)
    return Agreement.objects.create(unit=unit, fiscal_year=year), head


def filled_workbook(agreement, n_rows: int) -> bytes:
    """The agreement's blank workbook with ``n_rows`` new KPIs: each parent has four sub-KPIs of mixed
    methods, their criteria on the criteria sheets."""
    from kpi_agreements.agreements.excel import export, layout

    wb = export.agreement_workbook(agreement, blank=True)
    ws = wb[layout.SHEET_KPIS]
    dims = list(agreement.fiscal_year.dimensions.all())
    sheets = {method: wb[name] for method, (name, _columns) in layout.CRITERIA_SHEETS.items()}
    labels = layout.METHOD_LABELS_TH
    methods = ["quantitative", "multi_quantitative", "milestone", "pass_fail", "qualitative"]
    parent = None
    for i in range(n_rows):
        group, position = divmod(i, 5)
        if position == 0:
            parent = str(group + 1)
            row = [None, parent, dims[group % len(dims)].name_th, None, f"ตัวชี้วัดที่ {parent}", None, "ร้อยละ"]
            ws.append([*row, labels["quantitative"], None, "คำอธิบาย", "ก / ข × 100"])
            continue
        number, method = f"{parent}.{position}", methods[(group + position) % 5]
        ws.append(
            [None, number, None, parent, f"ตัวชี้วัดย่อยที่ {number}", 0.05, "ร้อยละ", labels[method],
             "ยิ่งมากยิ่งดี" if method == "quantitative" else None, "คำอธิบาย", "ก / ข × 100", "", 70, 75.5, 80,
             "รายงาน", "รายไตรมาส"]
        )  # fmt: skip
        if method == "quantitative":
            sheets[method].append([number, 60, 70, 80, 90, 100])
        elif method == "multi_quantitative":
            sheets[method].append([number, "ความครอบคลุม", 2, 60, 70, 80, 90, 100])
            sheets[method].append([number, "ความทันเวลา", 1, 10, 8, 6, 4, 2])
        elif method == "milestone":
            for level in range(1, 6):
                sheets[method].append([number, level, f"ขั้นตอนระดับ {level}"])
        elif method == "pass_fail":
            sheets[method].append([number, "ส่งรายงานภายใน 30 ก.ย."])
        else:
            sheets[method].append([number, "ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 4", "ระดับ 5"])
    return export.workbook_bytes(wb)


def bare_read(data: bytes) -> int:
    """The baseline: openpyxl's read-only reader over every cell's value of every sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    wb.close()
    return cells


def run(args):
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from openpyxl import load_workbook

    from kpi_agreements.agreements.excel import export, layout
    from kpi_agreements.agreements.services import excel_import
    from kpi_agreements.workflow.jobs import run_job
    from kpi_agreements.workflow.models import Job

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-import-media-")
    agreement, head = build_world()
    client = bench_lists.client_for(head)
    url = reverse("agreement_excel_upload", args=[agreement.pk])
    new_rows = filled_workbook(agreement, args.rows)

    def import_job(data: bytes):
        """The page's POST (stores the file, asks for the job), then the job; times and the job."""
        started = time.perf_counter()
        response = client.post(url, {"file": SimpleUploadedFile("kpis.xlsx", data, layout.CONTENT_TYPE)})
        asked = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        job_pk = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run_job(job_pk)
            ran = time.perf_counter() - started
        job = Job.objects.get(pk=job_pk)
        assert job.status == Job.Status.READY, job.error
        return asked, ran, len(queries), job.outcome

    def rolled_back(data: bytes):
        try:
            with transaction.atomic():
                raise Rollback(import_job(data))
        except Rollback as done:
            return done.args[0]

    # The stored KPIs the other cases start from (imported once, untimed), and the files made from their own
    # download. Every timed import is rolled back, so its job's task (sent on commit) never starts.
    seeded = excel_import.import_workbook(agreement, io.BytesIO(new_rows), head)
    assert seeded.ok, seeded.errors[:3]
    wb = export.agreement_workbook(agreement)
    ws = wb[layout.SHEET_KPIS]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 5).value = f"{ws.cell(r, 5).value} (แก้ไข)"
    changed = export.workbook_bytes(wb)
    unchanged = export.workbook_bytes(export.agreement_workbook(agreement))
    broken_wb = load_workbook(io.BytesIO(unchanged))
    broken_wb[layout.SHEET_QUANTITATIVE]["B2"].value = "6x"
    broken = export.workbook_bytes(broken_wb)
    files = {
        "every row new": new_rows,
        "every row changed": changed,
        "nothing changed": unchanged,
        "a refused file": broken,
    }
    fresh, _head = build_world(head)  # an empty agreement for "every row new", edited by the same head
    kib = len(new_rows) / 1024
    print(f"workbook: {kib:,.0f} KiB, {bare_read(new_rows):,} cells, {args.rows:,} KPI rows")

    times = {"bare read": {name: [] for name in files}}
    jobs = {name: [] for name in files}
    requests = {name: [] for name in files}
    queries, outcomes = {}, {}
    for _ in range(args.repeat):
        for name, data in files.items():
            started = time.perf_counter()
            bare_read(data)
            times["bare read"][name].append(time.perf_counter() - started)
            target = fresh if name == "every row new" else agreement
            url = reverse("agreement_excel_upload", args=[target.pk])
            asked, ran, count, outcome = rolled_back(data)
            requests[name].append(asked)
            jobs[name].append(ran)
            queries[name], outcomes[name] = count, outcome
    print(
        f"\n{args.repeat} runs each, interleaved, each import rolled back; medians ({bench_lists.vendor()}):"
    )
    print(
        f"  {'import':<20} {'bare read':>10} {'job':>9} {'× bare':>7} {'request':>9} {'queries':>8}  outcome"
    )
    for name in files:
        base, job = statistics.median(times["bare read"][name]), statistics.median(jobs[name])
        o = outcomes[name]
        said = f"+{o['created']} ~{o['updated']} ={o['unchanged']} errors {o['error_count']}"
        asked, count = statistics.median(requests[name]), queries[name]
        print(f"  {name:<20} {base:9.2f}s {job:8.2f}s {job / base:6.2f}× {asked:8.2f}s {count:>8}  {said}")
    worst = max(statistics.median(jobs[n]) / statistics.median(times["bare read"][n]) for n in files)
    new = statistics.median(jobs["every row new"]) / statistics.median(times["bare read"]["every row new"])
    print(
        f"RESULT import: every row new {new:.2f}×, worst case {worst:.2f}× a bare openpyxl read (goal ≤ 3×)"
    )


def main():
    args = parse_args()
    bench_lists.setup_django(args.configured_db, "bench-import-")
    bench_lists.run_in_db(args, run)


if __name__ == "__main__":
    main()
