"""Crashes: a process killed (SIGKILL) during or right after an import leaves a database
that opens on the next start with every earlier dataset intact and nothing half-imported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kam_analysis.db import Database, list_datasets, open_database, replace_dataset
from kam_analysis.db.datasets import _DATASET_TABLES
from tests.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

# Big enough that DuckDB writes row groups to the file before the commit (optimistic
# writes), so a kill leaves unreferenced blocks behind, not just an unwritten WAL.
BATCHES = 40
BATCH_ROWS = 25_000

_CHILD = """
import os, sys, time
import numpy as np, pandas as pd
from kam_analysis.db import open_database, replace_dataset

path, marker, done, name, scale, mark_at = sys.argv[1:7]
scale, mark_at = float(scale), int(mark_at)
BATCHES, BATCH_ROWS = int(sys.argv[7]), int(sys.argv[8])

def batches():
    for b in range(BATCHES):
        rng = np.random.default_rng(b)
        n = BATCH_ROWS
        yield pd.DataFrame({
            "source_line": np.arange(b * n + 2, (b + 1) * n + 2),
            "customer_id": [f"K{i:05d}" for i in rng.integers(0, 5000, size=n)],
            "order_date": pd.to_datetime("2024-01-01")
                + pd.to_timedelta(rng.integers(0, 700, size=n), unit="D"),
            "revenue": np.full(n, scale),
        })

def progress(stored):
    if stored >= mark_at and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(stored))
    elif os.path.exists(marker):
        time.sleep(0.02)  # keep the import going while the parent aims its kill

db = open_database(path)
replace_dataset(db, name, batches(), source="big.csv", progress=progress)
with open(done, "w") as f:
    f.write("done")
time.sleep(120)
"""

TOTAL_ROWS = BATCHES * BATCH_ROWS


def _small(scale: float, customers: int) -> pd.DataFrame:
    rng = np.random.default_rng(customers)
    n = 3_000
    return pd.DataFrame({
        "source_line": np.arange(2, n + 2),
        "customer_id": [f"S{i:03d}" for i in rng.integers(0, customers, size=n)],
        "order_date": pd.to_datetime("2025-01-01")
        + pd.to_timedelta(rng.integers(0, 300, size=n), unit="D"),
        "revenue": rng.integers(1, 100, size=n).astype(float) * scale,
    })


def _fingerprint(db: Database) -> dict[str, tuple[int, float, int, float]]:
    """Per dataset: rows and revenue in transactions and in sales_monthly, in one snapshot;
    also asserts that no dataset table holds rows of an unknown dataset id."""
    out = {}
    with db.read() as cur:
        known = {r[0] for r in cur.execute("SELECT dataset_id FROM datasets").fetchall()}
        for table in _DATASET_TABLES:
            ids = {r[0] for r in cur.execute(
                f"SELECT DISTINCT dataset_id FROM {table}").fetchall()}
            assert ids <= known, f"{table} holds rows of unknown datasets {ids - known}"
        for info_row in cur.execute("SELECT dataset_id, name, row_count FROM datasets"
                                    ).fetchall():
            dataset_id, name, row_count = info_row
            [(rows, revenue)] = cur.execute(
                "SELECT count(*), sum(revenue) FROM transactions WHERE dataset_id = ?",
                [dataset_id]).fetchall()
            [(daily_rows, daily_revenue)] = cur.execute(
                "SELECT sum(row_count), sum(revenue) FROM sales_monthly WHERE dataset_id = ?",
                [dataset_id]).fetchall()
            assert rows == row_count == daily_rows
            assert daily_revenue == pytest.approx(revenue)
            out[name] = (rows, revenue, daily_rows, daily_revenue)
    return out


def _prepare(path: Path) -> dict[str, tuple[int, float, int, float]]:
    db = open_database(path)
    replace_dataset(db, "Earlier A", [_small(1.0, 40)])
    replace_dataset(db, "Earlier B", [_small(3.0, 60)])
    replace_dataset(db, "Big", [_small(7.0, 80)])  # the import below replaces this one
    before = _fingerprint(db)
    db.close()
    return before


def _run_and_kill(path: Path, tmp: Path, *, mark_at: int, delay: float,
                  kill_after_done: bool) -> bool:
    """Start the importing child, SIGKILL it at the marker (or after it finished);
    return True if the import had finished before the kill."""
    marker, done = tmp / "marker", tmp / "done"
    for f in (marker, done):
        f.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(marker), str(done), "Big", "2.0",
         str(mark_at), str(BATCHES), str(BATCH_ROWS)],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )
    _kill_at(child, done if kill_after_done else marker, delay)
    assert child.returncode == -signal.SIGKILL
    if child.stderr:
        child.stderr.close()
    return done.exists()


def _assert_reopens(path: Path, before: dict, finished: bool | None,
                    rows: int = TOTAL_ROWS) -> bool:
    """Open the file as the next start does and check it: the earlier datasets whole,
    "Big" in its old or its new version of ``rows`` rows of 2.0 (the new one if
    ``finished``), no scratch tables left, and it takes writes again. Returns whether
    "Big" is the new version."""
    new = (rows, 2.0 * rows, rows, 2.0 * rows)
    db = open_database(path)  # the next start
    try:
        after = _fingerprint(db)
        assert after["Earlier A"] == before["Earlier A"]
        assert after["Earlier B"] == before["Earlier B"]
        assert set(after) == {"Earlier A", "Earlier B", "Big"}
        if finished:
            assert after["Big"][:2] == new[:2]
        else:
            assert after["Big"] in (before["Big"], new)
        # No leftovers of the import's scratch tables either.
        with db.read() as cur:
            tables = {r[0] for r in cur.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()}
        assert not {t for t in tables if t.startswith("kam_")}, tables
        # ...and it takes writes again.
        replace_dataset(db, "After crash", [_small(5.0, 10)])
        assert "After crash" in [d.name for d in list_datasets(db)]
        return after["Big"] == new
    finally:
        db.close()



def _kill_at(child: subprocess.Popen, marker: Path, delay: float = 0.0) -> None:
    """SIGKILL ``child`` once it has written ``marker`` (and ``delay`` seconds more)."""
    deadline = time.monotonic() + 300
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the importing process ended early: {child.stderr.read()}")
        assert time.monotonic() < deadline, "the importing process never reached the marker"
        time.sleep(0.005)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)

def test_kill_in_the_middle_of_an_import(tmp_path: Path) -> None:
    path = tmp_path / "kam.duckdb"
    before = _prepare(path)
    finished = _run_and_kill(path, tmp_path, mark_at=TOTAL_ROWS // 2, delay=0.0,
                             kill_after_done=False)
    assert not finished
    _assert_reopens(path, before, finished=False)
    db = open_database(path)
    try:
        assert _fingerprint(db)["Big"] == before["Big"]  # the old version, whole
    finally:
        db.close()


def test_kill_right_after_an_import(tmp_path: Path) -> None:
    path = tmp_path / "kam.duckdb"
    before = _prepare(path)
    finished = _run_and_kill(path, tmp_path, mark_at=TOTAL_ROWS + 1, delay=0.0,
                             kill_after_done=True)
    assert finished
    _assert_reopens(path, before, finished=True)


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.35, 0.6])
def test_kill_while_aggregating_committing_or_checkpointing(tmp_path: Path,
                                                           delay: float) -> None:
    """The marker is written after the last batch; the kill lands somewhere in building
    the aggregates, the swap, the commit or the checkpoint: old or new, never a mix."""
    path = tmp_path / "kam.duckdb"
    before = _prepare(path)
    finished = _run_and_kill(path, tmp_path, mark_at=TOTAL_ROWS, delay=delay,
                             kill_after_done=False)
    print(f"kill {delay}s after the last batch: import finished={finished}")
    _assert_reopens(path, before, finished=finished)


# The same through the real importer (import_file, as the app's Data page and the CLI use
# it): killed while DuckDB reads the CSV, while it checks rows, while it builds the
# summaries, or while it saves.
_IMPORT_CHILD = """
import os, sys, time
from kam_analysis.importing import import_file
from kam_analysis.db import open_database

