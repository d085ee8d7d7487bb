"""Throughput of kpi_agreements.scoring: score 200,000 KPI results of mixed methods.

Run: .venv/bin/python bench/bench_scoring.py [count]. Data are random but seeded, so every run scores the
same results. Prints figures only; nothing is asserted.
"""

import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kpi_agreements.scoring import METHODS, ScoringPolicy, score  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
SEED = 2552


def thresholds(rng):
    start, step = rng.randint(0, 80), Decimal(rng.randint(1, 500)) / 100
    values = [str(start + step * i) for i in range(5)]
    return values if rng.random() < 0.7 else values[::-1]


def actual(rng, ts):
    low, high = sorted((Decimal(ts[0]), Decimal(ts[-1])))
    span = high - low
    return str(low - span / 4 + span * 3 / 2 * rng.randint(0, 1000) / 1000)


def make_case(rng):
    """One (method, criteria, result) triple, shaped as the app stores them (numbers as strings)."""
    method = rng.choice(METHODS)
    if method == "quantitative":
        ts = thresholds(rng)
        return method, {"thresholds": ts}, {"actual": actual(rng, ts)}
    if method == "multi_quantitative":
        measures = [
            {"name": f"m{i}", "weight": str(rng.randint(1, 10)), "thresholds": thresholds(rng)}
            for i in range(rng.randint(2, 4))
        ]
        return method, {"measures": measures}, {"actuals": [actual(rng, m["thresholds"]) for m in measures]}
    if method == "milestone":
        sizes = [rng.randint(1, 4) for _ in range(5)]
        levels = [[f"step {i}.{j}" for j in range(n)] for i, n in enumerate(sizes)]
        return method, {"levels": levels}, {"done": [[rng.random() < 0.8 for _ in range(n)] for n in sizes]}
    if method == "pass_fail":
        return method, {"condition": "done by 30 September"}, {"passed": rng.random() < 0.6}
    return method, {"levels": ["1", "2", "3", "4", "5"]}, {"level": rng.randint(1, 5)}


def main():
    rng = random.Random(SEED)
    cases = [make_case(rng) for _ in range(COUNT)]
    policies = [ScoringPolicy(), ScoringPolicy(interpolation="step", milestone_partial=True, floor=0)]
    print(f"scoring {COUNT:,} KPI results: {dict(sorted(Counter(m for m, _, _ in cases).items()))}")
    for policy in policies:
        started = time.perf_counter()
        total = sum(score(method, criteria, result, policy) for method, criteria, result in cases)
        elapsed = time.perf_counter() - started
        label = f"interpolation={policy.interpolation}, milestone_partial={policy.milestone_partial}"
        print(f"  {label}: total time {elapsed:.2f} s, {COUNT / elapsed:,.0f} results/second")
        print(f"    mean score {total / COUNT:.4f}")


if __name__ == "__main__":
    main()
