"""The year's KPIs in one workbook as a background job, against a bare openpyxl write of the same rows (issue
14, "year Excel export, 50,000 rows").

Run:
    .venv/bin/python bench/bench_year_export.py [--units 2000] [--kpis 25] [--repeat 3] [--configured-db]

The world is bench_lists.py's: ``--units`` units with an agreement of ``--kpis`` KPIs each (50,000 by
default). By default a throwaway SQLite database is migrated; ``--configured-db`` uses the configured one
inside a transaction rolled back at the end. Whether openpyxl writes with lxml is printed (``OPENPYXL_LXML=
False`` in the environment turns it off, to compare).

Timed, interleaved ``--repeat`` times (medians):
- baseline: one query of the same columns (plain values, no numbering) written by openpyxl's write-only
  workbook and saved to bytes;
- the request: the administrator's POST, which asks for the job and answers with the job's page;
- the job: ``run_job`` of that job: the query, every agreement's KPIs numbered in reading order, the sheet
  written and saved, the file stored for its download link.
Prints figures and the ratio; asserts nothing.
"""

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_lists  # noqa: E402  (the shared world)


class Rollback(Exception):
    pass


COLUMNS = (
    "agreement__unit__abbreviation", "agreement__unit__name_th", "pk", "order", "dimension__name_th", "name",
    "weight", "unit_of_measure", "method", "direction", "criteria", "mandatory__code",
    "supervisor__first_name", "collector__first_name",
)  # fmt: skip


def bare_write(year) -> bytes:
    """The baseline: the rows as plain values, written by openpyxl's write-only workbook."""
    from openpyxl import Workbook

    from kpi_agreements.agreements.models import KPI

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("KPIs")
    ws.append(list(COLUMNS))
    rows = KPI.objects.filter(agreement__fiscal_year=year).order_by("agreement__unit__path", "pk")
    for row in rows.values_list(*COLUMNS).iterator(chunk_size=2000):
        thresholds = (row[10] or {}).get("thresholds") or [None] * 5
        ws.append([*row[:10], *thresholds[:5], *row[11:]])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def run(args):
    import openpyxl
    from django.db import transaction
    from django.urls import reverse

    from kpi_agreements.workflow.jobs import run_job
    from kpi_agreements.workflow.models import Job

    world = bench_lists.build_world(args.units, args.kpis)
    client = bench_lists.client_for(world.admin)
    url = reverse("year_excel_export", args=[world.year.pk])
    print(f"openpyxl {openpyxl.__version__} writes with lxml: {openpyxl.LXML}")

    times = {"baseline": [], "request": [], "job": []}
    for _ in range(args.repeat):
        started = time.perf_counter()
        size = len(bare_write(world.year))
        times["baseline"].append(time.perf_counter() - started)
        try:
            # Rolled back afterwards, so the job's task (sent once its request commits) never starts: the
            # job is run here, by hand, and timed on its own.
            with transaction.atomic():
                started = time.perf_counter()
                response = client.post(url)
                times["request"].append(time.perf_counter() - started)
                assert response.status_code == 302, response.status_code
                job_pk = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
                started = time.perf_counter()
                run_job(job_pk)
                times["job"].append(time.perf_counter() - started)
                job = Job.objects.get(pk=job_pk)
                assert job.status == Job.Status.READY, job.error
                assert client.get(reverse("job_download", args=[job.pk])).status_code == 200
                job.file.delete(save=False)
                raise Rollback
        except Rollback:
            pass
    base = statistics.median(times["baseline"])
    print(f"\n{job.total:,} KPI rows in {job.filename} (the baseline's file: {size / 2**20:.1f} MiB)")
    print(f"{args.repeat} runs each, interleaved; medians ({bench_lists.vendor()}):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<10} {median:8.2f} s {median / base:8.2f}× baseline")
    job = statistics.median(times["job"])
    print(
        f"RESULT export: job {job:.2f} s (request {statistics.median(times['request']):.2f} s), "
        f"baseline {base:.2f} s, ratio {job / base:.2f}× (lxml: {openpyxl.LXML})"
    )


def main():
    args = bench_lists.parser(__doc__, repeat=3).parse_args()
    bench_lists.setup_django(args.configured_db, "bench-export-")
    bench_lists.run_in_db(args, run)


if __name__ == "__main__":
    main()
