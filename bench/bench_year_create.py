"""Creating the year's agreements for every unit (issue 14, "create the year's agreements").

Run:
    .venv/bin/python bench/bench_year_create.py [--units 2000] [--repeat 3] [--configured-db]

The world is bench_lists.py's ministry of ``--units`` units with their heads (its FY 2570 agreements are left
alone), and FY 2571's framework: four dimensions and six mandatory KPIs for every unit type (1 with its
sub-KPIs 1.1 and 1.2, then 2, 3 and 4), and a signing rule for the bureaus (co-signed by the department's
head). By default a throwaway SQLite database is migrated; ``--configured-db`` uses the configured one
inside a transaction rolled back at the end.

Timed, interleaved ``--repeat`` times, each run in a transaction rolled back afterwards (medians):
- baseline: the same rows (an agreement, its parties and six KPIs per unit) written with plain
  ``bulk_create``: no history, no checks, nothing read;
- the request: the planner's POST of "create every unit's draft" (it asks for the job and answers with
  the job's page);
- the job: ``run_job`` of that job: every unit's draft with its history, the checks and the progress.
Prints figures and the ratio; asserts nothing.
"""

import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_lists  # noqa: E402  (the shared world)

QUANT = {"thresholds": ["60", "70", "80", "90", "100"], "direction": "higher"}
# (code, parent's code, dimension, weight)
MANDATORY = [
    ("1", None, 0, 20), ("1.1", "1", 0, 12), ("1.2", "1", 0, 8), ("2", None, 1, 10), ("3", None, 2, 10),
    ("4", None, 3, 10),
]  # fmt: skip


class Rollback(Exception):
    pass


def framework_2571(world):
    """FY 2571 with four dimensions, the six mandatory KPIs, and the bureaus' signing rule."""
    from kpi_agreements.agreements.models import Dimension, SigningRule
    from kpi_agreements.agreements.services import framework
    from kpi_agreements.fiscal.models import FiscalYear
    from kpi_agreements.fiscal.services import fiscal_year_create
    from kpi_agreements.organisation.models import UnitType

    year = FiscalYear.objects.filter(be_year=2571).first() or fiscal_year_create(be_year=2571)
    dims = [
        Dimension.objects.create(fiscal_year=year, order=i, name_th=name, weight=Decimal(w))
        for i, (name, w) in enumerate(bench_lists.DIMENSIONS, start=1)
    ]
    saved = {}
    for code, parent, d, weight in MANDATORY:
        saved[code] = framework.mandatory_kpi_save(
            fiscal_year=year,
            unit_types=[],
            code=code,
            dimension=dims[d],
            weight=Decimal(weight),
            name=f"ตัวชี้วัดภาคบังคับ {code}",
            method="quantitative",
            direction="higher",
            criteria=QUANT,
            unit_of_measure="ร้อยละ",
            description="คำอธิบายตัวชี้วัด",
            parent=saved.get(parent),
        )
    types = {t.code: t for t in UnitType.objects.filter(code__startswith="bench-")}
    SigningRule.objects.update_or_create(
        unit_type=types["bench-bureau"],
        defaults={"recipient_type": types["bench-ministry"], "co_signer_type": types["bench-department"]},
    )
    return year


def bare_create(year, units) -> int:
    """The baseline: the same rows with plain bulk inserts."""
    from kpi_agreements.agreements.models import KPI, Agreement, MandatoryKPI, Party

    agreements = Agreement.objects.bulk_create([Agreement(unit=u, fiscal_year=year) for u in units])
    parties = []
    for unit, a in zip(units, agreements, strict=True):
        parties.append(Party(agreement=a, role=Party.Role.PLEDGOR, person_id=unit.head_id, order=0))
        parties.append(Party(agreement=a, role=Party.Role.RECIPIENT, person_id=None, order=1))
    Party.objects.bulk_create(parties)
    mandatory = {m.code: m for m in MandatoryKPI.objects.filter(fiscal_year=year)}
    rows = 0
    copies = {}
    for level in (None, "1"):  # parents first: a sub-KPI needs its parent's id
        batch = [
            KPI(
                agreement=a,
                dimension_id=mandatory[code].dimension_id,
                parent=copies.get((a.pk, parent)),
                mandatory=mandatory[code],
                order=i,
                weight=Decimal(weight),
                name=mandatory[code].name,
                method="quantitative",
                criteria=QUANT,
            )
            for a in agreements
            for i, (code, parent, _d, weight) in enumerate(MANDATORY)
            if parent == level
        ]
        KPI.objects.bulk_create(batch)
        copies.update({(k.agreement_id, k.mandatory.code): k for k in batch})
        rows += len(batch)
    return rows


def run(args):
    from django.db import transaction
    from django.urls import reverse

    from kpi_agreements.agreements.models import KPI, Agreement
    from kpi_agreements.organisation.models import Unit
    from kpi_agreements.workflow.jobs import run_job
    from kpi_agreements.workflow.models import Job

    world = bench_lists.build_world(args.units, args.kpis)
    year = framework_2571(world)
    units = list(Unit.objects.filter(pk__in=[u.pk for u in world.units]).order_by("path"))
    client = bench_lists.client_for(world.planner)
    url = reverse("year_agreements_create", args=[year.pk])

    def rolled_back(fn):
        started = time.perf_counter()
        try:
            with transaction.atomic():
                out = fn()
                raise Rollback(out, time.perf_counter() - started)
        except Rollback as done:
            return done.args

    def request_and_job():
        started = time.perf_counter()
        response = client.post(url, {"every": "1"})
        asked = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        job = Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
        started = time.perf_counter()
        run_job(job.pk)
        ran = time.perf_counter() - started
        job.refresh_from_db()
        assert job.status == Job.Status.READY, job.error
        agreements = Agreement.objects.filter(fiscal_year=year).count()
        kpis = KPI.objects.filter(agreement__fiscal_year=year).count()
        return asked, ran, agreements, kpis, job.outcome["summary"]

    times = {"baseline": [], "request": [], "job": []}
    for _ in range(args.repeat):
        rows, elapsed = rolled_back(lambda: bare_create(year, units))
        times["baseline"].append(elapsed)
        (asked, ran, agreements, kpis, summary), _total = rolled_back(request_and_job)
        times["request"].append(asked)
        times["job"].append(ran)
    base = statistics.median(times["baseline"])
    print(f"\n{agreements:,} agreements, {kpis:,} KPIs ({rows:,} in the baseline); the job said: {summary}")
    print(f"{args.repeat} runs each, interleaved, each rolled back; medians ({bench_lists.vendor()}):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<10} {median:8.2f} s {median / base:8.2f}× baseline")
    job = statistics.median(times["job"])
    print(
        f"RESULT create: job {job:.2f} s (request {statistics.median(times['request']):.2f} s), "
        f"baseline {base:.2f} s, ratio {job / base:.2f}× (goal < 5 s in the job)"
    )


def main():
    args = bench_lists.parser(__doc__, repeat=3).parse_args()
    bench_lists.setup_django(args.configured_db, "bench-create-")
    bench_lists.run_in_db(args, run)


if __name__ == "__main__":
    main()
