"""Import benchmark: our import_file against DuckDB's own CSV reader on the same file.

Generates a realistic ERP-style sales export (semicolon, decimal comma,
dd.mm.yyyy, Russian headers, several lines per invoice, a few returns) with
DuckDB's COPY, then times in separate subprocesses (so each peak RSS is
measured on its own):

* baseline: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` into a fresh
  DuckDB file;
* ours: :func:`kam_analysis.importer.import_file` into a fresh database
  (parsing, totals/reject handling, per-customer-day aggregates, swap).

Prints both times, the ratio (target <= 1.5) and the peak memory (target
<= 1.5 GB). Usage::

    python benchmarks/bench_import.py [--rows 10000000] [--dir /tmp/bench] [--keep]
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

# The order lines: 5 lines per invoice, 20,000 customers with a fixed region
# and manager, 3 years of dates, 2,000 products in 40 groups; each customer buys
# from its 4 usual groups (so an invoice spans ~3 groups), ~2 % returns.
_GENERATE = """
COPY (
  WITH lines AS (
    SELECT i, i // 5 AS doc, hash(i // 5) % 20000 AS cust,
           ((hash(i // 5) % 20000 + hash(i * 31) % 4) % 40) * 50 + hash(i * 17) % 50 AS prod
    FROM range(?) t(i)
  )
  SELECT
    lpad(CAST(cust AS VARCHAR), 6, '0') AS "Код клиента",
    'ООО Клиент ' || CAST(cust AS VARCHAR) AS "Контрагент",
    strftime(DATE '2022-01-01' + CAST(hash(doc) % 1095 AS INTEGER), '%d.%m.%Y') AS "Дата",
    'РН-' || CAST(doc AS VARCHAR) AS "Документ",
    'Товар ' || CAST(prod AS VARCHAR) AS "Номенклатура",
    'Группа ' || CAST(prod // 50 AS VARCHAR) AS "Номенклатурная группа",
    'Регион ' || CAST(cust % 9 AS VARCHAR) AS "Регион",
    'Менеджер ' || CAST(cust % 25 AS VARCHAR) AS "Менеджер",
    CAST(1 + hash(i) % 50 AS VARCHAR) AS "Количество",
    replace(printf('%.2f', (CASE WHEN hash(i * 7) % 50 = 0 THEN -1 ELSE 1 END)
            * (hash(i * 3) % 2000000) / 100.0), '.', ',') AS "Сумма",
    replace(printf('%.2f', (hash(i * 3) % 2000000) / 400.0), '.', ',') AS "Валовая прибыль"
  FROM lines
) TO '{path}' (HEADER, DELIMITER ';')
"""

_BASELINE = """
import duckdb, json, resource, sys, time
con = duckdb.connect(sys.argv[2])
start = time.perf_counter()
cpu = time.process_time()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
con.execute("CHECKPOINT")
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu
rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_OURS = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from kam_analysis.importer import import_file
from kam_analysis.storage import open_database
db = open_database(sys.argv[2])
start = time.perf_counter()
cpu = time.process_time()
result = import_file(db, sys.argv[1], "bench")
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with db.read() as cur:
    daily = cur.execute("SELECT count(*) FROM sales_daily").fetchall()[0][0]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": result.rows_imported, "daily": daily,
                  "rejected": result.rows_rejected, "customers": result.dataset.customer_count,
                  "peak_mb": peak}))
"""


def generate(path: Path, rows: int) -> float:
    """Write the benchmark CSV; return the seconds it took."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(_GENERATE.replace("{path}", str(path).replace("'", "''")), [rows])
    con.close()
    return time.perf_counter() - start


def run(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; return the JSON it prints."""
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", default=None, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="kam-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"sales_{args.rows}.csv"
    try:
        if not csv_path.exists():
            seconds = generate(csv_path, args.rows)
            print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:,.0f} MB) "
                  f"in {seconds:.1f} s")
        for name in ("baseline.duckdb", "ours.duckdb"):
            for suffix in ("", ".wal"):
                (work / (name + suffix)).unlink(missing_ok=True)
        load = os.getloadavg()
        base = run(_BASELINE, str(csv_path), str(work / "baseline.duckdb"))
        ours = run(_OURS, str(csv_path), str(work / "ours.duckdb"), str(ROOT))
        ratio = ours["seconds"] / base["seconds"]
        print(f"cpu cores: {os.cpu_count()}, load average before: {load[0]:.1f}, "
              f"after: {os.getloadavg()[0]:.1f}")
        print(f"DuckDB read_csv CREATE TABLE: {base['seconds']:7.1f} s "
              f"(CPU {base['cpu']:.1f} s), "
              f"peak RSS {base['peak_mb']:,.0f} MB, {base['rows']:,} rows")
        print(f"kam import_file:              {ours['seconds']:7.1f} s "
              f"(CPU {ours['cpu']:.1f} s), "
              f"peak RSS {ours['peak_mb']:,.0f} MB, {ours['rows']:,} rows, "
              f"{ours['customers']:,} customers, {ours['rejected']:,} rejected, "
              f"{ours['daily']:,} sales_daily rows (customer x day x region x manager)")
        print(f"ratio: {ratio:.2f}x (target <= 1.5x), CPU time ratio "
              f"{ours['cpu'] / base['cpu']:.2f}x; "
              f"peak memory {ours['peak_mb'] / 1024:.2f} GB (target <= 1.5 GB)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
