"""Import benchmark: our import_file against DuckDB's own CSV reader on the same file.

Generates a realistic ERP-style sales export (semicolon, decimal comma,
dd.mm.yyyy, Russian headers, several lines per invoice, a few returns) with
DuckDB's COPY, then times in separate subprocesses (so each peak RSS is
measured on its own):

* baseline: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` into a fresh
  DuckDB file;
* ours: :func:`kam_analysis.importing.import_file` into a fresh database
  (parsing, totals/reject handling, per-customer-day aggregates, swap).

The pair is run ``--repeat`` times (default 5), alternating which of the two
goes first, because the 2-core machine is shared and one pair's ratio swings
with other jobs. Prints every pair, the median ratio (target <= 1.5) and the
highest peak memory (target <= 1.5 GB). Usage::

    python benchmarks/bench_import.py [--rows 10000000] [--repeat 5] [--dir /tmp/bench] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The order lines: 5 lines per invoice, 20,000 customers with a fixed region
# and manager, 3 years of dates, 2,000 products in 40 groups; each customer buys
# from its 4 usual groups (so an invoice spans ~3 groups), ~2 % returns, one line
# in 10,000 with "н/д" (not available) as its amount, which the import rejects, and
# a totals line at the end, which it drops: the shape of a real 1C export.
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
    CASE WHEN hash(i * 11) % 10000 = 0 THEN 'н/д' ELSE
    replace(printf('%.2f', (CASE WHEN hash(i * 7) % 50 = 0 THEN -1 ELSE 1 END)
            * (hash(i * 3) % 2000000) / 100.0), '.', ',') END AS "Сумма",
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
from kam_analysis.importing import import_file
from kam_analysis.db import open_database
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
                  "rejected": result.rows_rejected, "totals": result.totals_dropped,
                  "customers": result.dataset.customer_count, "peak_mb": peak}))
"""


def generate(path: Path, rows: int) -> float:
    """Write the benchmark CSV; return the seconds it took."""
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(_GENERATE.replace("{path}", str(path).replace("'", "''")), [rows])
    [(total,)] = con.execute(
        "SELECT sum(TRY_CAST(replace(column09, ',', '.') AS DOUBLE)) FROM read_csv(?, "
        "header = true, delim = ';', all_varchar = true, normalize_names = false, "
        "names = [printf('column%02d', x) for x in range(11)])", [str(path)]
    ).fetchall()
    con.close()
    with path.open("a", encoding="utf-8") as out:
        out.write(f"Итого;;;;;;;;;{total:.2f}".replace(".", ",") + ";\n")
    return time.perf_counter() - start


def run(code: str, *args: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; return the JSON it prints."""
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5,
                        help="pairs of runs (default 5; the median ratio is the figure)")
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
        pairs = []
        for rep in range(args.repeat):
            for name in ("baseline.duckdb", "ours.duckdb"):
                for suffix in ("", ".wal"):
                    (work / (name + suffix)).unlink(missing_ok=True)
            load = os.getloadavg()[0]
            runs = {}
            for which in (("base", "ours") if rep % 2 == 0 else ("ours", "base")):
                if which == "base":
                    runs[which] = run(_BASELINE, str(csv_path), str(work / "baseline.duckdb"))
                else:
                    runs[which] = run(_OURS, str(csv_path), str(work / "ours.duckdb"), str(ROOT))
            base, ours = runs["base"], runs["ours"]
            pairs.append((base, ours))
            print(f"pair {rep + 1} (load average {load:.1f}): "
                  f"DuckDB read_csv CREATE TABLE {base['seconds']:.1f} s "
                  f"(CPU {base['cpu']:.1f} s, peak RSS {base['peak_mb']:,.0f} MB, "
                  f"{base['rows']:,} rows); kam import_file {ours['seconds']:.1f} s "
                  f"(CPU {ours['cpu']:.1f} s, peak RSS {ours['peak_mb']:,.0f} MB, "
                  f"{ours['rows']:,} rows); ratio {ours['seconds'] / base['seconds']:.2f}x",
                  flush=True)
        ours = pairs[-1][1]
        print(f"cpu cores: {os.cpu_count()}; kam import: {ours['customers']:,} customers, "
              f"{ours['rejected']:,} rejected, {ours['totals']:,} totals line dropped, "
              f"{ours['daily']:,} sales_daily rows "
              f"(customer x day x region x manager)")
        ratios = [o["seconds"] / b["seconds"] for b, o in pairs]
        cpu_ratios = [o["cpu"] / b["cpu"] for b, o in pairs]
        peak = max(o["peak_mb"] for _, o in pairs)
        base_median = statistics.median(b["seconds"] for b, _ in pairs)
        ours_median = statistics.median(o["seconds"] for _, o in pairs)
        print(f"DuckDB read_csv CREATE TABLE: median {base_median:.1f} s; "
              f"kam import_file: median {ours_median:.1f} s")
        print(f"ratio: median {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-"
              f"{max(ratios):.2f}x; target <= 1.5x), CPU time ratio median "
              f"{statistics.median(cpu_ratios):.2f}x; peak memory {peak / 1024:.2f} GB "
              f"(target <= 1.5 GB)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
