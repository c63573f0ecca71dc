"""Export benchmark: time and peak memory of the largest export the app builds.

On a synthetic dataset (``kam_analysis.db.synthetic.create_synthetic_dataset``) of
``--customers`` customers (default 1,000,000) and a baseline of ``--baseline``
customers (default 10,000), each case runs in its own child process, so its peak
memory (max RSS) is its own:

* ``xlsx``: the full workbook (``export.write_workbook``, XlsxWriter in
  ``constant_memory`` mode, into a file) of the baseline dataset;
* ``xlsx-limit``: the full workbook at the server's XLSX limit
  (``ExportLimits().xlsx_rows`` customers, the largest workbook the app offers);
* ``csv``: the "All customers (CSV)" download of the large dataset (``write_csv`` in
  chunks into a file, then read back as the bytes Streamlit serves), which is what the
  Key accounts page offers above the XLSX limit.

For each case: seconds of the export alone, peak memory after the analysis (the
page already holds it) and at the end, so "export MB" is what one click adds, and the
file size.

Usage: python benchmarks/bench_export.py [--customers N] [--baseline N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("xlsx", "xlsx-limit", "csv")
ROWS_PER_CUSTOMER = 4


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(case: str, customers: int) -> None:
    from kam_analysis import export
    from kam_analysis.analysis import AnalysisParams, analyze
    from kam_analysis.db import open_database
    from kam_analysis.db.synthetic import create_synthetic_dataset

    with tempfile.TemporaryDirectory(prefix="kam_bench_export_") as folder:
        db = open_database(Path(folder) / "bench.duckdb")
        create_synthetic_dataset(db, "bench", rows=customers * ROWS_PER_CUSTOMER,
                                 customers=customers, first_date=date(2023, 1, 1), days=730)
        result = analyze(db, "bench", AnalysisParams())
        columns = [c for c in export.EXPORT_COLUMNS if c in result.customers.columns]
        before = _peak_mb()
        out = Path(folder) / ("export.csv" if case == "csv" else "export.xlsx")
        start, cpu = time.perf_counter(), time.process_time()
        if case == "csv":
            frame = result.customers[columns]
            data = export.file_bytes(lambda path: export.write_csv(frame, path), ".csv")
            size = len(data)
            del data
        else:
            export.write_workbook(result, out)
            size = out.stat().st_size
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(json.dumps({"customers": len(result.customers), "seconds": seconds, "cpu": cpu,
                          "before_mb": before, "peak_mb": _peak_mb(), "bytes": size}))
        db.close()


def _run(case: str, customers: int) -> dict[str, float]:
    result = subprocess.run([sys.executable, __file__, "--child", case,
                             "--customers", str(customers)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the three cases and print the table."""
    from kam_analysis.export import ExportLimits

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.customers)
        return
    sizes = {"xlsx": args.baseline,
             "xlsx-limit": min(ExportLimits().xlsx_rows, args.customers),
             "csv": args.customers}
    print(f"{'case':<11} {'customers':>10} {'seconds':>8} {'cpu s':>6} {'before MB':>9} "
          f"{'peak MB':>8} {'export MB':>9} {'file MB':>8}")
    for case in CASES:
        r = _run(case, sizes[case])
        print(f"{case:<11} {r['customers']:>10,} {r['seconds']:>8.1f} {r['cpu']:>6.1f} "
              f"{r['before_mb']:>9.0f} {r['peak_mb']:>8.0f} "
              f"{r['peak_mb'] - r['before_mb']:>9.0f} {r['bytes'] / 2**20:>8.1f}")


if __name__ == "__main__":
    main()
