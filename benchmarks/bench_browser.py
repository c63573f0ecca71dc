"""Browser benchmark: how long a page takes to show its new figures in Chromium after
the sidebar's period changes, on the demo data and on a large dataset side by side.

``bench_pages.py`` times the script run on the server (AppTest). A user waits for
more: the run, sending its elements over the websocket, and the browser drawing
them. This script serves the app (``streamlit run``) and drives Debian's Chromium
with Playwright, as the browser tests do. For each dataset and page, on a freshly
started server (cold caches), it opens the page at the whole data, then clicks

* ``change``: "Last 12 months" (nothing cached: every figure of the page is
  computed for the new window);
* ``back``: "Whole data" (cached on the server; the browser still gets and draws
  the page);

and measures from the click until the page is idle (no "Running", no stale or
skeleton elements), and the megabytes received on the websocket meanwhile. The
demo data is the baseline of the same run; the ratio is large / demo. Each figure
is the median of ``--repeat`` server starts. Target: within 500 ms at 10 million
rows (issue 10), which includes the browser here.

Usage: python benchmarks/bench_browser.py [--rows 1000000] [--customers 20000]
    [--repeat 3] [--pages overview,dossier] [--db FILE --dataset NAME]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kam_analysis.db import open_database  # noqa: E402
from kam_analysis.db.synthetic import create_synthetic_dataset  # noqa: E402
from kam_analysis.demo import DEMO_DATASET, load_demo  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: page stem -> its title in the navigation (None: the default page)
PAGES: dict[str, str | None] = {
    "overview": None, "abc_xyz": "ABC-XYZ", "pareto": "Pareto",
    "concentration": "Concentration", "key_accounts": "Key accounts",
    "dossier": "Account dossier", "data": "Data",
}
_BUSY = """() => {
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    return (s && /Running|Stop/.test(s.innerText))
        || !!document.querySelector('[data-stale="true"]');
}"""
_IDLE = """() => {
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    return !(s && /Running|Stop/.test(s.innerText))
        && !document.querySelector('[data-testid="stSkeleton"]')
        && !document.querySelector('[data-stale="true"]');
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(db: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port over ``db``; yields its address."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "KAM_DB": str(db)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the app did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_run(pg) -> float:
    """Seconds until the run the last click started has been drawn."""
    start = time.perf_counter()
    with suppress(Exception):  # a run faster than the first poll is never seen busy
        pg.wait_for_function(_BUSY, timeout=2_000, polling=20)
    pg.wait_for_function(_IDLE, timeout=300_000, polling=20)
    return time.perf_counter() - start


def measure(chromium, db: Path, dataset: str, page: str) -> dict[str, float]:
    """One server start: open ``page`` at the whole data, then change the period and back."""
    with _server(db) as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(300_000)
        received = [0]
        pg.on("websocket", lambda ws: ws.on(
            "framereceived", lambda frame: received.__setitem__(0, received[0] + len(frame))))
        pg.goto(f"{url}/?lang=en&dataset={dataset.replace(' ', '+')}")
        pg.get_by_role("heading", name="Overview").first.wait_for()
        _wait_run(pg)
        if PAGES[page]:
            pg.locator('[data-testid="stSidebarNav"]').get_by_role(
                "link", name=PAGES[page], exact=True).click()
            _wait_run(pg)
        out: dict[str, float] = {}
        for name, label in (("change", "Last 12 months"), ("back", "Whole data")):
            received[0] = 0
            pg.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()
            out[name] = _wait_run(pg) * 1000
            out[f"{name}_mb"] = received[0] / 1e6
        context.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="comma-separated page stems (default: all)")
    parser.add_argument("--db", type=Path, default=None,
                        help="an existing database holding the demo data and --dataset")
    parser.add_argument("--dataset", default=None, help="the large dataset in --db")
    args = parser.parse_args()
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        if args.db is not None:
            db_path, big = args.db, args.dataset
        else:
            db_path, big = Path(tmp) / "bench.duckdb", f"Synthetic {args.rows:,}"
            db = open_database(db_path)
            load_demo(db, DEMO_DATASET)
            started = time.perf_counter()
            create_synthetic_dataset(db, big, rows=args.rows, customers=args.customers,
                                     first_date=date(2023, 11, 1), days=1096)
            db.close()
            print(f"generated {args.rows:,} transactions of {args.customers:,} customers in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        print(f"\n{'page':<14} {'demo change':>12} {'large change':>13} {'ratio':>6} "
              f"{'MB':>6} {'demo back':>10} {'large back':>11} {'MB':>6}")
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for page in pages:
                fig = {}
                for dataset in (DEMO_DATASET, big):
                    runs = [measure(chromium, db_path, dataset, page)
                            for _ in range(args.repeat)]
                    fig[dataset] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                demo, large = fig[DEMO_DATASET], fig[big]
                print(f"{page:<14} {demo['change']:>9.0f} ms {large['change']:>10.0f} ms "
                      f"{large['change'] / demo['change']:>5.1f}x {large['change_mb']:>6.2f} "
                      f"{demo['back']:>7.0f} ms {large['back']:>8.0f} ms "
                      f"{large['back_mb']:>6.2f}", flush=True)
            chromium.close()


if __name__ == "__main__":
    main()
