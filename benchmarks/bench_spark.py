"""Spark import benchmark: the same Parquet file imported through a local Spark and
through DuckDB, time and peak memory of each, side by side.

Generates a narrow sales file (``customer_id, order_date, revenue, margin, region,
manager``; 100,000 customers, 3 years, 1 % returns) as Parquet with DuckDB, then
runs each import in a fresh interpreter (so each peak is measured on its own):

* duckdb: :func:`kam_analysis.importing.import_file`;
* spark: :func:`kam_analysis.spark.import_with_spark` on ``--master`` (default
  ``local[*]``); the peak memory is the driver's: the Python process and the JVM
  it starts, sampled every 0.2 s (in local mode the JVM also runs the executors).

10 M rows by default; ``--large`` adds 100 M rows (about 2 GB of Parquet and a
long run: not on a shared machine). Usage::

    python benchmarks/bench_spark.py [--rows 10000000] [--large] [--master local[*]]
        [--spark-memory 4g] [--dir /tmp/bench] [--keep] [--skip-duckdb]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_GENERATE = """
COPY (
  SELECT 'C' || lpad(CAST(hash(i // 4, 1) % 100000 AS VARCHAR), 6, '0') AS customer_id,
         DATE '2023-01-01' + CAST(hash(i // 4, 2) % 1095 AS INTEGER) AS order_date,
         round((CASE WHEN hash(i, 3) % 100 = 0 THEN -1 ELSE 1 END)
               * (5 + (hash(i, 4) % 200000) / 100.0), 2) AS revenue,
         round((5 + (hash(i, 4) % 200000) / 100.0) * 0.25, 2) AS margin,
         'Region ' || CAST(hash(i // 4, 1) % 100000 % 7 AS VARCHAR) AS region,
         'Manager ' || CAST(hash(i // 4, 1) % 100000 % 25 AS VARCHAR) AS manager
  FROM range(?) t(i)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
"""

# Each run: peak RSS of this process and its children (the JVM), sampled.
_RUN = """
import json, sys, threading, time
import psutil
sys.path.insert(0, sys.argv[4])
from kam_analysis.db import open_database
engine, source, db_path = sys.argv[1], sys.argv[2], sys.argv[3]
me, peak, done = psutil.Process(), [0], threading.Event()
def sample():
    while not done.is_set():
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
db = open_database(db_path)
start = time.perf_counter()
if engine == "spark":
    from kam_analysis.spark.session import open_session
    from kam_analysis.spark import import_with_spark
    spark = open_session(sys.argv[5])
    started = time.perf_counter() - start
    result = import_with_spark(db, source, "bench", spark=spark)
    spark.stop()
else:
    from kam_analysis.importing import import_file
    started = 0.0
    result = import_file(db, source, "bench")
seconds = time.perf_counter() - start
done.set()
time.sleep(0.3)
print(json.dumps({"seconds": seconds, "session": started, "rows": result.rows_imported,
                  "customers": result.dataset.customer_count, "peak_mb": peak[0] / 2**20}))
"""


def generate(path: Path, rows: int) -> float:
    """Write the benchmark Parquet file; return the seconds it took."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(_GENERATE.replace("{path}", str(path).replace("'", "''")), [rows])
    con.close()
    return time.perf_counter() - start


def run(engine: str, source: Path, db_path: Path, master: str, memory: str) -> dict:
    """One import in a fresh interpreter; return what it measured."""
    for suffix in ("", ".wal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": f"--driver-memory {memory} pyspark-shell"}
    out = subprocess.run([sys.executable, "-c", _RUN, engine, str(source), str(db_path),
                          str(ROOT), master], check=True, capture_output=True, text=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--large", action="store_true", help="also 100 M rows")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--spark-memory", default="4g", help="driver JVM heap (default 4g)")
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--skip-duckdb", action="store_true", help="only the Spark import")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="kam-bench-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for rows in [args.rows, *([100_000_000] if args.large else [])]:
            source = work / f"sales_{rows}.parquet"
            if not source.exists():
                seconds = generate(source, rows)
                print(f"generated {rows:,} rows ({source.stat().st_size / 1e6:,.0f} MB "
                      f"Parquet) in {seconds:.1f} s", flush=True)
            load = os.getloadavg()[0]
            engines = ["spark"] if args.skip_duckdb else ["duckdb", "spark"]
            for engine in engines:
                r = run(engine, source, work / f"{engine}.duckdb", args.master,
                        args.spark_memory)
                extra = (f", of which starting Spark {r['session']:.1f} s"
                         if engine == "spark" else "")
                print(f"{rows:,} rows, {engine} (load average {load:.1f}): "
                      f"{r['seconds']:.1f} s{extra}; peak memory {r['peak_mb']:,.0f} MB; "
                      f"{r['rows']:,} rows, {r['customers']:,} customers", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
