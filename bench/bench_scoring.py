"""The scoring engine against a minimal Decimal scorer on the same results (issue 14, "scoring engine").

Run:
    .venv/bin/python bench/bench_scoring.py [--units 2000] [--kpis 25] [--results-per-kpi 4] [--repeat 3]

The world: ``--units`` × ``--kpis`` KPIs of mixed methods (random but seeded, so every run scores the same),
each with ``--results-per-kpi`` results (the 6-, 9- and 12-month rounds and a verified one: 200,000 results
by default). As in the application, every result comes with its own copy of its KPI's criteria document, read
from JSON, so nothing is shared between results but the content.

Timed in chunks of 4,000 results, each chunk every way in turn, ``--repeat`` times (medians of the sums);
every engine run starts with an empty criteria cache, so each KPI's criteria are parsed in it:
- baseline: a minimal Decimal scorer written for this benchmark, which trusts its input (no checks, no
  bounds, no error paths) and computes each score with plain Decimal arithmetic in the default context;
- ``scoring.score`` once per result, as a page or a form calls it;
- ``scoring.score_many`` over all results in one call, as a report's or a year's pass does (one decimal
  context; each criteria document checked once).
Both engine paths must give the baseline's scores (checked). Times are the process's CPU time (the work is
pure Python), steadier than the wall clock on a shared machine. Prints figures and ratios; asserts nothing.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpi_agreements import scoring  # noqa: E402
from kpi_agreements.scoring import methods  # noqa: E402

SEED = 2552
METHODS = scoring.METHODS


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000, help="units (default 2000)")
    parser.add_argument("--kpis", type=int, default=25, help="KPIs per unit (default 25)")
    parser.add_argument("--results-per-kpi", type=int, default=4, help="results per KPI (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each (default 3)")
    return parser.parse_args()


# --- the world --------------------------------------------------------------------------------------------


def _thresholds(rng):
    start, step = rng.randint(0, 80), Decimal(rng.randint(1, 500)) / 100
    values = [str(start + step * i) for i in range(5)]
    return values if rng.random() < 0.7 else values[::-1]


def _actual(rng, ts):
    low, high = sorted((Decimal(ts[0]), Decimal(ts[-1])))
    span = high - low
    return str(low - span / 4 + span * 3 / 2 * rng.randint(0, 1000) / 1000)


def _kpi(rng):
    """A KPI's (method, criteria) and a function drawing one of its results, shaped as stored."""
    method = rng.choice(METHODS)
    if method == "quantitative":
        ts = _thresholds(rng)
        return method, {"thresholds": ts}, lambda: {"actual": _actual(rng, ts)}
    if method == "multi_quantitative":
        measures = [
            {"name": f"ตัวชี้วัดย่อย {i}", "weight": str(rng.randint(1, 10)), "thresholds": _thresholds(rng)}
            for i in range(rng.randint(2, 4))
        ]
        return (
            method,
            {"measures": measures},
            lambda: {"actuals": [_actual(rng, m["thresholds"]) for m in measures]},
        )
    if method == "milestone":
        sizes = [rng.randint(1, 4) for _ in range(5)]
        levels = [[f"ขั้นตอน {i}.{j}" for j in range(n)] for i, n in enumerate(sizes)]
        return (
            method,
            {"levels": levels},
            lambda: {"done": [[rng.random() < 0.8 for _ in range(n)] for n in sizes]},
        )
    if method == "pass_fail":
        return method, {"condition": "ส่งรายงานภายใน 30 ก.ย."}, lambda: {"passed": rng.random() < 0.6}
    levels = ["ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 4", "ระดับ 5"]
    return method, {"levels": levels}, lambda: {"level": rng.randint(1, 5)}


def build_world(units: int, kpis: int, per_kpi: int) -> list[tuple]:
    """(method, criteria, result) per result; each criteria a fresh copy read from JSON, like a stored row."""
    rng = random.Random(SEED)
    cases = []
    for _ in range(units * kpis):
        method, criteria, draw = _kpi(rng)
        text = json.dumps(criteria)
        cases.extend((method, json.loads(text), draw()) for _ in range(per_kpi))
    return cases