path, csv, marker, stage = sys.argv[1:5]
stage = float(stage)

def progress(fraction, message):
    if fraction >= stage and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(message)

import_file(open_database(path), csv, "Big", progress=progress)
time.sleep(120)
"""

CSV_ROWS = 400_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(11)
    path = tmp_path_factory.mktemp("csv") / "big.csv"
    pd.DataFrame({
        "customer_id": [f"K{i:05d}" for i in rng.integers(0, 5000, size=CSV_ROWS)],
        "order_date": (pd.Timestamp("2024-01-01")
                       + pd.to_timedelta(rng.integers(0, 700, size=CSV_ROWS), unit="D")
                       ).strftime("%Y-%m-%d"),
        "revenue": np.full(CSV_ROWS, 2.0),
    }).to_csv(path, index=False)
    # Rows the import rejects or drops are staged while it runs and deleted after it
    # commits: a kill can land in between.
    with path.open("a", encoding="utf-8") as out:
        out.write("K00001,not a date,2.0\nK00002,2024-02-30,2.0\nTotal,,800000.0\n")
    return path


@pytest.mark.parametrize("stage", [0.1, 0.6, 0.7, 0.95])
def test_kill_during_import_file(tmp_path: Path, big_csv: Path, stage: float) -> None:
    path = tmp_path / "kam.duckdb"
    before = _prepare(path)
    marker = tmp_path / "marker"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", _IMPORT_CHILD, str(path), str(big_csv), str(marker),
         str(stage)],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )
    _kill_at(child, marker)
    child.stderr.close()
    is_new = _assert_reopens(path, before, finished=None, rows=CSV_ROWS)
    print(f"killed at {marker.read_text()!r}: Big is the {'new' if is_new else 'old'} version")
