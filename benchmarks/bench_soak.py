"""Soak: replace one dataset 100 times in a row; print the database file size and the
process's memory (RSS) every 10 replacements, to show both level off.

Run: ``python benchmarks/bench_soak.py [--replacements 100] [--rows 200000]``.
Prints measured figures only (no pass/fail); the README's "Reliability figures" section
quotes a run.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam_analysis.analysis import analyze
from kam_analysis.db import (
    Database,
    DatasetNotFoundError,
    list_datasets,
    open_database,
    replace_dataset,
)


def _frame(rows: int, seed: int, customers: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, size=rows)
    return pd.DataFrame({
        "source_line": np.arange(2, rows + 2),
        "customer_id": pd.Series([f"{10_000 + i}" for i in ids], dtype="string"),
        "customer_name": pd.Series([f"Customer {i} GmbH" for i in ids], dtype="string"),
        "order_date": (pd.Timestamp("2023-01-01")
                       + pd.to_timedelta(rng.integers(0, 1_000, size=rows), unit="D")).date,
        "revenue": rng.gamma(2.0, 400.0, size=rows).round(2),
        "margin": rng.gamma(2.0, 90.0, size=rows).round(2),
        "quantity": rng.integers(1, 50, size=rows).astype(float),
        "product": pd.Series([f"P{i}" for i in rng.integers(0, 400, size=rows)], dtype="string"),
        "category": rng.choice(["Fasteners", "Tools", "Safety", "Abrasives"], size=rows),
        "region": rng.choice(["North", "South", "East", "West"], size=rows),
        "manager": rng.choice(["Anna", "Jonas", "Maria", "Tom"], size=rows),
    })


def _mib(n: float) -> str:
    return f"{n / 2**20:8.1f} MiB"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replacements", type=int, default=100)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--readers", type=int, default=0,
                        help="threads running analyze() on the dataset meanwhile, like "
                             "app sessions open during the re-imports")
    return parser.parse_args()


def _baseline(db: Database, versions: list[pd.DataFrame]) -> list[float]:
    """analyze() with no import running, in the same process: ten durations."""
    replace_dataset(db, "Sales", [versions[0]])
    baseline = []
    for _ in range(10):
        t0 = time.perf_counter()
        analyze(db, "Sales")
        baseline.append(time.perf_counter() - t0)
    return baseline


def _start_readers(db: Database, n: int, stop: threading.Event,
                   durations: list[float]) -> list[threading.Thread]:
    """Start ``n`` threads running analyze() until ``stop``, noting each duration."""
    def reader() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                analyze(db, "Sales")
                durations.append(time.perf_counter() - t0)
            except DatasetNotFoundError:
                time.sleep(0.01)

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def _replace_many(db: Database, versions: list[pd.DataFrame], args: argparse.Namespace,
                  path: Path) -> list[tuple[int, int, int]]:
    """Replace "Sales" ``args.replacements`` times; print and return (i, file size, RSS)
    every ``args.every`` replacements."""
    proc = psutil.Process()
    wal = Path(f"{path}.wal")
    figures = []
    last = time.perf_counter()
    for i in range(1, args.replacements + 1):
        replace_dataset(db, "Sales", [versions[i % 2]], source=f"export-{i}.csv")
        if i % args.every == 0:
            gc.collect()
            now = time.perf_counter()
            size = path.stat().st_size
            wal_size = wal.stat().st_size if wal.exists() else 0
            rss = proc.memory_info().rss
            figures.append((i, size, rss))
            print(f"{i:>6} {_mib(size)} {_mib(wal_size)} {_mib(rss)} "
                  f"{(now - last) / args.every:>10.2f}", flush=True)
            last = now
    return figures


def _print_readers(readers: int, baseline: list[float], durations: list[float],
                   seconds_per_import: float) -> None:
    base = float(np.median(baseline))
    during = np.array(durations)
    print(f"{readers} reader threads ran analyze() {len(during)} times meanwhile")
    print(f"analyze() alone: median {base:.3f} s; during the imports: median "
          f"{np.median(during):.3f} s ({np.median(during) / base:.1f}x), "
          f"p95 {np.percentile(during, 95):.3f} s, max {during.max():.3f} s "
          f"({during.max() / base:.1f}x); an import takes "
          f"{seconds_per_import:.2f} s")


def _print_growth(figures: list[tuple[int, int, int]]) -> None:
    first_i, first_size, first_rss = figures[0]
    _, last_size, last_rss = figures[-1]
    half = figures[len(figures) // 2]
    print(f"file size: after {first_i}: {_mib(first_size).strip()}, after "
          f"{half[0]}: {_mib(half[1]).strip()}, after {figures[-1][0]}: "
          f"{_mib(last_size).strip()}  (last/first = {last_size / first_size:.2f}, "
          f"last/middle = {last_size / half[1]:.2f})")
    print(f"RSS:       after {first_i}: {_mib(first_rss).strip()}, after "
          f"{half[0]}: {_mib(half[2]).strip()}, after {figures[-1][0]}: "
          f"{_mib(last_rss).strip()}  (last/first = {last_rss / first_rss:.2f}, "
          f"last/middle = {last_rss / half[2]:.2f})")


def main() -> None:
    args = _parse_args()
    # Two versions, alternating, like a weekly re-import of a slightly different export.
    versions = [_frame(args.rows, 1), _frame(args.rows, 2)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "soak.duckdb"
        db = open_database(path)
        replace_dataset(db, "Other dataset", [versions[0].head(20_000)])  # must survive
        print(f"soak: {args.replacements} replacements of {args.rows:,} rows, "
              f"{args.readers} reader threads; DuckDB file {path.name}")
        print(f"{'after':>6} {'file':>13} {'wal':>13} {'rss':>13} {'s/replace':>10}")
        stop = threading.Event()
        durations: list[float] = []
        baseline = _baseline(db, versions) if args.readers else []
        threads = _start_readers(db, args.readers, stop, durations)
        started = time.perf_counter()
        figures = _replace_many(db, versions, args, path)
        stop.set()
        for t in threads:
            t.join()
        if args.readers:
            _print_readers(args.readers, baseline, durations,
                           (time.perf_counter() - started) / args.replacements)
        names = [d.name for d in list_datasets(db)]
        db.close()
        assert names == ["Other dataset", "Sales"], names
        _print_growth(figures)
        print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
