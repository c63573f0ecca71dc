"""Engine benchmark: full recompute of analyze() on 10 million transactions.

Generates 10,000,000 transactions of 100,000 customers over three years directly
in DuckDB (into a temporary database file), builds the aggregates as an import
does, then measures in separate child processes (so generation does not count
towards the peak memory):

* the engine: ``analyze()`` with default parameters (classification, ABC-XYZ
  matrix, Pareto, Lorenz, concentration) — first call and median of warm calls,
  and the process's peak RSS;
* a baseline: a straightforward pandas implementation of the same
  classification from the raw transactions (already loaded into a DataFrame;
  loading is not timed).

Prints the figures and the ratio. Targets (2 cores): < 0.5 s, >= 10x faster
than pandas, peak memory < 1 GB.

Usage: python benchmarks/bench_engine.py [--rows N] [--customers N] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATASET = "bench"
FIRST = date(2023, 1, 1)
DAYS = 1096  # three years


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB.

    Linux's VmHWM belongs to the process image (reset at exec), whereas
    getrusage's ru_maxrss carries over the parent's peak across fork+exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def generate(path: str, rows: int, customers: int) -> dict:
    from kam_analysis.db import open_database
    from kam_analysis.db.synthetic import create_synthetic_dataset

    db = open_database(path)
    t0 = time.perf_counter()
    info = create_synthetic_dataset(db, DATASET, rows=rows, customers=customers,
                                    first_date=FIRST, days=DAYS, seed=11)
    seconds = time.perf_counter() - t0
    db.close()
    return {"seconds": seconds, "rows": info.row_count, "customers": info.customer_count}


def db_last_date(db) -> date:
    from kam_analysis.db import get_dataset

    return get_dataset(db, DATASET).last_date


def measure_engine(path: str, repeats: int) -> dict:
    from kam_analysis.analysis import AnalysisParams, Filters, analyze
    from kam_analysis.db import open_database

    db = open_database(path)
    t0 = time.perf_counter()
    result = analyze(db, DATASET)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = analyze(db, DATASET)
        times.append(time.perf_counter() - t0)
    peak_default = _peak_rss_mb()
    # Not the target, for information: a window other than the whole dataset
    # (the last 12 months) and a region filter are computed from sales_monthly and the transactions.
    last = db_last_date(db)
    window = AnalysisParams(start=date(last.year - 1, last.month, last.day) + timedelta(days=1))
    t0 = time.perf_counter()
    analyze(db, DATASET, window)
    custom_window = time.perf_counter() - t0
    t0 = time.perf_counter()
    analyze(db, DATASET, AnalysisParams(filters=Filters(regions=("Region 1",))))
    region_filter = time.perf_counter() - t0
    return {"first": first, "median": statistics.median(times), "min": min(times),
            "custom_window": custom_window, "region_filter": region_filter,
            "customers": len(result.customers), "hhi": result.concentration.hhi,
            "key_accounts": int(result.customers["key_account"].sum()),
            "abc_counts": result.customers["abc"].value_counts().to_dict(),
            "abc_xyz": dict(zip(result.matrix["abc_xyz"], result.matrix["customers"],
                                strict=True)),
            "peak_rss_mb": peak_default, "peak_rss_all_mb": _peak_rss_mb()}


def _pandas_classification(tx):
    import numpy as np
    import pandas as pd

    end = tx["order_date"].max()
    start = tx["order_date"].min()
    # Value, ranking, ABC.
    value = tx.groupby("customer_id")["revenue"].sum()
    df = value.rename("value").reset_index()
    df = df.sort_values(["value", "customer_id"], ascending=[False, True]).reset_index(drop=True)
    pos = df["value"] > 0
    total = df.loc[pos, "value"].sum()
    df["share"] = df["value"] / total
    df["cumulative_share"] = df["share"].where(pos, 0).cumsum()
    df["cum_before"] = df["cumulative_share"] - df["share"].where(pos, 0)
    df["abc"] = np.where(~pos, "C", np.where(df["cum_before"] < 0.8, "A",
                                             np.where(df["cum_before"] < 0.95, "B", "C")))
    # XYZ on months with zero months, from each customer's first month.
    month = tx["order_date"].dt.to_period("M")
    per = tx.assign(month=month).groupby(["customer_id", "month"])["revenue"].sum()
    per = per.unstack(fill_value=0.0)
    first = tx.groupby("customer_id")["order_date"].min().dt.to_period("M")
    months = per.columns
    mask = np.asarray(months)[None, :] >= first.reindex(per.index).to_numpy()[:, None]
    vals = per.to_numpy() * mask
    n = mask.sum(axis=1)
    mean = vals.sum(axis=1) / n
    sd = np.sqrt((((vals - mean[:, None]) * mask) ** 2).sum(axis=1) / n)
    cov = pd.Series(np.where(mean > 0, sd / mean, np.nan), index=per.index)
    xyz = np.where((cov <= 0.5), "X", np.where(cov <= 1.0, "Y", "Z"))
    xyz = pd.Series(np.where((n < 3) | (mean <= 0), "Z", xyz), index=per.index)
    df["xyz"] = df["customer_id"].map(xyz)
    df["abc_xyz"] = df["abc"] + df["xyz"]
    # Recency, median gap.
    dates = tx[["customer_id", "order_date"]].drop_duplicates().sort_values(
        ["customer_id", "order_date"])
    gaps = dates.groupby("customer_id")["order_date"].diff().dt.days
    median_gap = gaps.groupby(dates["customer_id"]).median()
    last = tx.groupby("customer_id")["order_date"].max()
    df["days_since_last"] = df["customer_id"].map((end - last).dt.days)
    df["median_gap"] = df["customer_id"].map(median_gap)
    df["lost"] = df["days_since_last"] > np.maximum(180, 3 * df["median_gap"].fillna(0))
    # Matrix and concentration.
    matrix = df.groupby("abc_xyz").agg(customers=("customer_id", "size"), value=("value", "sum"))
    s = df.loc[pos, "share"].to_numpy()
    hhi = float(((100 * s) ** 2).sum())
    asc = np.sort(df.loc[pos, "value"].to_numpy())
    i = np.arange(1, len(asc) + 1)
    gini = float(((2 * i - len(asc) - 1) * asc).sum() / (len(asc) * asc.sum()))
    _ = (start, matrix, gini)
    return df, hhi


def measure_pandas(path: str) -> dict:
    import duckdb

    con = duckdb.connect(path, read_only=True)
    tx = con.execute(
        "SELECT customer_id, order_date, revenue FROM transactions "
        "WHERE dataset_id = (SELECT max(dataset_id) FROM datasets)"
    ).df()
    con.close()
    t0 = time.perf_counter()
    df, hhi = _pandas_classification(tx)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "customers": len(df), "hhi": hhi,
            "peak_rss_mb": _peak_rss_mb()}


def _child(kind: str, path: str, repeats: int, *extra: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--db", path, "--repeats", str(repeats),
         *extra],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="reuse/keep this database file")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=("generate", "engine", "pandas"), default=None)
    args = parser.parse_args()
    if args.child == "generate":
        print(json.dumps(generate(args.db, args.rows, args.customers)))
        return
    if args.child == "engine":
        print(json.dumps(measure_engine(args.db, args.repeats)))
        return
    if args.child == "pandas":
        print(json.dumps(measure_pandas(args.db)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or str(Path(tmp) / "bench.duckdb")
        if args.db and Path(args.db).exists():
            print(f"reusing {path}")
        else:
            gen = _child("generate", path, args.repeats, "--rows", str(args.rows),
                         "--customers", str(args.customers))
            print(f"generated {gen['rows']:,} transactions, {gen['customers']:,} customers "
                  f"(with aggregates) in {gen['seconds']:.1f} s")
        engine = _child("engine", path, args.repeats)
        base = _child("pandas", path, args.repeats)
    ratio = base["seconds"] / engine["median"]
    print(f"engine analyze(), first call     : {engine['first']:.3f} s")
    print(f"engine analyze(), warm median of {args.repeats}: {engine['median']:.3f} s "
          f"(min {engine['min']:.3f} s)")
    print(f"engine peak memory (RSS)         : {engine['peak_rss_mb']:.0f} MB")
    print(f"engine, last 12 months (monthly path): {engine['custom_window']:.3f} s; "
          f"one region filter: {engine['region_filter']:.3f} s; peak RSS incl. these "
          f"{engine['peak_rss_all_mb']:.0f} MB (no target)")
    print(f"pandas baseline                  : {base['seconds']:.3f} s "
          f"(peak RSS {base['peak_rss_mb']:.0f} MB)")
    print(f"speed-up vs pandas               : {ratio:.1f}x")
    print(f"customers {engine['customers']:,}, key accounts {engine['key_accounts']:,}, "
          f"HHI {engine['hhi']:.1f} (pandas {base['hhi']:.1f}), ABC {engine['abc_counts']}")
    ok = engine["median"] < 0.5 and ratio >= 10 and engine["peak_rss_mb"] < 1024
    print("targets (< 0.5 s, >= 10x, < 1 GB):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
