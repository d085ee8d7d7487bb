"""Server time and query count of the agreement editor for a 60-KPI agreement (issue 4).

Run:
    .venv/bin/python bench/bench_editor.py [--kpis 60] [--repeat 20]

Uses a throwaway SQLite database in a temporary directory; prints figures only, asserts nothing.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kpis", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-editor-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_agreements.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    call_command("migrate", verbosity=0)
    setup_test_environment()
    from kpi_agreements.agreements.models import KPI, Dimension
    from kpi_agreements.agreements.services import drafting
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation import services as org_services
    from kpi_agreements.organisation.models import Person, RoleAssignment, UnitType

    kind = UnitType.objects.create(code="bureau", name_th="สำนัก")
    root = org_services.unit_create(parent=None, name_th="กระทรวง", abbreviation="ก.", unit_type=kind)
    unit = org_services.unit_create(parent=root, name_th="สำนัก", abbreviation="ส.", unit_type=kind)
    person = Person.objects.create(username="bench", first_name="Bench", position="นักวิเคราะห์")
    RoleAssignment.objects.create(person=person, unit=root, role="planning")
    year = fiscal_year_create(be_year=2570)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=f"มิติ {i}", weight=25) for i in range(1, 5)
    ]
    agreement = drafting.agreements_create(fiscal_year=year, units=[unit])[0]
    criteria = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}
    parents = []
    for i in range(args.kpis):
        parent = parents[i % len(parents)] if i >= 20 and parents else None
        kpi = KPI.objects.create(
            agreement=agreement,
            dimension=parent.dimension if parent else dims[i % 4],
            parent=parent,
            order=i,
            name=f"ตัวชี้วัดที่ {i}",
            weight=Decimal("1.25"),
            criteria=criteria,
            supervisor=person,
            collector=person,
            unit_of_measure="ร้อยละ",
            description="ก",
            formula="ข",
            data_source="ค",
            collection_method="ง",
        )
        if i < 20:
            parents.append(kpi)

    client = Client()
    client.force_login(person)
    url = f"/agreements/{agreement.pk}/"
    client.get(url)  # warm templates and caches
    times = []
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200
    print(f"agreement editor, {args.kpis} KPIs ({len(parents)} parents), {args.repeat} requests:")
    print(f"  server time: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    print(f"  queries per request: {len(queries.captured_queries)}")


if __name__ == "__main__":
    main()
