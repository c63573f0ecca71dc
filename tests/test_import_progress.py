"""Import progress: reported on the caller's thread (Streamlit can only draw from
there), never going backwards, ending at 1.0; errors and interrupts of the long
statement reach the caller and leave nothing behind."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from kam_analysis.db import Database, list_datasets
from kam_analysis.db.import_session import _execute_with_progress
from kam_analysis.importing import import_file
from tests.import_helpers import stored, write

# A statement that runs long enough (about a second on 2 cores) for several polls.
_SLOW = "SELECT sum(a.range * b.range) FROM range(?) a, range(3000) b WHERE a.range % 7 <> b.range"


def _csv(rows: int) -> str:
    lines = ["Customer;Date;Revenue"]
    lines += [f"C{i % 37};{1 + i % 28:02d}.0{1 + i % 9}.2024;{i % 500},{i % 100:02d}"
              for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_import_file_reports_on_the_callers_thread(db: Database, tmp_path: Path) -> None:
    calls: list[tuple[int, float]] = []
    path = write(tmp_path, "p.csv", _csv(3000))
    result = import_file(db, path, "P",
                         progress=lambda f, _m: calls.append((threading.get_ident(), f)))
    assert result.rows_imported == 3000
    assert {ident for ident, _ in calls} == {threading.get_ident()}
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)


def test_long_statement_polls_on_the_callers_thread(db: Database) -> None:
    calls: list[tuple[int, float, str]] = []
    with db.write() as cur:
        _execute_with_progress(
            cur, _SLOW.replace("?", "$n"), {"n": 20_000},
            lambda f, m: calls.append((threading.get_ident(), f, m)), 0.2, 0.6, "Reading")
        [(total,)] = cur.fetchall()
    assert total is not None  # the worker's result is on the cursor for the caller
    assert {ident for ident, _, _ in calls} <= {threading.get_ident()}
    fractions = [f for _, f, _ in calls]
    assert fractions == sorted(fractions)
    assert all(0.2 <= f <= 0.6 for f in fractions)
    assert {m for _, _, m in calls} <= {"Reading"}


def test_statement_error_is_raised_in_the_caller(db: Database) -> None:
    with pytest.raises(duckdb.Error, match="boom"), db.write() as cur:
        _execute_with_progress(cur, "SELECT error('boom')", {}, lambda f, m: None,
                               0.0, 1.0, "x")


def test_failing_callback_does_not_stop_the_statement(db: Database) -> None:
    def broken(_f: float, _m: str) -> None:
        raise RuntimeError("drawing failed")

    with db.write() as cur:
        _execute_with_progress(cur, _SLOW.replace("?", "$n"), {"n": 5_000}, broken,
                               0.0, 1.0, "x")
        assert cur.fetchall()[0][0] is not None


class _Stop(BaseException):
    """Like Streamlit's StopException: not an Exception, raised by the UI call."""


def test_stop_raised_by_the_callback_aborts_the_import(db: Database, tmp_path: Path) -> None:
    import_file(db, write(tmp_path, "a.csv", _csv(50)), "P")

    def stop(fraction: float, _m: str) -> None:
        if fraction > 0.1:  # after the statement started: the import must roll back
            raise _Stop

    with pytest.raises(_Stop):
        import_file(db, write(tmp_path, "b.csv", _csv(80)), "P", progress=stop)
    assert [d.name for d in list_datasets(db)] == ["P"]
    assert len(stored(db, "P")) == 50
