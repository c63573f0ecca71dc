"""Churn-model benchmark: fit time on 100,000 customers drawn from the model itself.

Draws customers from Pareto/NBD with CDNOW-like weekly parameters (r 0.55, alpha 10.6,
s 0.61, beta 11.7): first purchases spread uniformly over two years, purchases as whole
days, summarised with :func:`kam_analysis.churn.customer_summary` (distinct purchase
days, as the engine will get them from DuckDB). Then fits Pareto/NBD and BG/NBD

* grouped: identical (frequency, recency, T) triples weighted by their counts (the
  default), and
* a baseline: the same likelihood evaluated for every customer
  (``group_identical=False``),

and prints both times, the ratio, and the Pareto/NBD estimates next to the true values.
Target (2 cores): grouped fit < 2 s per model. Prints wall-clock and CPU seconds: on a
shared, overloaded machine the wall clock mostly measures the wait for a core.

Usage: python benchmarks/bench_churn.py [--customers N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam_analysis.churn import customer_summary, fit_model, to_weeks

TRUE = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}
WINDOW_DAYS = 730
END = date(2025, 12, 31)


def simulate(customers: int, seed: int) -> pd.DataFrame:
    """One row per customer and purchase day, drawn from Pareto/NBD (rates per week)."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, WINDOW_DAYS, customers)  # day of the first purchase
    age_weeks = (WINDOW_DAYS - 1 - start) / 7.0
    rate = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], customers)
    dropout = rng.gamma(TRUE["s"], 1.0 / TRUE["beta"], customers)
    alive_weeks = np.minimum(rng.exponential(1.0 / dropout), age_weeks)
    counts = rng.poisson(rate * alive_weeks)
    owner = np.repeat(np.arange(customers), counts)
    offsets = np.floor(rng.uniform(0.0, alive_weeks[owner]) * 7.0).astype(int)
    day = np.concatenate([start, start[owner] + offsets])
    who = np.concatenate([np.arange(customers), owner])
    first = END - timedelta(days=WINDOW_DAYS - 1)
    dates = pd.Timestamp(first) + pd.to_timedelta(day, unit="D")
    return pd.DataFrame({"customer_id": who, "order_date": dates})


def _timed(summary: pd.DataFrame, model: str, grouped: bool) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds of one fit (CPU time is what a busy machine cannot
    inflate), and the fit."""
    wall, cpu = time.perf_counter(), time.process_time()
    fitted = fit_model(summary["frequency"], to_weeks(summary["recency"]),
                       to_weeks(summary["T"]), model, group_identical=grouped)
    return time.perf_counter() - wall, time.process_time() - cpu, fitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    frame = simulate(args.customers, args.seed)
    begin = time.perf_counter()
    summary = customer_summary(frame, END)
    built = time.perf_counter() - begin
    distinct = len(summary.drop_duplicates())
    print(f"{len(summary):,} customers, {len(frame):,} purchase days, "
          f"{distinct:,} distinct (frequency, recency, T); summary built in {built:.2f} s")
    for model in ("pareto_nbd", "bg_nbd"):
        fast, fast_cpu, fitted = _timed(summary, model, grouped=True)
        slow, slow_cpu, baseline = _timed(summary, model, grouped=False)
        print(f"{model:10s} grouped {fast:6.2f} s (CPU {fast_cpu:5.2f} s)   baseline (every "
              f"customer) {slow:6.2f} s (CPU {slow_cpu:5.2f} s)   {slow_cpu / fast_cpu:5.1f}x"
              f" CPU   target < 2 s: {'ok' if min(fast, fast_cpu) < 2 else 'MISSED'}")
        print(f"           grouped  {fitted}")
        print(f"           baseline {baseline}")
    print(f"true Pareto/NBD parameters: {TRUE}")


if __name__ == "__main__":
    main()
