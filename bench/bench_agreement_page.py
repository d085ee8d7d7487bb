"""Throughput of the agreement page against a bare authenticated Django view (issue 14), measured
interleaved in one run, in the same process, through the same middleware.

Run:
    .venv/bin/python bench/bench_agreement_page.py [--units 2000] [--kpis 25] [--repeat 30] [--configured-db]

The world is bench_lists.py's. The baseline is a ``login_required`` view that reads one agreement's unit name
and returns it: session, user and one query, no template. A second reference renders the site's empty page
(``base.html``: navigation, notices, language menu): what any page of the application costs at least. The
agreement page of a bureau's 25-KPI draft is timed for its editors (every row a form), a reader and the
committee's chair on a submitted one. Throughput ratio = baseline time ÷ page time (goal ≥ 0.4).
Prints figures only; asserts nothing.
"""

from bench_lists import client_for, interleaved, parser, run_in_db, setup_django, vendor


def run(args):
    from bench_lists import build_world
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import clear_url_caches, path

    @login_required
    def empty_page(request):
        return render(request, "base.html")

    urls = __import__(settings.ROOT_URLCONF)
    urls.urlpatterns.insert(0, path("__empty__/", empty_page))
    clear_url_caches()

    world = build_world(args.units, args.kpis)
    bureaus = [u for u in world.units if u.depth == 3]
    draft = next(u for u in bureaus if world.agreements[u.pk].status == "draft")
    submitted = next(u for u in bureaus if world.agreements[u.pk].status == "submitted")
    page = f"/agreements/{world.agreements[draft.pk].pk}/"
    planner = client_for(world.planner)
    cases = [
        ("bare authenticated view (baseline)", planner, f"/__bare__/{world.agreements[draft.pk].pk}/"),
        ("the site's empty page (base.html)", planner, "/__empty__/"),
        ("agreement page, draft (planning staff)", planner, page),
        ("agreement page, draft (the unit's head)", client_for(world.heads[draft.pk]), page),
        ("agreement page, draft (executive, reads)", client_for(world.executive), page),
        (
            "agreement page, submitted (committee chair)",
            client_for(world.chair),
            f"/agreements/{world.agreements[submitted.pk].pk}/",
        ),
    ]
    results = interleaved(cases, args.repeat)
    base = results[cases[0][0]][0]
    print(f"\n{args.repeat} requests each, interleaved; median server time (Django test client, {vendor()}):")
    print(f"  {'page':<46} {'time':>9} {'size':>9} {'queries':>7} {'throughput × bare':>18}")
    for label, (median, size, count) in results.items():
        flag = "" if label == cases[0][0] else ("  ok" if base / median >= 0.4 else "  under goal (0.4)")
        print(
            f"  {label:<46} {median * 1000:7.1f} ms {size / 1024:7.1f} KiB {count:>7} "
            f"{base / median:17.3f}×{flag}"
        )


def main():
    args = parser(__doc__, repeat=30).parse_args()
    setup_django(args.configured_db, "bench-agreement-page-")
    run_in_db(args, run)


if __name__ == "__main__":
    main()
