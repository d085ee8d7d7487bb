"""Timing of the Excel workbooks: import of 5,000 KPI rows into one agreement, and a year's export.

Run:
    DJANGO_SETTINGS_MODULE=kpi_agreements.settings .venv/bin/python bench/bench_excel.py [--units 2000]
        [--kpis-per-unit 25] [--rows 5000] [--configured-db]

By default the script migrates a throwaway SQLite database in a temporary directory (nothing else is
touched). With ``--configured-db`` it runs on the configured database (e.g. ``DATABASE_URL`` for PostgreSQL,
already migrated) inside one transaction that it rolls back at the end. Prints figures only; nothing is
asserted.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000, help="units in the year export (default 2000)")
    parser.add_argument("--kpis-per-unit", type=int, default=25, help="KPIs per unit (default 25)")
    parser.add_argument(
        "--rows", type=int, default=5000, help="KPI rows in the imported workbook (default 5000)"
    )
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
    print(f"  {label:<58} {elapsed:8.2f} s")
    return result, elapsed


def setup_django(configured: bool) -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_agreements.settings")
    tmp = None
    if not configured:
        tmp = tempfile.mkdtemp(prefix="bench-excel-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    if tmp:
        from django.core.management import call_command

        print(f"migrating a throwaway SQLite database in {tmp} …")
        call_command("migrate", verbosity=0)
    return tmp


def build_world(n_units: int, kpis_per_unit: int):
    """A fiscal year with four dimensions, a root unit with ``n_units`` units below, and their agreements."""
    from django.db.models import Max

    from kpi_agreements.agreements.models import KPI, Agreement, Dimension
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.organisation.models import Person, Unit, UnitType

    be_year = (FiscalYear.objects.aggregate(m=Max("be_year"))["m"] or 2569) + 1
    year = FiscalYear.objects.create(be_year=be_year)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(w))
        for i, (name, w) in enumerate(
            [
                ("มิติด้านประสิทธิผล", 45),
                ("มิติด้านคุณภาพการให้บริการ", 15),
                ("มิติด้านประสิทธิภาพ", 20),
                ("มิติด้านการพัฒนาองค์กร", 20),
            ],
            start=1,
        )
    ]
    unit_type, _ = UnitType.objects.get_or_create(code="bench-unit", defaults={"name_th": "หน่วยทดสอบ"})
    stamp = str(time.time_ns())[-8:]
    root = Unit.objects.add_root(
        dict(name_th=f"หน่วยงานทดสอบ {stamp}", abbreviation=f"ท{stamp}", unit_type=unit_type)
    )
    units = [
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
    ]
    Unit.objects.bulk_create(units, batch_size=1000)
    Unit.objects.filter(pk=root.pk).update(numchild=n_units)
    people = Person.objects.bulk_create(
        [Person(username=f"bench-{stamp}-{i}", first_name=f"ผู้ทดสอบ{i}", last_name="ทดสอบ") for i in range(50)]
    )
    user = people[0]
    units = list(Unit.objects.filter(parent=root).order_by("path"))
    agreements = Agreement.objects.bulk_create(
        [Agreement(unit=u, fiscal_year=year) for u in units], batch_size=1000
    )
    # Each agreement: KPI 1 is a parent of three sub-KPIs; the rest are top-level, spread over the dimensions.
    quant = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}
    parents = KPI.objects.bulk_create(
        [
            KPI(agreement=a, dimension=dims[0], order=1, name="ตัวชี้วัดหลัก", weight=Decimal(15), criteria={})
            for a in agreements
        ],
        batch_size=2000,
    )
    rows = []
    for a, parent in zip(agreements, parents, strict=True):
        for k in range(3):
            rows.append(
                KPI(
                    agreement=a,
                    dimension=dims[0],
                    parent=parent,
                    order=k + 1,
                    name=f"ตัวชี้วัดย่อยที่ {k + 1}",
                    weight=Decimal(5),
                    criteria=quant,
                    supervisor=people[k],
                    collector=people[k + 10],
                )
            )
        for k in range(kpis_per_unit - 4):
            rows.append(
                KPI(
                    agreement=a,
                    dimension=dims[1 + k % 3],
                    order=k + 2,
                    name=f"ตัวชี้วัดที่ {k + 2}",
                    weight=Decimal(85) / (kpis_per_unit - 4),
                    unit_of_measure="ร้อยละ",
                    criteria=quant,
                    supervisor=people[k % 50],
                    collector=people[(k + 7) % 50],
                )
            )
    KPI.objects.bulk_create(rows, batch_size=2000)
    return year, user, dims


def import_workbook_rows(agreement, n_rows: int):
    """A filled-in workbook of ``n_rows`` new KPIs: each parent has four sub-KPIs of mixed methods."""
    from kpi_agreements.agreements.excel import export, layout

    wb = export.agreement_workbook(agreement, blank=True)
    ws = wb[layout.SHEET_KPIS]
    dims = list(agreement.fiscal_year.dimensions.all())
    sheets = {method: wb[name] for method, (name, _columns) in layout.CRITERIA_SHEETS.items()}
    labels = layout.METHOD_LABELS_TH
    parent_number = None
    for i in range(n_rows):
        group, position = divmod(i, 5)
        if position == 0:
            parent_number = str(group + 1)
            ws.append(
                [
                    None,
                    parent_number,
                    dims[group % len(dims)].name_th,
                    None,
                    f"ตัวชี้วัดที่ {parent_number}",
                    None,
                    "ร้อยละ",
                    labels["quantitative"],
                    None,
                    "คำอธิบาย",
                    "ก / ข × 100",
                ]
            )
            continue
        number = f"{parent_number}.{position}"
        method = [
            "quantitative",
            "quantitative",
            "multi_quantitative",
            "milestone",
            "pass_fail",
            "quantitative",  # (a parent's position: unused)
            "qualitative",
            "milestone",
            "multi_quantitative",
            "quantitative",
        ][i % 10]
        ws.append(
            [
                None,
                number,
                None,
                parent_number,
                f"ตัวชี้วัดย่อยที่ {number}",
                0.05,
                "ร้อยละ",
                labels[method],
                "ยิ่งมากยิ่งดี",
                "คำอธิบาย",
                "ก / ข × 100",
                "",
                70,
                75.5,
                80,
                "รายงาน",
                "รายไตรมาส",
            ]
        )
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
    sizes = {
        name: sheet.max_row - 1
        for name, sheet in [(layout.SHEET_KPIS, ws), *((s.title, s) for s in sheets.values())]
    }
    return export.workbook_bytes(wb), sizes


def run(args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from openpyxl import load_workbook

    from kpi_agreements.agreements.excel import export, layout
    from kpi_agreements.agreements.models import KPI, Agreement
    from kpi_agreements.agreements.services import excel_import
    from kpi_agreements.organisation.models import Unit

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    print(f"building {args.units:,} units × {args.kpis_per_unit} KPIs …")
    (year, user, _dims), _ = timed("set-up (bulk inserts)", build_world, args.units, args.kpis_per_unit)

    agreements = Agreement.objects.filter(fiscal_year=year)
    n_kpis = KPI.objects.filter(agreement__fiscal_year=year).count()
    print(f"\nyear export: {agreements.count():,} agreements, {n_kpis:,} KPIs")
    with CaptureQueriesContext(connection) as queries:
        wb, _ = timed("year_workbook (query + rows)", export.year_workbook, year, agreements)
    print(f"    queries={len(queries.captured_queries)}")
    out, _ = timed("  … saved to bytes", export.workbook_bytes, wb)
    print(f"    {len(out) / 1024 / 1024:,.1f} MiB")

    print(f"\nimport of {args.rows:,} KPI rows into one agreement")
    unit_type = agreements.first().unit.unit_type
    target_unit = Unit.objects.add_root(
        dict(name_th="สำนักนำเข้า", abbreviation=f"น{time.time_ns() % 10**8}", unit_type=unit_type)
    )
    agreement = Agreement.objects.create(unit=target_unit, fiscal_year=year)
    data, sizes = import_workbook_rows(agreement, args.rows)
    print(f"  workbook: {len(data) / 1024:,.0f} KiB; rows per sheet: {sizes}")
    report, _ = timed(
        "import, every row new (check + create)",
        excel_import.import_workbook,
        agreement,
        io.BytesIO(data),
        user,
    )
    print(f"    ok={report.ok} created={report.created} errors={len(report.errors)}")
    wb, _ = timed(
        f"agreement_workbook (download of the {args.rows:,} rows)", export.agreement_workbook, agreement
    )
    ws = wb[layout.SHEET_KPIS]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 5).value = f"{ws.cell(r, 5).value} (แก้ไข)"
    edited, _ = timed("  … saved to bytes, every name edited", export.workbook_bytes, wb)
    report, _ = timed(
        "import, every row changed (check + update)",
        excel_import.import_workbook,
        agreement,
        io.BytesIO(edited),
        user,
    )
    print(f"    ok={report.ok} updated={report.updated} errors={len(report.errors)}")
    with CaptureQueriesContext(connection) as queries:
        report, _ = timed(
            "import of the same file again (check only, nothing changes)",
            excel_import.import_workbook,
            agreement,
            io.BytesIO(edited),
            user,
        )
    print(f"    ok={report.ok} unchanged={report.unchanged} queries={len(queries.captured_queries)}")
    broken_wb = load_workbook(io.BytesIO(edited))
    broken_wb[layout.SHEET_QUANTITATIVE]["B2"].value = "6x"
    broken = export.workbook_bytes(broken_wb)
    report, _ = timed(
        "a refused file (one threshold is text)",
        excel_import.import_workbook,
        agreement,
        io.BytesIO(broken),
        user,
    )
    print(f"    ok={report.ok} errors={len(report.errors)}")


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
