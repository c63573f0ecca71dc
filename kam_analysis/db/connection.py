"""The DuckDB file: one :class:`Database` per file per process, a cursor per operation.

Writes are serialised by a process-wide lock and run in one transaction, so a
dataset appears only when its import fully succeeded and a replacement is
atomic; readers work on a snapshot and never see a half-written dataset.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from kam_analysis.db.errors import DatabaseLockedError, StorageError
from kam_analysis.db.schema import migrate, stored_version

#: Default database file, relative to the project root.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "kam.duckdb"


def default_db_path() -> Path:
    """Return the database path: ``$KAM_DB`` if set, else ``data/kam.duckdb``."""
    env = os.environ.get("KAM_DB")
    return Path(env) if env else DEFAULT_DB_PATH


class Database:
    """One DuckDB file opened once per process, with a cursor per operation.

    Use :func:`open_database` rather than the constructor so a process shares
    one handle per file.

    Parameters
    ----------
    path : str or Path
        The DuckDB file (created with its parent folder if missing), or
        ``":memory:"``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            raise _explain_open_error(self.path, exc) from None
        self._write_lock = threading.RLock()
        with self.write() as cur:
            migrate(cur)
            # Staged rows of an import that committed but crashed before deleting them
            # (see _drop_staged_rows): no import runs yet, this process holds the file.
            cur.execute("DELETE FROM transactions WHERE dataset_id < 0")

    @contextlib.contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor inside a read transaction (one consistent snapshot)."""
        cur = self._con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            finally:
                cur.execute("ROLLBACK")
        finally:
            cur.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor inside a write transaction, serialised with other writes.

        The transaction commits when the block ends and rolls back entirely if
        it raises, so the database is never left half-written.
        """
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.close()

    def checkpoint(self) -> None:
        """Write the WAL into the database file (best effort, never raises)."""
        with self._write_lock:
            cur = self._con.cursor()
            try:
                cur.execute("CHECKPOINT")
            except duckdb.Error:
                pass  # the commit is already durable in the WAL
            finally:
                cur.close()

    def close(self) -> None:
        """Close the handle (and forget it in :func:`open_database`'s cache)."""
        with _OPEN_LOCK:
            for key, db in list(_OPEN.items()):
                if db is self:
                    del _OPEN[key]
        self._con.close()


_OPEN: dict[str, Database] = {}
_OPEN_LOCK = threading.Lock()


def open_database(path: str | Path | None = None) -> Database:
    """Return the process's :class:`Database` for ``path`` (opened on first use).

    Parameters
    ----------
    path : str or Path, optional
        The DuckDB file; defaults to :func:`default_db_path`.

    Raises
    ------
    DatabaseLockedError
        If another process holds the file.
    """
    resolved = str(Path(path).resolve()) if path and str(path) != ":memory:" else str(path or "")
    if not resolved:
        resolved = str(default_db_path().resolve())
    with _OPEN_LOCK:
        db = _OPEN.get(resolved)
        if db is None:
            db = Database(resolved)
            if resolved != ":memory:":
                _OPEN[resolved] = db
        return db


def schema_version(db: Database) -> int:
    """Return the schema version stored in the database."""
    with db.read() as cur:
        return stored_version(cur)


def _explain_open_error(path: str, exc: duckdb.IOException) -> StorageError:
    message = str(exc)
    if "lock" in message.lower():
        holder = message.split("Conflicting lock is held in", 1)[-1].split(". See")[0].strip()
        return DatabaseLockedError(
            f"The database {path} is in use by another program ({holder}). "
            "Stop that program (for example the running app) and try again, "
            "import through the app's Data page, "
            "or use another database file with --db or KAM_DB."
        )
    return StorageError(f"Cannot open the database {path}: {message}")