# --- the baseline: a minimal Decimal scorer ---------------------------------------------------------------

Q4, FIVE, ONE = Decimal("0.0001"), Decimal(5), Decimal(1)


def _minimal_quantitative(thresholds, actual):
    t = [Decimal(x) for x in thresholds]
    if t[0] > t[-1]:  # lower is better: mirror it
        t, actual = [-x for x in t], -actual
    if actual >= t[4]:
        return FIVE
    if actual < t[0]:
        return ONE
    k = 0
    while actual >= t[k + 1]:
        k += 1
    return (k + 1 + (actual - t[k]) / (t[k + 1] - t[k])).quantize(Q4, ROUND_HALF_UP)


def minimal_score(method, criteria, result):
    if method == "quantitative":
        return _minimal_quantitative(criteria["thresholds"], Decimal(result["actual"])).quantize(Q4)
    if method == "multi_quantitative":
        total = weighted = Decimal(0)
        for measure, actual in zip(criteria["measures"], result["actuals"], strict=True):
            weight = Decimal(measure["weight"])
            weighted += weight * _minimal_quantitative(measure["thresholds"], Decimal(actual))
            total += weight
        return (weighted / total).quantize(Q4, ROUND_HALF_UP)
    if method == "milestone":
        reached = 0
        for ticks in result["done"]:
            if not all(ticks):
                break
            reached += 1
        return Decimal(max(reached, 1)).quantize(Q4)
    if method == "pass_fail":
        return (FIVE if result["passed"] else ONE).quantize(Q4)
    return Decimal(result["level"]).quantize(Q4)


# --- timing -----------------------------------------------------------------------------------------------


def run_baseline(cases):
    return [minimal_score(m, c, r) for m, c, r in cases]


def run_score(cases):
    score, policy = scoring.score, scoring.ScoringPolicy()
    return [score(m, c, r, policy) for m, c, r in cases]


def run_score_many(cases):
    return scoring.score_many(cases, scoring.ScoringPolicy())


CHUNK = 4000  # results timed at a time, every way in turn: a change in the machine's load hits all alike


def main():
    args = parse_args()
    started = time.perf_counter()
    cases = build_world(args.units, args.kpis, args.results_per_kpi)
    kinds = dict(sorted(Counter(m for m, _, _ in cases).items()))
    print(f"{len(cases):,} results of {args.units:,} units × {args.kpis} KPIs: {kinds}")
    print(f"  built in {time.perf_counter() - started:.1f} s")
    runs = {"baseline": run_baseline, "score": run_score, "score_many": run_score_many}
    chunks = [cases[i : i + CHUNK] for i in range(0, len(cases), CHUNK)]
    expected = run_baseline(cases)
    for name, run in runs.items():
        methods.clear_criteria_cache()
        scores = run(cases)
        if scores != expected:
            wrong = sum(a != b for a, b in zip(scores, expected, strict=True))
            print(f"  !! {name}: {wrong:,} scores differ from the baseline's")
    times = {name: [] for name in runs}
    for _ in range(args.repeat):
        spent = dict.fromkeys(runs, 0.0)
        for chunk in chunks:
            for name, run in runs.items():
                methods.clear_criteria_cache()  # each engine run starts cold: every KPI is parsed in it
                started = time.process_time()  # CPU time: pure Python work, steadier on a shared machine
                run(chunk)
                spent[name] += time.process_time() - started
        for name, value in spent.items():
            times[name].append(value)
    base = statistics.median(times["baseline"])
    print(f"  {'':<12} {'median':>9} {'results/s':>12} {'× baseline':>11}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<12} {median:8.2f}s {len(cases) / median:12,.0f} {median / base:10.2f}×")
    best = statistics.median(times["score_many"])
    print(f"RESULT scoring: engine {best:.2f} s, baseline {base:.2f} s, ratio {best / base:.2f}× (goal ≤ 2×)")


if __name__ == "__main__":
    main()
