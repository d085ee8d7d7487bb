"""Server time of the KPI Template form at the size of a real year (issue 14), beside a bare authenticated
Django view, measured interleaved in one run.

Run:
    .venv/bin/python bench/bench_kpi_form.py [--units 2000] [--kpis 25] [--repeat 15] [--configured-db]

The world is bench_lists.py's: 2,022 people, each unit's head a supervisor. The form names people through two
pickers searched with htmx (``/people/search/``): the page carries the chosen person and, for browsers
without JavaScript, at most 50 people of the unit's part of the tree, never a select of the whole directory.
Timed for the ministry's planning staff and the bureau's head on a bureau's KPI, for the KPI's data collector
(template fields only), for a department's KPI (the people of 45 bureaus around it), and the search itself.
Prints figures only; asserts nothing.
"""

from bench_lists import client_for, interleaved, parser, report, run_in_db, setup_django, vendor


def run(args):
    from bench_lists import build_world
    from django.urls import reverse

    from kpi_agreements.agreements.models import KPI

    world = build_world(args.units, args.kpis)
    bureau = next(u for u in world.units if u.depth == 3 and world.agreements[u.pk].status == "draft")
    agreement = world.agreements[bureau.pk]
    kpi = KPI.objects.filter(agreement=agreement).order_by("order").first()
    dept_kpi = KPI.objects.filter(agreement=world.agreements[world.depts[0].pk]).order_by("order").first()
    planner, head = client_for(world.planner), client_for(world.heads[bureau.pk])
    search = reverse("person_search") + f"?for=agreement&obj={agreement.pk}&q=ผู้จัดเก็บ"
    cases = [
        ("bare authenticated view (baseline)", planner, f"/__bare__/{agreement.pk}/"),
        ("KPI form, a bureau's KPI (planning staff)", planner, reverse("kpi_edit", args=[kpi.pk])),
        ("KPI form, a bureau's KPI (its head)", head, reverse("kpi_edit", args=[kpi.pk])),
        ("KPI form, a department's KPI", planner, reverse("kpi_edit", args=[dept_kpi.pk])),
        ("new KPI form", planner, reverse("kpi_create", args=[agreement.pk])),
        ("people search of the pickers", planner, search),
    ]
    # A data collector of the ministry named on the KPI edits its template only (no weight, no people).
    cases.append(
        (
            "KPI form, its data collector (template only)",
            client_for(kpi.collector),
            reverse("kpi_edit", args=[kpi.pk]),
        )
    )
    results = interleaved(cases, args.repeat)
    print(f"\n{args.repeat} requests each, interleaved; median server time (Django test client, {vendor()}):")
    report(results, cases[0][0], goal=0.2)


def main():
    args = parser(__doc__).parse_args()
    setup_django(args.configured_db, "bench-kpi-form-")
    run_in_db(args, run)


if __name__ == "__main__":
    main()
