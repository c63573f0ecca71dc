"""Window and filter benchmark: the engine calls of every page for a window or filter
other than the default, read from the monthly table (schema version 5) and, side by
side in the same process, day by day (from the transactions since schema version 6,
from the customer-by-day table before).

For a dataset of ``--rows`` synthetic transactions of ``--customers`` customers over
three years, each engine call the pages make (analysis, concentration trend, class
migration, revenue-by-margin matrix, comparisons, customer flow, one customer's
periods and class history) is timed for three views: the last 12 months (as the
sidebar's "Last 12 months"), the same window ending mid-month (months cut by the
bounds are read day by day) and one region filter on the whole window. Each
figure is the median of ``--repeat`` runs, alternating the two paths; wall and CPU
time (all threads) are printed, with the load average, since the machine is shared.

Usage: python benchmarks/bench_windows.py [--rows 10000000] [--customers 100000]
       [--repeat 3] [--db FILE (reuse a generated file)]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kam_analysis import analysis as engine  # noqa: E402
from kam_analysis.analysis import AnalysisParams, Filters  # noqa: E402
from kam_analysis.analysis.window import add_months  # noqa: E402
from kam_analysis.db import (  # noqa: E402
    Database,
    get_dataset,
    list_datasets,
    open_database,
    sources,
)
from kam_analysis.db.synthetic import create_synthetic_dataset  # noqa: E402


def _calls(db: Database, name: str, params: AnalysisParams, customer: str
           ) -> dict[str, Callable[[], object]]:
    """The engine calls the pages make for ``params`` (one customer for the dossier)."""
    return {
        "analyze": lambda: engine.analyze(db, name, params),
        "trend": lambda: engine.concentration_trend(db, name, params),
        "migration": lambda: engine.migration(db, name, params),
        "comparison": lambda: engine.compare(db, name, params),
        "flow": lambda: engine.customer_flow(db, name, params, "month"),
        "customer periods": lambda: engine.customer_periods(db, name, customer, params),
        "class history": lambda: engine.customer_class_history(db, name, customer, params),
    }


def _timed(fn: Callable[[], object], daily: bool) -> tuple[float, float]:
    patch = (mock.patch.object(sources, "_monthly_source", return_value=None) if daily
             else mock.patch.object(sources, "_monthly_source", sources._monthly_source))
    with patch:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def _views(db: Database, name: str) -> dict[str, AnalysisParams]:
    last = get_dataset(db, name).last_date
    assert last is not None
    mid = last - timedelta(days=15)
    return {
        "last 12 months": AnalysisParams(start=add_months(last, -12) + timedelta(days=1),
                                         end=last),
        "12 months to mid-month": AnalysisParams(
            start=add_months(mid, -12) + timedelta(days=1), end=mid),
        "one region": AnalysisParams(filters=Filters(regions=("Region 1",))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="reuse this file (generated if missing)")
    parser.add_argument("--dataset", default="bench", help="dataset name in --db")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        db = open_database(path)
        name = args.dataset
        if name not in {d.name for d in list_datasets(db)}:
            create_synthetic_dataset(db, name, rows=args.rows, customers=args.customers,
                                     first_date=date(2023, 11, 1), days=1096)
        customer = str(engine.analyze(db, name).customers["customer_id"].iloc[1])
        print(f"load average before: {os.getloadavg()}")
        print(f"{'view':<24} {'call':<17} {'monthly ms':>11} {'(cpu)':>7} "
              f"{'daily ms':>9} {'(cpu)':>7}")
        for view, params in _views(db, name).items():
            totals = {False: 0.0, True: 0.0}
            for call, fn in _calls(db, name, params, customer).items():
                runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
                for _ in range(args.repeat):
                    for daily in (True, False):
                        runs[daily].append(_timed(fn, daily))
                med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
                       for k, v in runs.items()}
                totals[False] += med[False][0]
                totals[True] += med[True][0]
                print(f"{view:<24} {call:<17} {med[False][0]:>11.0f} {med[False][1]:>7.0f} "
                      f"{med[True][0]:>9.0f} {med[True][1]:>7.0f}", flush=True)
            print(f"{view:<24} {'sum':<17} {totals[False]:>11.0f} {'':>7} {totals[True]:>9.0f}")
        print(f"load average after: {os.getloadavg()}")
        db.close()


if __name__ == "__main__":
    main()
