"""Server time of the organisation's lists and the committee's queue at the size of a real year (issue 14),
beside a bare authenticated Django view, measured interleaved in one run.

Run:
    .venv/bin/python bench/bench_lists.py [--units 2000] [--kpis 25] [--repeat 15] [--configured-db]

Builds, with bulk inserts, a ministry of ``--units`` units (a root, √n departments, bureaus below them), a
head for each unit holding the unit-head role, planning staff, an administrator and an executive at the root,
a negotiation committee of the root covering every unit, and one agreement of ``--kpis`` KPIs per unit for
FY 2570 (every KPI cascaded from the same KPI of the parent unit; the bureaus' agreements alternately with the
committee and in draft). Then it times the unit tree, the root unit's page, the person list, the committee's
page and the committee's queue (each first page, a search, a later page) against a ``login_required`` view
that reads one row and returns a few bytes, through the same middleware and the Django test client.

The other page benchmarks (``bench_cascade_map.py``, ``bench_kpi_form.py``, ``bench_agreement_page.py``)
import the world from here. By default a throwaway SQLite database in a temporary directory is migrated;
with ``--configured-db`` the configured database (``DATABASE_URL``, migrated) is used inside one transaction
rolled back at the end; on PostgreSQL the world is analysed once built, as autovacuum would have done.
Prints figures only; asserts nothing.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import types
from dataclasses import dataclass
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
COLLECTORS = 16


class Rollback(Exception):
    pass


def parser(doc: str, repeat: int = 15) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--units", type=int, default=2000, help="units in the ministry (default 2000)")
    p.add_argument("--kpis", type=int, default=25, help="KPIs per agreement (default 25)")
    p.add_argument("--repeat", type=int, default=repeat, help=f"requests per page (default {repeat})")
    p.add_argument("--configured-db", action="store_true", help="use the configured database, rolled back")
    return p


def setup_django(configured: bool, prefix: str) -> None:
    """Django with a URL configuration that adds the bare baseline view to the project's."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_agreements.settings")
    tmp = None
    if not configured:
        tmp = tempfile.mkdtemp(prefix=prefix)
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import clear_url_caches, include, path
    from django.utils.html import escape

    from kpi_agreements.agreements.models import Agreement

    @login_required
    def bare(request, pk):
        # The baseline: an authenticated read of one row through the same middleware, nothing else.
        name = Agreement.objects.filter(pk=pk).values_list("unit__name_th", flat=True).first()
        return HttpResponse(f"<p>{escape(name)}</p>")

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path("__bare__/<int:pk>/", bare), path("", include(settings.ROOT_URLCONF))]
    sys.modules["bench_urls"] = urls
    settings.ROOT_URLCONF = "bench_urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clear_url_caches()
    if tmp:
        from django.core.management import call_command

        print(f"migrating a throwaway SQLite database in {tmp} …")
        call_command("migrate", verbosity=0)


def run_in_db(args, fn) -> None:
    """``fn(args)`` on the throwaway database, or inside a rolled-back transaction on the configured one."""
    if not args.configured_db:
        fn(args)
        return
    from django.db import transaction

    try:
        with transaction.atomic():
            fn(args)
            raise Rollback
    except Rollback:
        print("rolled back")


# --- the world --------------------------------------------------------------------------------------------


