"""The settings an import runs under (memory cap, row order, no vacuum; restored
afterwards) and the long statement run with progress reported on the caller's
thread."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import duckdb

from kam_analysis.db import Database

#: DuckDB memory cap while an import runs (it spills to disk beyond it), so a
#: 10-million-row file imports within about 1.5 GB of process memory.
IMPORT_MEMORY_LIMIT = "1200MB"


@contextlib.contextmanager
def _import_settings(db: Database) -> Iterator[None]:
    """Cap DuckDB's memory for the import (a lower existing cap is kept), keep row
    order (record numbers follow the file), skip the checkpoint's merging of partly
    filled row groups, and restore all three afterwards.

    Both are instance-wide settings: queries that run meanwhile share the cap. They
    are set on a cursor of their own, outside the import's transaction, so they
    are restored even when the import fails.
    """
    with db._write_lock:  # imports run one at a time, so they restore what they found
        yield from _import_settings_locked(db)


@contextlib.contextmanager
def import_session(db: Database) -> Iterator[None]:
    """Hold the write lock and the import's settings while an import runs.

    The write lock first: the instance-wide settings belong to one import at a
    time, so an overlapping import cannot take this one's cap for the setting to
    restore. The import's write transaction and checkpoint run inside.
    """
    with db._write_lock, _import_settings(db):
        yield


def _import_settings_locked(db: Database) -> Iterator[None]:
    cur = db._con.cursor()
    [(limit, order, vacuum)] = cur.execute(
        "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order'), "
        "current_setting('max_vacuum_tasks')"
    ).fetchall()
    if _size_bytes(str(limit)) > _size_bytes(IMPORT_MEMORY_LIMIT):
        cur.execute("SET memory_limit = ?", [IMPORT_MEMORY_LIMIT])
    cur.execute("SET preserve_insertion_order = true")
    # DuckDB's parallel insert leaves some row groups partly filled; the import's
    # checkpoint would merge them, rewriting most of the new rows (about 3 s for 10
    # million rows). Row groups whose rows were all deleted are still dropped.
    cur.execute("SET max_vacuum_tasks = 0")
    try:
        yield
    finally:
        cur.execute("SET max_vacuum_tasks = ?", [int(vacuum)])
        # The setting reads back rounded ("18.8 GiB"): prefer the exact default.
        cur.execute("RESET memory_limit")
        [(default,)] = cur.execute("SELECT current_setting('memory_limit')").fetchall()
        if default != limit:
            cur.execute("SET memory_limit = ?", [str(limit).replace(" ", "")])
        cur.execute("SET preserve_insertion_order = ?", [bool(order)])
        cur.close()


def _size_bytes(text: str) -> float:
    """'18.8 GiB' / '1GB' / '953.6 MiB' -> bytes (unknown text -> infinity)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([KMGT]?)i?B\s*", text, flags=re.IGNORECASE)
    if not match:
        return float("inf")
    return float(match.group(1)) * 1024 ** "BKMGT".index(match.group(2).upper() or "B")


def _execute_with_progress(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    progress: Callable[[float, str], None] | None,
    low: float,
    high: float,
    message: str,
) -> None:
    """Run one long statement, reporting DuckDB's own progress on the calling thread.

    The statement runs in a worker thread (the only user of ``cur`` while it
    runs); the calling thread polls ``cur.query_progress()`` about four times a
    second and calls ``progress`` itself, so a UI that may only be drawn from
    its own thread (Streamlit) can show it. Fractions lie between ``low`` and
    ``high`` and never decrease. If ``progress`` raises an ``Exception``,
    reporting stops and the statement goes on; if it raises anything else (a
    ``KeyboardInterrupt``, Streamlit's stop), or the caller is interrupted while
    waiting, the statement is interrupted, the worker is waited for and the
    exception propagates (the caller's transaction then rolls back). An error
    of the statement is re-raised in the calling thread.
    """
    if progress is None:
        cur.execute(sql, params)
        return
    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    failure: list[BaseException] = []

    def work() -> None:
        try:
            cur.execute(sql, params)
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="kam-import-statement", daemon=True)
    worker.start()
    reported = low
    reporting = True
    try:
        while True:
            worker.join(0.25)
            if not worker.is_alive():
                break
            if not reporting:
                continue
            try:
                done = cur.query_progress()
                if done >= 0:
                    reported = max(reported, low + (high - low) * min(done, 100.0) / 100.0)
                    progress(reported, message)
            except Exception:  # a failing callback must not break the import
                reporting = False
    except BaseException:
        with contextlib.suppress(Exception):
            cur.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]
