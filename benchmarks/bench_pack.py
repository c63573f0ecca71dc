"""Review-meeting pack benchmark: render 50 hand-made key accounts as PDF and as PPTX,
and build + render packs from real engine data.

Each case runs in its own child process, so its peak memory (max RSS) is its own:

* baseline: the portfolio page alone (the same 50-account portfolio, no account pages),
  which holds the fixed costs (imports, fonts, the document skeleton);
* pdf: portfolio + 50 account pages, A4;
* pptx: portfolio + 50 account slides;
* demo-key: every key account of the demo data, built by ``report.build.build_pack``
  (analysis, comparisons, 36 months, class history, products, dossier) and rendered as
  PDF;
* synthetic-50: the 50 largest accounts of a synthetic dataset (``--rows``, default
  1,000,000 rows, 20,000 customers, 3 years), built and rendered as PDF.

The two data cases create their database once in a temporary folder before the
timing; "build s" is the engine part, the rest is rendering.

Prints wall and CPU seconds and peak memory per case (CPU seconds are the fairer
figure on a machine shared with other work) and the time per account page over the
baseline. Target (2 cores): <= 10 s for 50 accounts in either format.

Usage: python benchmarks/bench_pack.py [--accounts N] [--language en|ru|vi|az|fa]
                                      [--rows N] [--skip-data]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("baseline", "pdf", "pptx")
DATA_CASES = ("demo-key", "synthetic-50")
TARGET_SECONDS = 10.0


def _setup(folder: str, rows: int) -> None:
    """Create the demo and the synthetic databases (not timed)."""
    from datetime import date

    from kam_analysis.db import open_database
    from kam_analysis.db.synthetic import create_synthetic_dataset
    from kam_analysis.demo import load_demo

    db = open_database(Path(folder) / "demo.duckdb")
    load_demo(db)
    db.close()
    db = open_database(Path(folder) / "synthetic.duckdb")
    create_synthetic_dataset(db, "synthetic", rows=rows, customers=max(rows // 50, 100),
                             first_date=date(2023, 1, 1), days=3 * 365)
    db.close()


def _data_child(case: str, folder: str) -> None:
    from kam_analysis.analysis import AnalysisParams, analyze
    from kam_analysis.db import open_database
    from kam_analysis.demo import DEMO_DATASET
    from kam_analysis.report import render_pack
    from kam_analysis.report.build import build_pack

    if case == "demo-key":
        db, dataset, accounts = open_database(Path(folder) / "demo.duckdb"), DEMO_DATASET, None
    else:
        db, dataset = open_database(Path(folder) / "synthetic.duckdb"), "synthetic"
        accounts = analyze(db, dataset).customers["customer_id"].head(50).tolist()
    start, cpu = time.perf_counter(), time.process_time()
    pack = build_pack(db, dataset, AnalysisParams(), accounts)
    built = time.perf_counter() - start
    data = render_pack(pack, "pdf", "A4")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "bytes": len(data),
                      "pages": pack.page_count, "build": built}))


def _child(case: str, accounts: int, language: str) -> None:
    from kam_analysis.report import render_pack
    from kam_analysis.report.sample import sample_pack

    pack = sample_pack(language, accounts)
    fmt = "pdf"
    if case == "baseline":
        pack = replace(pack, accounts=())
    elif case == "pptx":
        fmt = "pptx"
    start, cpu = time.perf_counter(), time.process_time()
    data = render_pack(pack, fmt, "A4")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "bytes": len(data),
                      "pages": pack.page_count}))


def _run(case: str, accounts: int, language: str, folder: str = "") -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", case, "--accounts", str(accounts),
         "--language", language, "--folder", folder], capture_output=True, text=True,
        check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the three cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--language", default="en")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-data", action="store_true", help="renderer cases only")
    parser.add_argument("--child", choices=CASES + DATA_CASES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child in DATA_CASES:
        _data_child(args.child, args.folder)
        return
    if args.child:
        _child(args.child, args.accounts, args.language)
        return
    results = {case: _run(case, args.accounts, args.language) for case in CASES}
    with tempfile.TemporaryDirectory() as folder:
        if not args.skip_data:
            _setup(folder, args.rows)
            results |= {case: _run(case, args.accounts, args.language, folder)
                        for case in DATA_CASES}
    base = results["baseline"]
    print(f"{args.accounts} accounts, language {args.language}")
    print(f"{'case':<12} {'pages':>5} {'seconds':>8} {'build s':>7} {'cpu s':>6} "
          f"{'peak MB':>8} {'size KB':>8} {'s/account':>9}")
    for case, r in results.items():
        pages = max(r["pages"] - 1, 1)
        per = (r["seconds"] - base["seconds"]) / pages if case != "baseline" else 0
        print(f"{case:<12} {r['pages']:>5} {r['seconds']:>8.2f} {r.get('build', 0):>7.2f} "
              f"{r['cpu']:>6.2f} {r['peak_mb']:>8.0f} {r['bytes'] / 1024:>8.0f} {per:>9.3f}")
    fifty = [case for case in ("pdf", "pptx", "synthetic-50") if case in results]
    worst = max(results[case]["seconds"] for case in fifty)
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(f"target <= {TARGET_SECONDS:.0f} s: {verdict} (slowest {worst:.2f} s)")


if __name__ == "__main__":
    main()