@dataclass
class World:
    root: object
    depts: list
    units: list
    year: object
    planner: object
    admin: object
    executive: object
    chair: object
    committee: object
    agreements: dict  # unit pk -> agreement
    heads: dict  # unit pk -> person
    people: int
    kpis: int


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

    types_ = {
        code: UnitType.objects.get_or_create(code=f"bench-{code}", defaults={"name_th": th})[0]
        for code, th in [("ministry", "กระทรวง"), ("department", "กรม"), ("bureau", "สำนัก")]
    }
    root = Unit.objects.add_root(
        instance=Unit(name_th=f"กระทรวงทดสอบ {stamp}", abbreviation=f"ท{stamp}", unit_type=types_["ministry"])
    )
    n_depts = max(1, int((n_units - 1) ** 0.5))
    Unit.objects.bulk_create(
        [
            Unit(
                path=Unit._get_path(root.path, 2, i),
                depth=2,
                numchild=0,
                parent=root,
                name_th=f"กรมที่ {i}",
                abbreviation=f"ก{i}.",
                unit_type=types_["department"],
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
                unit_type=types_["bureau"],
            )
        )
    Unit.objects.bulk_create(bureaus, batch_size=1000)
    for dept in depts:
        Unit.objects.filter(pk=dept.pk).update(numchild=per.get(dept.pk, 0))
    return Unit.objects.get(pk=root.pk), depts


def build_world(n_units: int = 2000, n_kpis: int = 25, be_year: int = 2570) -> World:
    from kpi_agreements.agreements.models import KPI, Agreement, Dimension, Party
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation.models import (
        Committee,
        CommitteeMember,
        Person,
        Role,
        RoleAssignment,
        Unit,
    )

    stamp = str(time.time_ns())[-6:]
    started = time.perf_counter()
    root, depts = build_units(n_units, stamp)
    units = list(Unit.objects.filter(path__startswith=root.path).order_by("path"))

    def person(username, first, **extra):
        return Person(
            username=f"{username}-{stamp}",
            first_name=first,
            last_name="ทดสอบ",
            title="นาย",
            email=f"{username}-{stamp}@example.go.th",
            position=extra.pop("position", "นักวิเคราะห์นโยบายและแผน"),
            mobile="0812345678",
            password="!",  # unusable: the benchmark logs in with force_login
            **extra,
        )

    heads = [person(f"head{i}", f"หัวหน้า{i}", position="ผู้อำนวยการ") for i in range(len(units))]
    staff = [
        person(name, first)
        for name, first in [
            ("planner", "นักวางแผน"),
            ("admin", "ผู้ดูแล"),
            ("executive", "ผู้บริหาร"),
            ("chair", "ประธาน"),
            ("member", "กรรมการ"),
            ("secretary", "เลขานุการ"),
        ]
    ]
    collectors = [person(f"collector{i}", f"ผู้จัดเก็บ{i}") for i in range(COLLECTORS)]
    Person.objects.bulk_create(heads + staff + collectors, batch_size=1000)
    heads = list(Person.objects.filter(username__startswith="head", username__endswith=f"-{stamp}"))
    heads.sort(key=lambda p: int(p.username[4:].split("-")[0]))
    by_name = {p.username.split("-")[0]: p for p in Person.objects.filter(username__endswith=f"-{stamp}")}
    collectors = [by_name[f"collector{i}"] for i in range(COLLECTORS)]
    roles = [RoleAssignment(person=h, unit=u, role=Role.UNIT_HEAD) for h, u in zip(heads, units, strict=True)]
    roles += [
        RoleAssignment(person=by_name["planner"], unit=root, role=Role.PLANNING),
        RoleAssignment(person=by_name["admin"], unit=root, role=Role.ADMIN),
        RoleAssignment(person=by_name["executive"], unit=root, role=Role.EXECUTIVE),
    ]
    roles += [RoleAssignment(person=c, unit=root, role=Role.DATA_COLLECTOR) for c in collectors]
    RoleAssignment.objects.bulk_create(roles, batch_size=2000)
    head_of = {u.pk: h for u, h in zip(units, heads, strict=True)}
    for unit in units:
        unit.head = head_of[unit.pk]
    Unit.objects.bulk_update(units, ["head"], batch_size=1000)

    year = FiscalYear.objects.filter(be_year=be_year).first() or fiscal_year_create(
        be_year=be_year, make_current=True
    )
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(w))
        for i, (name, w) in enumerate(DIMENSIONS, start=1)
    ]
    bureau_index = {u.pk: i for i, u in enumerate(u for u in units if u.depth == 3)}

    def status(unit):
        if unit.depth < 3 or bureau_index[unit.pk] % 2:
            return Agreement.Status.DRAFT
        return Agreement.Status.SUBMITTED

    Agreement.objects.bulk_create(
        [Agreement(unit=u, fiscal_year=year, status=status(u)) for u in units], batch_size=1000
    )
    agreements = {a.unit_id: a for a in Agreement.objects.filter(fiscal_year=year, unit__in=units)}
    unit_of = {a.pk: unit_pk for unit_pk, a in agreements.items()}
    plan = kpi_plan(n_kpis)
    template = {
        "unit_of_measure": "ร้อยละ",
        "description": "คำอธิบายตัวชี้วัด",
        "formula": "ก / ข × 100",
        "data_source": "รายงานผลการดำเนินงาน",
        "collection_method": "รายไตรมาส",
    }
    served: dict = {}  # (unit pk, k) -> KPI pk, so the level below can cascade from it
    for depth in (1, 2, 3):
        level = [u for u in units if u.depth == depth]
        rows = [
            KPI(
                agreement=agreements[u.pk],
                dimension=dims[d],
                order=k + 1,
                name=f"ตัวชี้วัดที่ {k + 1} ของ {u.abbreviation}",
                weight=w,
                criteria=QUANT,
                supervisor=head_of[u.pk],
                collector=collectors[(i + k) % COLLECTORS],
                cascaded_from_id=served.get((u.parent_id, k)),
                **template,
            )
            for i, u in enumerate(level)
            for k, (d, w) in enumerate(plan)
        ]
        KPI.objects.bulk_create(rows, batch_size=5000)
        for agreement_id, order, pk in KPI.objects.filter(agreement__unit__in=level).values_list(
            "agreement_id", "order", "pk"
        ):
            served[(unit_of[agreement_id], order - 1)] = pk
    Party.objects.bulk_create(
        [
            p
            for u in units
            for p in (
                Party(agreement=agreements[u.pk], role=Party.Role.PLEDGOR, person=head_of[u.pk], order=1),
                Party(
                    agreement=agreements[u.pk],
                    role=Party.Role.RECIPIENT,
                    person=head_of.get(u.parent_id),
                    order=2,
                ),
            )
        ],
        batch_size=2000,
    )
    committee = Committee.objects.create(
        name=f"คณะกรรมการเจรจาข้อตกลง {stamp}", kind="negotiation", fiscal_year=year, unit=root
    )
    Committee.units_covered.through.objects.bulk_create(
        [Committee.units_covered.through(committee=committee, unit=u) for u in units], batch_size=2000
    )
    for name, position in [("chair", "chair"), ("member", "member"), ("secretary", "secretary")]:
        CommitteeMember.objects.create(committee=committee, person=by_name[name], position=position)
    if vendor() == "postgresql":
        # A live database has its statistics from autovacuum; rows written in this run's transaction have none
        # until analysed, and the planner would guess.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    world = World(
        root=root,
        depts=depts,
        units=units,
        year=year,
        planner=by_name["planner"],
        admin=by_name["admin"],
        executive=by_name["executive"],
        chair=by_name["chair"],
        committee=committee,
        agreements=agreements,
        heads=head_of,
        people=Person.objects.count(),
        kpis=KPI.objects.filter(agreement__fiscal_year=year).count(),
    )
    print(
        f"built {len(units)} units, {world.people} people, {len(agreements)} agreements, "
        f"{world.kpis} KPIs in {time.perf_counter() - started:.0f} s ({vendor()})"
    )
    return world


