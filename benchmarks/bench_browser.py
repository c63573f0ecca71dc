"""Browser benchmark: how long a page takes to show its new figures in Chromium after
the sidebar's period changes, on the demo data and on a large dataset side by side.

``bench_pages.py`` times the script run on the server (AppTest). A user waits for
more: the run, sending its elements over the websocket, and the browser drawing
them. This script serves the app (``streamlit run``) and drives Debian's Chromium
with Playwright, as the browser tests do. Per page it starts the server afresh,
warms the process up on another window, and then, for each dataset in a session of
its own, opens the page at the whole data and clicks

* ``change``: "Last 12 months" (nothing cached: every figure of the page is
  computed for the new window);
* ``back``: "Whole data" (cached on the server; the browser still gets and draws
  the page);

and measures from the click until the run's end has arrived on the websocket and
the page is idle (no "Running", no stale or skeleton elements), and the megabytes
received on the websocket meanwhile. The
demo data is the baseline of the same run; the ratio is large / demo. Each figure
is the median of ``--repeat`` server starts. Target: within 500 ms at 10 million
rows (issue 10), which includes the browser here.

Usage: python benchmarks/bench_browser.py [--rows 1000000] [--customers 20000]
    [--repeat 3] [--pages overview,dossier] [--db FILE --dataset NAME]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from served_app import CHROMIUM, CHROMIUM_ARGS, serving  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from kam_analysis.db import list_datasets, open_database  # noqa: E402
from kam_analysis.db.synthetic import create_synthetic_dataset  # noqa: E402
from kam_analysis.demo import DEMO_DATASET, load_demo  # noqa: E402

#: page stem -> its title in the navigation (None: the default page)
PAGES: dict[str, str | None] = {
    "overview": None, "abc_xyz": "ABC-XYZ", "pareto": "Pareto",
    "concentration": "Concentration", "key_accounts": "Key accounts",
    "dossier": "Account dossier", "data": "Data",
}
#: The ends of a whole run (not one cut short by a rerun).
_DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
_IDLE = """() => {
    const s = document.querySelector('[data-testid="stStatusWidget"]');
    return !(s && /Running|Stop/.test(s.innerText))
        && !document.querySelector('[data-testid="stSkeleton"]')
        && !document.querySelector('[data-stale="true"]');
}"""


class _Socket:
    """What the page receives on the app's websocket: bytes, and finished runs."""

    def __init__(self) -> None:
        self.bytes = 0
        self.finished = 0

    def frame(self, payload: bytes | str) -> None:
        self.bytes += len(payload)
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in _DONE:
                self.finished += 1


def _wait_run(pg, socket: _Socket, runs_before: int) -> float:
    """Seconds until the run the last click started has finished on the server (its
    end arrived on the websocket) and the page has drawn it (idle)."""
    start = time.perf_counter()
    while socket.finished <= runs_before:
        pg.wait_for_timeout(10)  # Playwright hands over the frames while it waits
    pg.wait_for_function(_IDLE, timeout=300_000, polling=10)
    return time.perf_counter() - start


def _session(chromium, url: str, dataset: str, page: str,
             clicks: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """Open ``page`` of ``dataset`` in a new browser context (a new app session), then
    click each sidebar period of ``clicks`` (name, label): milliseconds and megabytes
    received from each click until its run is drawn."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(300_000)
    socket = _Socket()
    pg.on("websocket", lambda ws: ws.on("framereceived", socket.frame))
    pg.goto(f"{url}/?lang=en&dataset={dataset.replace(' ', '+')}")
    pg.get_by_role("heading", name="Overview").first.wait_for()
    _wait_run(pg, socket, 0)
    if PAGES[page]:
        before = socket.finished
        pg.locator('[data-testid="stSidebarNav"]').get_by_role(
            "link", name=PAGES[page], exact=True).click()
        _wait_run(pg, socket, before)
    out: dict[str, float] = {}
    for name, label in clicks:
        before, socket.bytes = socket.finished, 0
        pg.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()
        out[name] = _wait_run(pg, socket, before) * 1000
        out[f"{name}_mb"] = socket.bytes / 1e6
    context.close()
    return out


def measure(chromium, db: Path, datasets: list[str], page: str) -> dict[str, dict]:
    """One server start: a warm-up session (the page of the first dataset, changed to
    the year to date, so that no measured run pays for the process's first imports),
    then per dataset a session that opens ``page`` at the whole data and changes the
    period to the last 12 months and back. The caches hold results per dataset and
    window: each measured change finds nothing of its own cached."""
    with tempfile.TemporaryDirectory() as log, serving(Path(log), {"KAM_DB": str(db)}) as url:
        _session(chromium, url, datasets[0], page, (("warm", "Year to date"),))
        return {dataset: _session(chromium, url, dataset, page,
                                  (("change", "Last 12 months"), ("back", "Whole data")))
                for dataset in datasets}


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
            db = open_database(db_path)
            names = {d.name for d in list_datasets(db)}
            db.close()
            if not {DEMO_DATASET, big} <= names:
                raise SystemExit(f"{db_path} must hold {DEMO_DATASET!r} and --dataset "
                                 f"(it holds {sorted(names)})")
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
                runs = [measure(chromium, db_path, [DEMO_DATASET, big], page)
                        for _ in range(args.repeat)]
                demo, large = ({k: statistics.median(r[d][k] for r in runs) for k in runs[0][d]}
                               for d in (DEMO_DATASET, big))
                print(f"{page:<14} {demo['change']:>9.0f} ms {large['change']:>10.0f} ms "
                      f"{large['change'] / demo['change']:>5.1f}x {large['change_mb']:>6.2f} "
                      f"{demo['back']:>7.0f} ms {large['back']:>8.0f} ms "
                      f"{large['back_mb']:>6.2f}", flush=True)
            chromium.close()


if __name__ == "__main__":
    main()
