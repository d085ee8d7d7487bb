"""Server time of the cascade map at the size of a real year (issue 14), beside a bare authenticated Django
view, measured interleaved in one run.

Run:
    .venv/bin/python bench/bench_cascade_map.py [--units 2000] [--kpis 25] [--repeat 15] [--configured-db]

The world is bench_lists.py's (every KPI of a department serves the ministry's KPI of the same place, every
bureau's its department's: 48,000 links). The map shows one unit's KPIs, each followed by the KPIs of the
units directly below that serve it, 50 rows a page, read as values; it is timed for the ministry's planning
staff on the ministry (the default), a department, a late page and a search, and for a bureau's head.
Prints figures only; asserts nothing.
"""

from bench_lists import client_for, interleaved, parser, report, run_in_db, setup_django, vendor


def run(args):
    from bench_lists import build_world
    from django.urls import reverse

    world = build_world(args.units, args.kpis)
    url = reverse("cascade_map", args=[world.year.pk])
    planner = client_for(world.planner)
    dept = world.depts[0]
    bureau = next(u for u in world.units if u.depth == 3)
    cases = [
        ("bare authenticated view (baseline)", planner, f"/__bare__/{world.agreements[dept.pk].pk}/"),
        ("cascade map, the ministry (planning staff)", planner, url),
        ("cascade map, a department", planner, f"{url}?unit={dept.pk}"),
        ("cascade map, a department, page 10", planner, f"{url}?unit={dept.pk}&page=10"),
        ("cascade map, search 'สำนักที่ 1'", planner, f"{url}?q=สำนักที่ 1"),
        ("cascade map, a bureau's head", client_for(world.heads[bureau.pk]), url),
    ]
    results = interleaved(cases, args.repeat)
    print(f"\n{args.repeat} requests each, interleaved; median server time (Django test client, {vendor()}):")
    report(results, cases[0][0], goal=0.3)


def main():
    args = parser(__doc__).parse_args()
    setup_django(args.configured_db, "bench-cascade-")
    run_in_db(args, run)


if __name__ == "__main__":
    main()
