"""Review-meeting pack benchmark: render 50 hand-made key accounts as PDF and as PPTX.

Each case runs in its own child process, so its peak memory (max RSS) is its own:

* baseline: the portfolio page alone (the same 50-account portfolio, no account pages),
  which holds the fixed costs (imports, fonts, the document skeleton);
* pdf: portfolio + 50 account pages, A4;
* pptx: portfolio + 50 account slides.

Prints wall and CPU seconds and peak memory per case (CPU seconds are the fairer
figure on a machine shared with other work) and the time per account page over the
baseline. Target (2 cores): <= 10 s for 50 accounts in either format.

Usage: python benchmarks/bench_pack.py [--accounts N] [--language en|ru|vi|az|fa]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("baseline", "pdf", "pptx")
TARGET_SECONDS = 10.0


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


def _run(case: str, accounts: int, language: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", case, "--accounts", str(accounts),
         "--language", language], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the three cases and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--language", default="en")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.accounts, args.language)
        return
    results = {case: _run(case, args.accounts, args.language) for case in CASES}
    base = results["baseline"]
    print(f"{args.accounts} accounts, language {args.language}")
    print(f"{'case':<9} {'pages':>5} {'seconds':>8} {'cpu s':>6} {'peak MB':>8} {'size KB':>8} "
          f"{'s/account':>9}")
    for case, r in results.items():
        per = (r["seconds"] - base["seconds"]) / max(args.accounts, 1) if case != "baseline" else 0
        print(f"{case:<9} {r['pages']:>5} {r['seconds']:>8.2f} {r['cpu']:>6.2f} "
              f"{r['peak_mb']:>8.0f} {r['bytes'] / 1024:>8.0f} {per:>9.3f}")
    worst = max(results["pdf"]["seconds"], results["pptx"]["seconds"])
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(f"target <= {TARGET_SECONDS:.0f} s: {verdict} (slowest {worst:.2f} s)")


if __name__ == "__main__":
    main()
