"""Many sessions, one database: readers never see a half-replaced dataset, never wait
for a writer, and writes are serialised."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from kam_analysis.analysis import analyze, concentration_trend, migration
from kam_analysis.db import Database, DatasetNotFoundError, delete_dataset, replace_dataset
from kam_analysis.db.datasets import dataset_in

NAME = "Shared sales"
READERS = 8
REPLACEMENTS = 20


def _version(scale: float, customers: int, rows: int = 20_000) -> pd.DataFrame:
    """Transactions whose per-customer totals are known exactly (integers x scale)."""
    rng = np.random.default_rng(customers)
    ids = rng.integers(0, customers, size=rows)
    return pd.DataFrame({
        "source_line": np.arange(2, rows + 2),
        "customer_id": [f"C{i:04d}" for i in ids],
        "customer_name": [f"Customer {i}" for i in ids],
        "order_date": [date(2024, 1, 1) + timedelta(days=int(d))
                       for d in rng.integers(0, 700, size=rows)],
        "revenue": rng.integers(1, 1000, size=rows).astype(float) * scale,
        "region": rng.choice(["North", "South"], size=rows),
    })


def _expected(frame: pd.DataFrame) -> dict[str, float]:
    return frame.groupby("customer_id")["revenue"].sum().to_dict()


def _snapshot_totals(db: Database, name: str) -> tuple[int, dict[str, float], dict[str, float]]:
    """Resolve name -> dataset and read every figure inside ONE snapshot."""
    with db.read() as cur:
        info = dataset_in(cur, name)
        daily = dict(cur.execute(
            "SELECT customer_id, sum(revenue) FROM sales_monthly WHERE dataset_id = ? "
            "GROUP BY customer_id", [info.dataset_id]).fetchall())
        raw = dict(cur.execute(
            "SELECT customer_id, sum(revenue) FROM transactions WHERE dataset_id = ? "
            "GROUP BY customer_id", [info.dataset_id]).fetchall())
        facts = cur.execute(
            "SELECT count(*), sum(row_count) FROM customers WHERE dataset_id = ?",
            [info.dataset_id]).fetchall()[0]
    assert facts == (info.customer_count, info.row_count)
    return info.row_count, daily, raw


def _hammer(db: Database, versions: list[pd.DataFrame],
            read: Callable[[Database], object]) -> tuple[list[BaseException], list[object]]:
    """8 readers call ``read`` in a loop while a writer replaces the dataset 20 times."""
    errors: list[BaseException] = []
    results: list[object] = []
    done = threading.Event()
    start = threading.Barrier(READERS + 1)

    def writer() -> None:
        try:
            start.wait()
            for i in range(REPLACEMENTS):
                replace_dataset(db, NAME, [versions[i % 2]], source=f"v{i % 2}.csv")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def reader() -> None:
        try:
            start.wait()
            while not done.is_set():
                results.append(read(db))
            results.append(read(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors, results


def test_readers_see_old_or_new_dataset_never_a_mix(db: Database) -> None:
    versions = [_version(1.0, 300, rows=8_000), _version(2.5, 240, rows=8_000)]
    expected = [(len(v), _expected(v)) for v in versions]
    replace_dataset(db, NAME, [versions[1]])

    errors, results = _hammer(db, versions, lambda d: _snapshot_totals(d, NAME))
    assert errors == []
    seen = set()
    for rows, daily, raw in results:
        assert daily == raw  # the aggregates belong to the same import as the rows
        matches = [i for i, (n, totals) in enumerate(expected)
                   if rows == n and daily == pytest.approx(totals)]
        assert len(matches) == 1, "a read returned a mix of two versions"
        seen.add(matches[0])
    assert len(results) >= READERS * 2
    assert seen == {0, 1}  # readers really ran while the dataset was being replaced
    # Nothing of the 19 replaced versions is left behind.
    with db.read() as cur:
        ids = cur.execute("SELECT DISTINCT dataset_id FROM transactions").fetchall()
        assert ids == cur.execute("SELECT dataset_id FROM datasets").fetchall()


def test_read_does_not_wait_for_an_open_write(db: Database) -> None:
    replace_dataset(db, NAME, [_version(1.0, 50, rows=500)])
    before = _snapshot_totals(db, NAME)
    in_write = threading.Event()
    release = threading.Event()
    read_result: list[object] = []

    def long_writer() -> None:
        with contextlib.suppress(RuntimeError), db.write() as cur:
            cur.execute("DELETE FROM sales_monthly")
            in_write.set()
            release.wait(timeout=120)
            raise RuntimeError("abandon the write")  # rolled back

    def reader() -> None:
        read_result.append(_snapshot_totals(db, NAME))

    w = threading.Thread(target=long_writer)
    w.start()
    assert in_write.wait(timeout=60)
    r = threading.Thread(target=reader)
    r.start()
    r.join(timeout=60)
    finished_while_write_open = not r.is_alive()
    release.set()
    w.join(timeout=60)
    r.join(timeout=60)
    assert finished_while_write_open, "a read waited for an open write transaction"
    assert read_result == [before]
    assert _snapshot_totals(db, NAME) == before  # the abandoned write left nothing behind


def test_writes_are_serialised(db: Database) -> None:
    """Two threads replacing different datasets at once both succeed (no write-write
    conflict), because Database.write() lets one writer in at a time."""
    frames = {f"d{i}": _version(float(i + 1), 40 + i, rows=2_000) for i in range(4)}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for _ in range(5):
                replace_dataset(db, name, [frames[name]])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    for name, frame in frames.items():
        rows, daily, _ = _snapshot_totals(db, name)
        assert rows == len(frame) and daily == pytest.approx(_expected(frame))


def test_a_read_of_a_deleted_dataset_fails_cleanly(db: Database) -> None:
    replace_dataset(db, NAME, [_version(1.0, 10, rows=100)])
    with db.read() as cur:
        info = dataset_in(cur, NAME)
        delete_dataset(db, NAME)
        # The open snapshot still sees the whole dataset...
        assert cur.execute("SELECT count(*) FROM transactions WHERE dataset_id = ?",
                           [info.dataset_id]).fetchall() == [(100,)]
    # ...and a new one finds it gone.
    with pytest.raises(DatasetNotFoundError):
        _snapshot_totals(db, NAME)


def test_checkpoint_after_import_works_while_a_reader_is_active(db: Database) -> None:
    replace_dataset(db, NAME, [_version(1.0, 30, rows=3_000)])
    old = _snapshot_totals(db, NAME)
    new_frame = _version(4.0, 25, rows=60_000)
    wal = f"{db.path}.wal"
    with db.read() as cur:
        info = dataset_in(cur, NAME)
        replace_dataset(db, NAME, [new_frame])  # commits, then CHECKPOINTs
        # The checkpoint went through although this snapshot is still open: the
        # write-ahead log is folded into the file...
        assert not os.path.exists(wal) or os.path.getsize(wal) == 0
        # ...and the open snapshot still reads the version it started with.
        rows = cur.execute("SELECT count(*) FROM transactions WHERE dataset_id = ?",
                           [info.dataset_id]).fetchall()
        assert rows == [(old[0],)]
    rows, daily, _ = _snapshot_totals(db, NAME)
    assert rows == len(new_frame) and daily == pytest.approx(_expected(new_frame))


def _engine_views(db: Database) -> tuple:
    """What a dashboard session reads: the analysis, the quarterly trend and the migration.
    Each engine call resolves the dataset and reads all its figures in one snapshot."""
    a = analyze(db, NAME)
    trend = concentration_trend(db, NAME)
    mig = migration(db, NAME)  # default windows: the last 12 months and the 12 before
    values = dict(zip(a.customers["customer_id"], a.customers["value"], strict=True))
    return (
        (a.dataset.row_count, a.concentration.total, a.concentration.customers, values,
         round(a.concentration.hhi, 9)),
        tuple(zip(trend["label"], trend["total"], trend["customers"], strict=True)),
        tuple(mig.matrix.itertuples(index=False, name=None)),
    )


def test_engine_views_see_old_or_new_dataset_never_a_mix(db: Database) -> None:
    versions = [_version(1.0, 300, rows=8_000), _version(2.5, 240, rows=8_000)]
    known_totals = [_expected(v) for v in versions]
    # Baselines: each version's views, read while nothing else runs.
    baselines = []
    for v in versions:
        replace_dataset(db, NAME, [v])
        baselines.append(_engine_views(db))
    for (analysis, _, _), totals in zip(baselines, known_totals, strict=True):
        assert analysis[3] == pytest.approx(totals)  # per-customer values = known totals
        assert analysis[1] == pytest.approx(sum(totals.values()))

    errors, results = _hammer(db, versions, _engine_views)
    assert errors == []
    assert len(results) >= READERS * 2
    seen: set[tuple[int, int, int]] = set()
    for analysis, trend, mig in results:
        # Every view on its own is exactly one version (its snapshot)...
        a = [i for i, b in enumerate(baselines) if analysis == _approx(b[0])]
        t = [i for i, b in enumerate(baselines) if trend == _approx(b[1])]
        m = [i for i, b in enumerate(baselines) if mig == _approx(b[2])]
        assert len(a) == len(t) == len(m) == 1, "a view mixed two versions"
        seen.add((a[0], t[0], m[0]))
    assert {s[0] for s in seen} == {0, 1}


def _approx(value: object) -> object:
    """pytest.approx for nested tuples/dicts of floats."""
    if isinstance(value, tuple):
        return tuple(_approx(v) for v in value)
    if isinstance(value, float | dict):
        return pytest.approx(value)
    return value


def test_overlapping_imports_restore_the_memory_setting(db: Database, tmp_path) -> None:
    """import_file caps DuckDB's (instance-wide) memory while it runs and restores the
    setting afterwards. A second import that starts while the first runs must not read
    the first one's cap as "the setting to restore" and leave it behind for good."""
    from kam_analysis.importing import import_file

    csv = tmp_path / "sales.csv"
    csv.write_text("customer_id,order_date,revenue\n" + "".join(
        f"C{i % 50},2025-01-{1 + i % 28:02d},{i % 97}.5\n" for i in range(5_000)),
        encoding="utf-8")

    def setting() -> str:
        with db.read() as cur:
            return cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    before = setting()
    second: list[threading.Thread] = []
    errors: list[BaseException] = []

    def run(name: str, progress=None) -> None:
        try:
            import_file(db, csv, name, progress=progress)
        except BaseException as exc:
            errors.append(exc)

    def start_second_import(fraction: float, message: str) -> None:
        if not second and fraction > 0:  # the first import is running, its cap is set
            t = threading.Thread(target=run, args=("second",))
            second.append(t)
            t.start()

    run("first", progress=start_second_import)
    for t in second:
        t.join(timeout=120)
    assert errors == [] and len(second) == 1
    assert setting() == before