# --- timing -----------------------------------------------------------------------------------------------


def vendor() -> str:
    from django.db import connection

    return connection.vendor


def client_for(person):
    from django.test import Client

    client = Client()
    client.force_login(person)
    return client


def interleaved(cases: list[tuple[str, object, str]], repeat: int) -> dict:
    """Median seconds, bytes and queries of ``(label, client, path)`` GETs, taking turns ``repeat`` times so a
    slow moment of the machine falls on every case alike."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = {label: [] for label, _c, _p in cases}
    sizes, queries = {}, {}
    for label, client, path in cases:  # warm templates, caches and the session
        response = client.get(path)
        assert response.status_code == 200, (label, path, response.status_code)
    for _ in range(repeat):
        for label, client, path in cases:
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(path)
                times[label].append(time.perf_counter() - start)
            sizes[label] = len(response.content)
            queries[label] = len(captured.captured_queries)
    return {
        label: (statistics.median(values), sizes[label], queries[label]) for label, values in times.items()
    }


def report(results: dict, baseline: str, goal: float | None = None) -> None:
    """One line per page: median time, size, queries, and the ratio to the baseline's time."""
    base = results[baseline][0]
    print(f"  {'page':<46} {'time':>9} {'size':>9} {'queries':>7} {'× bare':>7}")
    for label, (median, size, count) in results.items():
        flag = "" if goal is None or label == baseline else ("  ok" if median < goal else "  over goal")
        print(
            f"  {label:<46} {median * 1000:7.1f} ms {size / 1024:7.1f} KiB {count:>7} "
            f"{median / base:6.1f}×{flag}"
        )


def run(args):
    from django.urls import reverse

    world = build_world(args.units, args.kpis)
    agreement = world.agreements[world.root.pk]
    bare = ("bare authenticated view (baseline)", client_for(world.planner), f"/__bare__/{agreement.pk}/")
    admin, executive, chair = client_for(world.admin), client_for(world.executive), client_for(world.chair)
    committee = reverse("committee_detail", args=[world.committee.pk])
    cases = [
        bare,
        ("unit tree (executive)", executive, reverse("unit_tree")),
        ("unit tree, search 'สำนักที่ 1'", executive, reverse("unit_tree") + "?q=สำนักที่ 1"),
        ("unit tree, page 20", executive, reverse("unit_tree") + "?page=20"),
        ("unit detail, root (administrator)", admin, reverse("unit_detail", args=[world.root.pk])),
        ("person list (administrator)", admin, reverse("person_list")),
        ("person list, search 'หัวหน้า1'", admin, reverse("person_list") + "?q=หัวหน้า1"),
        ("person list, page 30", admin, reverse("person_list") + "?page=30"),
        ("committee detail (administrator)", admin, committee),
        ("committee detail (chair)", chair, committee),
        ("committee queue (chair)", chair, reverse("committee_queue")),
        ("committee queue, search 'สำนักที่ 1'", chair, reverse("committee_queue") + "?q=สำนักที่ 1"),
        ("committee queue, page 10", chair, reverse("committee_queue") + "?page=10"),
    ]
    results = interleaved(cases, args.repeat)
    print(f"\n{args.repeat} requests each, interleaved; median server time (Django test client, {vendor()}):")
    report(results, bare[0], goal=0.2)


def main():
    args = parser(__doc__).parse_args()
    setup_django(args.configured_db, "bench-lists-")
    run_in_db(args, run)


if __name__ == "__main__":
    main()
