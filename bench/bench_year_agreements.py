"""Server time of the year's agreements page at the size of a real year (issue 14, the "year's agreements"
page of the lists row), beside a bare authenticated Django view, measured interleaved in one run.

Run:
    .venv/bin/python bench/bench_year_agreements.py [--units 2000] [--kpis 25] [--repeat 15] [--configured-db]

The world is bench_lists.py's: ``--units`` units with an agreement of ``--kpis`` KPIs each in FY 2570, half
of the bureaus' with the committee; FY 2571 has no agreement yet, so its page offers every unit for a new
draft. Timed: the page's first page, a search, a status filter, a later page (planning staff and the
administrator at the root, a bureau's head), and FY 2571's page with its 2,000 units waiting; against a
``login_required`` view that reads one row. Prints median time, size, queries and the ratio; asserts
nothing.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_lists  # noqa: E402  (the shared world)


def run(args):
    from django.urls import reverse

    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.fiscal.services import fiscal_year_create

    world = bench_lists.build_world(args.units, args.kpis)
    next_year = FiscalYear.objects.filter(be_year=2571).first() or fiscal_year_create(be_year=2571)
    agreement = world.agreements[world.root.pk]
    planner, admin = bench_lists.client_for(world.planner), bench_lists.client_for(world.admin)
    bureau = next(u for u in world.units if u.depth == 3)
    head = bench_lists.client_for(world.heads[bureau.pk])
    page = reverse("year_agreements", args=[world.year.pk])
    cases = [
        ("bare authenticated view (baseline)", planner, f"/__bare__/{agreement.pk}/"),
        ("year's agreements (planning staff)", planner, page),
        ("  search 'สำนักที่ 1'", planner, page + "?q=สำนักที่ 1"),
        ("  status: with the committee", planner, page + "?status=submitted"),
        ("  page 20", planner, page + "?page=20"),
        ("year's agreements (administrator)", admin, page),
        ("year's agreements (a bureau's head)", head, page),
        ("FY 2571, every unit still to create", planner, reverse("year_agreements", args=[next_year.pk])),
    ]
    results = bench_lists.interleaved(cases, args.repeat)
    vendor = bench_lists.vendor()
    print(f"\n{args.repeat} requests each, interleaved; median server time (Django test client, {vendor}):")
    bench_lists.report(results, cases[0][0], goal=0.2)
    worst = max(median for label, (median, _s, _q) in results.items() if label != cases[0][0])
    base = results[cases[0][0]][0]
    print(
        f"RESULT year's agreements: slowest {worst * 1000:.0f} ms, bare {base * 1000:.1f} ms (goal < 200 ms)"
    )


def main():
    args = bench_lists.parser(__doc__).parse_args()
    bench_lists.setup_django(args.configured_db, "bench-year-agreements-")
    bench_lists.run_in_db(args, run)


if __name__ == "__main__":
    main()
