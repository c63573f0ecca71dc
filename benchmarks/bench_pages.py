"""Page benchmark: server-side rerun time after a control change, on every page.

For each dataset (the demo data, and 1 million synthetic transactions) and each
page, the script drives the app headless with Streamlit's AppTest (the same
script run a server does, without the browser) and measures:

* ``first``: the first run of the page in a fresh session with cold caches —
  the baseline, measured in the same process;
* ``change``: the rerun after a control change (the sidebar period switches to
  "last 12 months", so every cached view has to be computed for new
  parameters; the dossier switches customer; the Pareto page changes top N);
* ``back``: the rerun after switching the control back (a cache hit: nothing
  the rerun did not change is recomputed).

As in a served app, app.py and each page are compiled once per process (AppTest
alone would compile them again on every rerun).

Targets: ``change`` under 300 ms on the demo data, under 1.5 s on 1 million
transactions and within 500 ms at 10 million (``--rows 10000000 --customers
100000``). Each figure is the median of ``--repeat`` runs. Last, per dataset, the
*floor*: the engine's analysis of the last 12 months alone (customer figures and
classes, no page, no cache), which every page's rerun after that change computes
before it draws anything.

Usage: python benchmarks/bench_pages.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# AppTest runs without a server: silence its "no runtime / no ScriptRunContext" notes.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from kam_analysis.analysis import AnalysisParams, analyze  # noqa: E402
from kam_analysis.db import list_datasets, open_database  # noqa: E402
from kam_analysis.db.synthetic import create_synthetic_dataset  # noqa: E402
from kam_analysis.demo import DEMO_DATASET, load_demo  # noqa: E402
from ui.state import window_dates  # noqa: E402

APP = str(ROOT / "app.py")


def _quiet() -> None:
    """Clearing caches between runs happens outside a script run: skip Streamlit's note."""
    import logging

    # A filter, not a level: Streamlit sets its loggers' levels again when AppTest runs.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())


def _navigation_mode() -> None:
    """Run AppTest as a served app runs after its first request (see tests/test_pages.py)."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]


def _compiled_once() -> None:
    """Compile app.py and each page once, as a served app does: its runtime keeps one
    script cache for every run, while AppTest makes a new one per run and so compiles
    the scripts again on every rerun (30-50 ms of the rerun of Key accounts)."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    app_test.ScriptCache = local_runner.ScriptCache = lambda: shared  # type: ignore[assignment]


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _change_period(at: AppTest, value: str) -> None:
    at.radio(key="sb_window").set_value(value).run()


def _change_top_n(at: AppTest, value: str) -> None:
    at.number_input(key="par_top_n").set_value(50 if value == "12m" else 30).run()


_CUSTOMERS: dict[str, list[str]] = {}  # dataset -> its two largest customers


def _change_customer(at: AppTest, value: str) -> None:
    dataset = at.query_params["dataset"]
    at.session_state["dos_customer"] = _CUSTOMERS[dataset][1 if value == "12m" else 0]
    at.run()


PAGES: dict[str, Callable[[AppTest, str], None]] = {
    "overview": _change_period,
    "abc_xyz": _change_period,
    "pareto": _change_top_n,
    "concentration": _change_period,
    "key_accounts": _change_period,
    "dossier": _change_customer,
    "data": _change_period,
}


def measure(dataset: str, page: str, change: Callable[[AppTest, str], None]) -> dict:
    """Time one page: first run (cold caches), rerun after a change, rerun back."""
    from ui import calls

    calls.clear_caches()
    at = AppTest.from_file(APP, default_timeout=600)
    at.query_params["dataset"] = dataset
    first = _timed(lambda: at.switch_page(f"pages/{page}.py").run())
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    changed = _timed(lambda: change(at, "12m"))
    back = _timed(lambda: change(at, "all"))
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    return {"first": first, "change": changed, "back": back}


def _window_floor(db, dataset: str, repeat: int) -> float:
    """Median milliseconds of the engine's analysis of the last 12 months of ``dataset``
    (what a page's rerun after the window change computes before it draws anything)."""
    info = next(d for d in list_datasets(db) if d.name == dataset)
    start, end = window_dates(info, "12m")
    params = AnalysisParams(start=start, end=end)
    return statistics.median(_timed(lambda: analyze(db, dataset, params))
                             for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    _quiet()
    _navigation_mode()
    _compiled_once()
    big = f"Synthetic {args.rows:,}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        os.environ["KAM_DB"] = str(path)
        db = open_database(path)
        load_demo(db, DEMO_DATASET)
        started = time.perf_counter()
        create_synthetic_dataset(db, big, rows=args.rows, customers=args.customers,
                                 first_date=date(2023, 11, 1), days=1096)
        print(f"generated {args.rows:,} transactions of {args.customers:,} customers in "
              f"{time.perf_counter() - started:.1f} s")
        # Issue 10: within 500 ms at 10 million rows; 1.5 s at 1 million (issue 6).
        targets = {DEMO_DATASET: 300.0, big: 500.0 if args.rows >= 10_000_000 else 1500.0}
        for dataset in targets:
            ranked = analyze(db, dataset, AnalysisParams()).customers["customer_id"]
            _CUSTOMERS[dataset] = list(ranked.iloc[:2])
        print(f"\n{'dataset':<20} {'page':<14} {'first ms':>9} {'change ms':>10} "
              f"{'back ms':>8} {'change/first':>13} {'target':>7}")
        worst: dict[str, float] = {}
        for dataset, target in targets.items():
            for page, change in PAGES.items():
                runs = [measure(dataset, page, change) for _ in range(args.repeat)]
                fig = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                worst[dataset] = max(worst.get(dataset, 0.0), fig["change"])
                ok = "ok" if fig["change"] < target else "MISSED"
                print(f"{dataset:<20} {page:<14} {fig['first']:>9.0f} {fig['change']:>10.0f} "
                      f"{fig['back']:>8.0f} {fig['change'] / fig['first']:>13.2f} {ok:>7}")
        print()
        for dataset, target in targets.items():
            print(f"slowest rerun after a change on {dataset}: {worst[dataset]:.0f} ms "
                  f"(target < {target:.0f} ms)")
        print()
        for dataset, target in targets.items():
            floor = _window_floor(db, dataset, args.repeat)
            print(f"floor on {dataset}: the last 12 months' analysis alone (the customer "
                  f"figures and their classes, which every page but Data and the rerun of "
                  f"Pareto needs; no page, no cache) {floor:.0f} ms = "
                  f"{floor / target:.0%} of the target")
        db.close()


if __name__ == "__main__":
    main()
