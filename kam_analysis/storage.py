"""All SQL of KAM Analysis: the DuckDB file, its schema, datasets, and every query.

Rules kept in this module:

* every value is a bound parameter (``?``); table and column names come from
  the constants below or from :mod:`kam_analysis.fields`, never from user text;
* one :class:`Database` (one DuckDB handle) per file per process; each
  operation gets its own cursor, so threads never share one;
* writes are serialised by a process-wide lock and run in one transaction, so a
  dataset appears only when its import fully succeeded and a replacement is
  atomic; readers work on a snapshot and never see a half-written dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kam_analysis.fields import FIELD_BY_NAME, FIELD_NAMES

SCHEMA_VERSION = 1

#: Default database file, relative to the project root.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "kam.duckdb"

# Each migration is the list of statements that takes the schema from the
# previous version to this one. Never edit a released migration: append one.
_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
        "CREATE SEQUENCE IF NOT EXISTS dataset_id_seq START 1",
        # One row per dataset that fully imported; name is unique (enforced in
        # code under the write lock so a replacement can swap in one transaction).
        """CREATE TABLE IF NOT EXISTS datasets (
            dataset_id BIGINT NOT NULL,
            name VARCHAR NOT NULL,
            source VARCHAR,
            imported_at TIMESTAMP NOT NULL,
            row_count BIGINT NOT NULL,
            customer_count BIGINT NOT NULL,
            first_date DATE,
            last_date DATE,
            has_margin BOOLEAN NOT NULL,
            has_quantity BOOLEAN NOT NULL,
            currency VARCHAR,
            summary VARCHAR
        )""",
        # Canonical transactions: one row per source row that imported.
        """CREATE TABLE IF NOT EXISTS transactions (
            dataset_id BIGINT NOT NULL,
            source_line BIGINT,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            order_date DATE NOT NULL,
            revenue DOUBLE NOT NULL,
            margin DOUBLE,
            quantity DOUBLE,
            product VARCHAR,
            category VARCHAR,
            region VARCHAR,
            manager VARCHAR,
            document_id VARCHAR
        )""",
        # Pre-aggregated customer-by-day table built at import: every common view
        # is computed from this table, never from the raw rows.
        """CREATE TABLE IF NOT EXISTS sales_daily (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            order_date DATE NOT NULL,
            region VARCHAR,
            manager VARCHAR,
            category VARCHAR,
            revenue DOUBLE NOT NULL,
            margin DOUBLE,
            quantity DOUBLE,
            row_count BIGINT NOT NULL
        )""",
        # Per-customer facts over the whole dataset (name, first/last purchase).
        """CREATE TABLE IF NOT EXISTS customers (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            first_purchase DATE NOT NULL,
            last_purchase DATE NOT NULL,
            row_count BIGINT NOT NULL
        )""",
        # Rows an import could not read, kept with the dataset for review.
        """CREATE TABLE IF NOT EXISTS import_rejects (
            dataset_id BIGINT NOT NULL,
            source_line BIGINT,
            reason VARCHAR NOT NULL,
            raw VARCHAR
        )""",
        # Hand-set account types, per customer id; independent of datasets so
        # they survive re-imports.
        """CREATE TABLE IF NOT EXISTS account_tags (
            customer_id VARCHAR NOT NULL,
            tag VARCHAR NOT NULL,
            PRIMARY KEY (customer_id, tag)
        )""",
        # Account dossier, per customer id; survives re-imports.
        """CREATE TABLE IF NOT EXISTS dossiers (
            customer_id VARCHAR PRIMARY KEY,
            general VARCHAR,
            decision_makers VARCHAR,
            competitors VARCHAR,
            next_review DATE,
            next_steps VARCHAR,
            updated_at TIMESTAMP,
            updated_by VARCHAR
        )""",
        # Relationship history entries of a dossier (deliveries, tenders, wins, losses...).
        """CREATE TABLE IF NOT EXISTS dossier_events (
            customer_id VARCHAR NOT NULL,
            event_date DATE NOT NULL,
            kind VARCHAR NOT NULL,
            note VARCHAR,
            created_at TIMESTAMP NOT NULL
        )""",
    ],
}

# Tables whose rows belong to one dataset (deleted with it).
_DATASET_TABLES: tuple[str, ...] = (
    "transactions",
    "sales_daily",
    "customers",
    "import_rejects",
)


class StorageError(Exception):
    """A database problem explained in one line for the user."""


class DatabaseLockedError(StorageError):
    """Another process holds the DuckDB file."""


class DatasetNotFoundError(StorageError):
    """The named dataset does not exist (or was replaced meanwhile)."""


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset as listed to the user.

    Attributes
    ----------
    dataset_id : int
        Internal id; a replacement gets a new id, so it doubles as a version.
    name : str
        The user's name for the dataset.
    """

    dataset_id: int
    name: str
    source: str | None
    imported_at: datetime
    row_count: int
    customer_count: int
    first_date: date | None
    last_date: date | None
    has_margin: bool
    has_quantity: bool
    currency: str | None
    summary: dict[str, Any]


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
            _migrate(cur)

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


def _explain_open_error(path: str, exc: duckdb.IOException) -> StorageError:
    message = str(exc)
    if "lock" in message.lower():
        holder = message.split("Conflicting lock is held in", 1)[-1].split(". See")[0].strip()
        return DatabaseLockedError(
            f"The database {path} is in use by another program ({holder}). "
            "Stop that program (for example the running app) and try again, "
            "or import through the app's Data page."
        )
    return StorageError(f"Cannot open the database {path}: {message}")


def _migrate(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_MIGRATIONS[1][0])
    row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    current = int(row[0]) if row else 0
    if current > SCHEMA_VERSION:
        raise StorageError(
            f"The database was written by a newer KAM Analysis (schema {current}); "
            f"this version reads schema {SCHEMA_VERSION}."
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS[version]:
            cur.execute(statement)
    cur.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(SCHEMA_VERSION)],
    )


def schema_version(db: Database) -> int:
    """Return the schema version stored in the database."""
    with db.read() as cur:
        row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


# --------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------

_DATASET_COLUMNS = (
    "dataset_id, name, source, imported_at, row_count, customer_count, first_date, "
    "last_date, has_margin, has_quantity, currency, summary"
)


def _dataset_from_row(row: tuple[Any, ...]) -> DatasetInfo:
    values = list(row)
    values[-1] = json.loads(values[-1]) if values[-1] else {}
    return DatasetInfo(*values)


def list_datasets(db: Database) -> list[DatasetInfo]:
    """Return every dataset, by name."""
    with db.read() as cur:
        rows = cur.execute(
            f"SELECT {_DATASET_COLUMNS} FROM datasets ORDER BY name"  # noqa: S608 - constant columns
        ).fetchall()
    return [_dataset_from_row(r) for r in rows]


def get_dataset(db: Database, name: str) -> DatasetInfo:
    """Return the dataset called ``name``.

    Raises
    ------
    DatasetNotFoundError
        If there is no such dataset.
    """
    with db.read() as cur:
        return _get_dataset(cur, name)


def _get_dataset(cur: duckdb.DuckDBPyConnection, name: str) -> DatasetInfo:
    row = cur.execute(
        f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ?",  # noqa: S608 - constant columns
        [name],
    ).fetchone()
    if row is None:
        raise DatasetNotFoundError(f"There is no dataset called {name!r}.")
    return _dataset_from_row(row)


def _delete_dataset_rows(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    for table in _DATASET_TABLES:
        cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608
    cur.execute("DELETE FROM datasets WHERE dataset_id = ?", [dataset_id])


def delete_dataset(db: Database, name: str) -> None:
    """Delete the dataset called ``name`` and all its rows.

    Raises
    ------
    DatasetNotFoundError
        If there is no such dataset.
    """
    with db.write() as cur:
        info = _get_dataset(cur, name)
        _delete_dataset_rows(cur, info.dataset_id)
    db.checkpoint()


def validate_dataset_name(name: str) -> str:
    """Return the cleaned dataset name or raise ``ValueError`` saying what is wrong.

    Any printable text of 1 to 100 characters is allowed: the name is only
    ever a bound value, never part of SQL or of a path.
    """
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("The dataset name is empty.")
    if len(cleaned) > 100:
        raise ValueError("The dataset name is longer than 100 characters.")
    if not cleaned.isprintable():
        raise ValueError("The dataset name contains control characters.")
    return cleaned


_TRANSACTION_COLUMNS = ("source_line", *FIELD_NAMES)


def replace_dataset(
    db: Database,
    name: str,
    batches: Iterable[pa.RecordBatch | pa.Table | pd.DataFrame],
    *,
    source: str | None = None,
    summary: dict[str, Any] | None = None,
    rejects: pd.DataFrame | None = None,
    currency: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> DatasetInfo:
    """Store a dataset in one transaction, replacing any dataset of that name.

    Parameters
    ----------
    db : Database
        Target database.
    name : str
        Dataset name (see :func:`validate_dataset_name`).
    batches : iterable of Arrow batches/tables or DataFrames
        Canonical rows: columns named after :data:`kam_analysis.fields.FIELD_NAMES`
        plus ``source_line``; missing optional columns are stored as NULL.
        ``order_date`` must be a date, amounts numeric, ids text.
    source : str, optional
        Where the data came from (file name), for display only.
    summary : dict, optional
        The import summary, stored as JSON with the dataset.
    rejects : DataFrame, optional
        Rejected rows with columns ``source_line``, ``reason``, ``raw``.
    currency : str, optional
        Currency symbol or code, if known.
    progress : callable, optional
        Called with the number of rows stored so far after each batch.

    Returns
    -------
    DatasetInfo
        The new dataset. If anything fails, nothing is written and any earlier
        dataset of that name is untouched.
    """
    name = validate_dataset_name(name)
    stored = 0
    with db.write() as cur:
        [(new_id,)] = cur.execute("SELECT nextval('dataset_id_seq')").fetchall()
        for batch in batches:
            frame = batch.to_pandas() if isinstance(batch, pa.RecordBatch | pa.Table) else batch
            present = [c for c in _TRANSACTION_COLUMNS if c in frame.columns]
            cur.register("incoming_batch", frame[present])
            select = ", ".join(c if c in present else "NULL" for c in _TRANSACTION_COLUMNS)
            cur.execute(
                f"INSERT INTO transactions (dataset_id, {', '.join(_TRANSACTION_COLUMNS)}) "  # noqa: S608
                f"SELECT ?, {select} FROM incoming_batch",
                [new_id],
            )
            cur.unregister("incoming_batch")
            stored += len(frame)
            if progress is not None:
                progress(stored)
        if stored == 0:
            raise ValueError("The file has no data rows to import.")
        if rejects is not None and len(rejects):
            cur.register("incoming_rejects", rejects[["source_line", "reason", "raw"]])
            cur.execute(
                "INSERT INTO import_rejects "
                "SELECT ?, source_line, reason, raw FROM incoming_rejects",
                [new_id],
            )
            cur.unregister("incoming_rejects")
        info = _swap_in_dataset(cur, new_id, name, source, summary, currency)
    db.checkpoint()
    return info


def _swap_in_dataset(
    cur: duckdb.DuckDBPyConnection,
    new_id: int,
    name: str,
    source: str | None,
    summary: dict[str, Any] | None,
    currency: str | None,
) -> DatasetInfo:
    """Aggregate the stored transactions of ``new_id`` and make it dataset ``name``.

    Runs inside the caller's write transaction: any older dataset of that name
    is deleted in the same transaction, so the swap is atomic.
    """
    _build_aggregates(cur, new_id)
    old = cur.execute("SELECT dataset_id FROM datasets WHERE name = ?", [name]).fetchall()
    for (old_id,) in old:
        _delete_dataset_rows(cur, old_id)
    cur.execute(
        """INSERT INTO datasets
           SELECT ?, ?, ?, now()::TIMESTAMP, count(*), count(DISTINCT customer_id),
                  min(order_date), max(order_date),
                  count(margin) > 0, count(quantity) > 0, ?, ?
           FROM transactions WHERE dataset_id = ?""",
        [new_id, name, source, currency, json.dumps(summary or {}, default=str), new_id],
    )
    return _get_dataset(cur, name)


def _build_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the pre-aggregated tables of one dataset from its transactions."""
    cur.execute(
        """INSERT INTO sales_daily
           SELECT dataset_id, customer_id, order_date, region, manager, category,
                  sum(revenue), sum(margin), sum(quantity), count(*)
           FROM transactions WHERE dataset_id = ?
           GROUP BY dataset_id, customer_id, order_date, region, manager, category""",
        [dataset_id],
    )
    cur.execute(
        """INSERT INTO customers
           SELECT dataset_id, customer_id,
                  arg_max(customer_name, order_date) FILTER (WHERE customer_name IS NOT NULL),
                  min(order_date), max(order_date), count(*)
           FROM transactions WHERE dataset_id = ?
           GROUP BY dataset_id, customer_id""",
        [dataset_id],
    )


def import_rejects(db: Database, name: str) -> pd.DataFrame:
    """Return the rows the import of dataset ``name`` rejected, by source line."""
    with db.read() as cur:
        info = _get_dataset(cur, name)
        return cur.execute(
            "SELECT source_line, reason, raw FROM import_rejects "
            "WHERE dataset_id = ? ORDER BY source_line",
            [info.dataset_id],
        ).df()


# --------------------------------------------------------------------------
# ---- Import queries ----
# --------------------------------------------------------------------------
# The importer (kam_analysis/importer.py) decides how to read a file; the SQL
# that reads, parses and stores it lives here. One statement streams the source
# (CSV through DuckDB's reader, Parquet, or an Arrow table of spreadsheet
# cells) into ``transactions``: readable rows under the new dataset id, every
# other row (rejected, totals, blank) under the NEGATIVE id as staging rows,
# all inside the write transaction. The staging rows are turned into the
# import summary and ``import_rejects`` and deleted before the commit, so a
# failed or interrupted import leaves nothing behind.

#: Regular expressions and constants used by the import SQL (bound as values).
IMPORT_MAX_COLUMNS = 2000
_CURRENCY_RE = r"(?:[€$£¥₽₴₸]|eur|usd|rub|chf|gbp|pln|uah|kzt|руб\.?|р\.|р|грн\.?)"
_NUMBER_RE = {
    ",": (
        r"(?i)^\s*\(?\s*[-−]?\s*" + _CURRENCY_RE + r"?\s*[-−]?\s*"
        r"(?:\d+|\d{1,3}(?:[ \x{00A0}\x{202F}.'’]\d{3})+)?(?:,\d+)?"
        r"\s*" + _CURRENCY_RE + r"?\s*[-−]?\s*\)?\s*$"
    ),
    ".": (
        r"(?i)^\s*\(?\s*[-−]?\s*" + _CURRENCY_RE + r"?\s*[-−]?\s*"
        r"(?:\d+|\d{1,3}(?:[ \x{00A0}\x{202F},'’]\d{3})+)?(?:\.\d+)?"
        r"\s*" + _CURRENCY_RE + r"?\s*[-−]?\s*\)?\s*$"
    ),
}
_KEEP_DIGITS_RE = {",": "[^0-9,]", ".": "[^0-9.]"}
_TOTALS_RE = (
    r"(?i)^\s*(?:итого|итог|всего|общий итог|total|totals|grand total|sum|subtotal|"
    r"sub-total|summe|gesamt|gesamtsumme|gesamtergebnis|insgesamt|zwischensumme|endsumme)"
    r"\s*(?:[:.]?\s*$|:.*$|\s+(?:по|за|for|of|für|pro)\s.*$)"
    # Excel's Data > Subtotal labels: "Alpha GmbH Ergebnis", "ООО Ромашка Итог", "A Total"
    r"|(?i)^.*\S\s+(?:итог|ergebnis|total)\s*$"
)
_EXCEL_SERIAL_RE = r"^\s*[0-9]{5}(?:[.][0-9]+)?\s*$"
_STAGING_STATUSES = ("reject", "total", "blank", "header")


@dataclass(frozen=True)
class ImportColumn:
    """How one canonical field is read from one source column.

    Attributes
    ----------
    field : str
        Canonical field name (one of :data:`kam_analysis.fields.FIELD_NAMES`).
    index : int
        0-based position of the source column.
    header : str
        The source header, used only inside messages (a bound value).
    decimal : str
        Numbers: the decimal separator, ``","`` or ``"."``.
    date_formats : tuple of str
        Dates: strptime formats tried in order on the date part of the cell.
    excel_serial : bool
        Dates: also accept Excel serial day numbers (5 digits).
    """

    field: str
    index: int
    header: str
    decimal: str = "."
    date_formats: tuple[str, ...] = ()
    excel_serial: bool = False


@dataclass(frozen=True)
class CsvSource:
    """A UTF-8 CSV file read by DuckDB with an explicit dialect.

    ``skip`` is the number of physical lines before the first data line (the
    header included); ``columns`` the number of header columns.
    """

    path: str
    delimiter: str
    quote: str
    skip: int
    columns: int
    parallel: bool = True


@dataclass(frozen=True)
class ParquetSource:
    """A Parquet file; every column is read as text (typed values cast)."""

    path: str
    columns: int


@dataclass(frozen=True)
class TableSource:
    """Spreadsheet cells as an Arrow table: ``line`` (int64) then ``c0``..``cN`` (text)."""

    table: pa.Table


@dataclass(frozen=True)
class ImportMessages:
    """Message templates (``{}`` = the raw cell) for the reasons rows are rejected.

    One template per canonical field for "empty" and "unreadable"; they are
    bound values, so header names never become SQL.
    """

    empty: dict[str, str]
    invalid: dict[str, str]
    #: DuckDB CSV error type (e.g. "TOO MANY COLUMNS") -> reason; key "" for any other.
    broken: dict[str, str]


@dataclass
class ImportStats:
    """What one import statement did (before the dataset is swapped in)."""

    rows_read: int
    rows_imported: int
    rows_rejected: int
    totals_dropped: int
    blank_rows: int
    header_rows: int
    file_revenue_total: float
    imported_revenue_total: float
    rejects: pd.DataFrame
    line_numbers_exact: bool


class CsvNeedsSerialScan(StorageError):
    """DuckDB's parallel CSV reader refused the file (quoted line breaks + padding)."""


def _with_time_formats(formats: tuple[str, ...]) -> list[str]:
    """The date formats, each also followed by the time-of-day shapes ERP exports use."""
    times = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f",
             "T%H:%M:%SZ", "T%H:%M:%S.%fZ", "T%H:%M")
    return [f + t for t in times for f in formats]


def _col(index: int) -> str:
    if not 0 <= int(index) < IMPORT_MAX_COLUMNS:
        raise ValueError(f"column index {index} out of range")
    return f"c{int(index)}"


def _number_sql(ref: str, decimal: str, slot: str) -> tuple[str, str]:
    """Return (fast, slow) SQL for a number cell; the slow path validates the shape."""
    if decimal not in _NUMBER_RE:
        raise ValueError(f"decimal separator must be ',' or '.', not {decimal!r}")
    if decimal == ",":
        fast = (f"CASE WHEN NOT contains({ref}, '.') "
                f"THEN TRY_CAST(replace({ref}, ',', '.') AS DOUBLE) END")
    else:
        fast = f"TRY_CAST({ref} AS DOUBLE)"
    slow = (
        f"CASE WHEN regexp_full_match({ref}, ${slot}_re) THEN "
        f"(CASE WHEN regexp_matches({ref}, '[-−(]') THEN -1 ELSE 1 END) * "
        f"TRY_CAST(replace(regexp_replace({ref}, ${slot}_keep, '', 'g'), ${slot}_dec, '.') "
        f"AS DOUBLE) END"
    )
    return fast, slow


def _import_select(
    source: CsvSource | ParquetSource | TableSource,
    columns: list[ImportColumn],
    messages: ImportMessages,
    ncols: int,
) -> tuple[str, dict[str, Any]]:
    """Build the SELECT that parses every source row into canonical + status columns."""
    params: dict[str, Any] = {"totals_re": _TOTALS_RE, "excel_re": _EXCEL_SERIAL_RE}
    raw_cols = [_col(i) for i in range(ncols)]
    if isinstance(source, CsvSource):
        params.update(path=source.path, csv_columns={c: "VARCHAR" for c in raw_cols},
                      skip=int(source.skip), delim=source.delimiter, quote=source.quote,
                      parallel=bool(source.parallel), delim_raw=source.delimiter)
        base = (
            "SELECT CAST(NULL AS BIGINT) AS line, * FROM read_csv($path, "
            "columns = $csv_columns, auto_detect = false, header = false, skip = $skip, "
            "delim = $delim, quote = $quote, escape = $quote, null_padding = true, "
            "strict_mode = true, parallel = $parallel, store_rejects = true, "
            "ignore_errors = true, rejects_table = 'kam_import_rejects', "
            "rejects_scan = 'kam_import_scans', max_line_size = 10000000)"
        )
    elif isinstance(source, ParquetSource):
        params.update(path=source.path, delim_raw=";")
        casts = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS {c}" for i, c in enumerate(raw_cols))
        base = f"SELECT CAST(NULL AS BIGINT) AS line, {casts} FROM read_parquet($path)"  # noqa: S608
    else:
        params.update(delim_raw=";")
        base = "SELECT * FROM kam_import_table"

    by_field = {c.field: c for c in columns}
    for required in ("customer_id", "order_date", "revenue"):
        if required not in by_field:
            raise ValueError(f"the import needs a column for {required}")
    # A row repeating the header (page headers of printed reports) is skipped.
    params["customer_id_header"] = by_field["customer_id"].header.strip()
    params["revenue_header"] = by_field["revenue"].header.strip()
    unknown = set(by_field) - set(FIELD_NAMES)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")

    layer1: list[str] = ["line"]
    layer2: list[str] = ["line"]
    checks: list[str] = []
    for field in FIELD_NAMES:
        col = by_field.get(field)
        if col is None:
            continue
        ref = _col(col.index)
        kind = FIELD_BY_NAME[field].kind
        # trim only cells that need it: trim() on every cell costs more than the scan.
        layer1.append(
            f"nullif(CASE WHEN prefix({ref}, ' ') OR suffix({ref}, ' ') THEN trim({ref}) "
            f"ELSE {ref} END, '') AS {field}_raw"
        )
        params[f"{field}_empty"] = messages.empty[field]
        params[f"{field}_invalid"] = messages.invalid[field]
        if kind == "text":
            layer2.append(f"{field}_raw AS {field}")
        elif kind == "number":
            slot = f"n_{field}"
            params[f"{slot}_re"] = _NUMBER_RE[col.decimal]
            params[f"{slot}_keep"] = _KEEP_DIGITS_RE[col.decimal]
            params[f"{slot}_dec"] = col.decimal
            fast, slow = _number_sql(f"{field}_raw", col.decimal, slot)
            layer1.append(f"{fast} AS {field}_fast")
            layer2.append(
                f"CASE WHEN isfinite({field}_fast) THEN {field}_fast "
                f"WHEN {field}_raw IS NULL THEN NULL ELSE {slow} END AS {field}"
            )
            if field != "revenue":
                layer2.append(f"{field}_raw")
                checks.append(
                    f"WHEN {field}_raw IS NOT NULL AND {field} IS NULL "
                    f"THEN format(${field}_invalid, {field}_raw)"
                )
        else:
            params["date_formats"] = _with_time_formats(col.date_formats or ("%Y-%m-%d",))
            expr = f"CAST(try_strptime({field}_raw, $date_formats) AS DATE)"
            if col.excel_serial:
                expr = (
                    f"COALESCE({expr}, CASE WHEN regexp_full_match({field}_raw, $excel_re) "
                    f"THEN DATE '1899-12-30' + CAST(floor(TRY_CAST({field}_raw AS DOUBLE)) "
                    f"AS INTEGER) END)"
                )
            layer2.append(f"{expr} AS {field}_parsed")
    first_text = "coalesce(" + ", ".join(f"nullif(trim({c}), '')" for c in raw_cols) + ")"
    layer1.append(
        f"CASE WHEN customer_id_raw IS NULL OR order_date_raw IS NULL "
        f"THEN {first_text} END AS first_text"
    )
    layer1 += raw_cols
    layer2 += ["first_text", "customer_id_raw", "order_date_raw", "revenue_raw", *raw_cols]
    reason = (
        "CASE WHEN customer_id IS NULL THEN $customer_id_empty "
        "WHEN order_date_raw IS NULL THEN $order_date_empty "
        "WHEN order_date IS NULL THEN format($order_date_invalid, order_date_raw) "
        "WHEN revenue_raw IS NULL THEN $revenue_empty "
        "WHEN revenue IS NULL THEN format($revenue_invalid, revenue_raw) "
        + " ".join(checks) + " END"
    )
    status = (
        "CASE WHEN customer_id_raw IS NULL AND first_text IS NULL THEN 'blank' "
        "WHEN customer_id_raw = $customer_id_header AND revenue_raw = $revenue_header "
        "THEN 'header' "
        "WHEN regexp_matches(coalesce(customer_id_raw, first_text), $totals_re) "
        "OR (order_date_raw IS NULL AND revenue_raw IS NOT NULL) "
        "THEN 'total' WHEN reason IS NOT NULL THEN 'reject' ELSE 'ok' END"
    )
    in_range = (
        "CASE WHEN order_date_parsed BETWEEN DATE '1900-01-01' AND DATE '2199-12-31' "
        "THEN order_date_parsed END AS order_date"
    )
    # Layers: 1 raw text per field, 2 parsed values, 3 date range, 4 reason, 5 status.
    # Identifiers and expressions are built from constants only; values are bound.
    sql = (
        f"SELECT *, {status} AS status FROM (SELECT *, {reason} AS reason FROM ("  # noqa: S608
        f"SELECT *, {in_range} FROM ("
        f"SELECT {', '.join(layer2)} FROM (SELECT {', '.join(layer1)} FROM ("
        f"SELECT * FROM ({base}))) ) ) )"
    )
    used = set(re.findall(r"\$(\w+)", sql + _IMPORT_INSERT)) | {"delim_raw"}
    return sql, {k: v for k, v in params.items() if k in used}


_IMPORT_INSERT = (
    "INSERT INTO transactions (dataset_id, source_line, customer_id, customer_name, "
    "order_date, revenue, margin, quantity, product, category, region, manager, document_id) "
    "SELECT CASE WHEN status = 'ok' THEN $new_id ELSE -$new_id END, line, "
    "coalesce(customer_id, ''), CASE WHEN status = 'ok' THEN {customer_name} ELSE {raw_line} END, "
    "coalesce(order_date, DATE '1900-01-01'), coalesce(revenue, 0), {margin}, {quantity}, "
    "{product}, CASE WHEN status = 'ok' THEN {category} ELSE status END, {region}, {manager}, "
    "CASE WHEN status = 'ok' THEN {document_id} ELSE reason END "
    "FROM ({select})"
)


def import_rows(
    db: Database,
    name: str,
    source: CsvSource | ParquetSource | TableSource,
    columns: list[ImportColumn],
    messages: ImportMessages,
    *,
    finish: Callable[[ImportStats], dict[str, Any]],
    source_name: str | None = None,
    currency: str | None = None,
    line_map: Callable[[int, list[int]], tuple[list[int], list[int]] | None] | None = None,
    progress: Callable[[float, str], None] | None = None,
    max_rejects_returned: int = 10_000,
) -> DatasetInfo:
    """Parse a source into canonical rows and store it as dataset ``name`` in one transaction.

    Parameters
    ----------
    db : Database
        Target database.
    name : str
        Dataset name; an existing dataset of that name is replaced atomically.
    source : CsvSource, ParquetSource or TableSource
        Where the rows come from; every cell is read as text.
    columns : list of ImportColumn
        The mapped columns (customer_id, order_date and revenue required).
    messages : ImportMessages
        Reason templates for rejected rows.
    finish : callable
        Called with the :class:`ImportStats` before the dataset is swapped in;
        returns the summary stored with the dataset, or raises to abort (nothing
        is written then).
    source_name : str, optional
        The file name shown with the dataset.
    currency : str, optional
        Currency of the amounts.
    line_map : callable, optional
        CSV only: ``line_map(records, broken)`` with the number of records DuckDB
        returned and the lines DuckDB reports for the records it could not split.
        Returns None when record *k* is physical
        line ``skip + k`` (no blank lines, quoted line breaks or broken rows),
        else ``(record_lines, broken_lines)``: the physical line of each record
        in order, and of each broken record.
    progress : callable, optional
        ``progress(fraction, message)``.
    max_rejects_returned : int
        At most this many rejected rows are returned in ``ImportStats.rejects``
        (all are stored).

    Returns
    -------
    DatasetInfo
        The new dataset.

    Raises
    ------
    CsvNeedsSerialScan
        If DuckDB's parallel CSV reader cannot read the file; retry with
        ``CsvSource(parallel=False)``.
    """
    name = validate_dataset_name(name)
    ncols = source.columns if not isinstance(source, TableSource) else source.table.num_columns - 1
    select, params = _import_select(source, columns, messages, ncols)
    mapped = {c.field for c in columns}
    pieces = {f: (f if f in mapped else "NULL") for f in FIELD_NAMES}
    # The raw line is only built for rows that are not imported (it is costly).
    raw_line = "concat_ws($delim_raw, " + ", ".join(
        f"coalesce({_col(i)}, '')" for i in range(ncols)) + ")"
    sql = _IMPORT_INSERT.format(select=select, raw_line=raw_line, **pieces)

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    with _import_settings(db):
        with db.write() as cur:
            [(new_id,)] = cur.execute("SELECT nextval('dataset_id_seq')").fetchall()
            params["new_id"] = new_id
            if isinstance(source, TableSource):
                cur.register("kam_import_table", source.table)
            report(0.1, "Reading rows")
            try:
                _execute_with_progress(cur, sql, params, progress, 0.1, 0.6, "Reading rows")
            except duckdb.Error as exc:
                if "parallel=false" in str(exc):
                    raise CsvNeedsSerialScan(str(exc)) from None
                raise
            if isinstance(source, TableSource):
                cur.unregister("kam_import_table")
            else:
                _number_records(cur, new_id, source.skip if isinstance(source, CsvSource) else 0)
            report(0.6, "Checking rows")
            engine_errors = pd.DataFrame({"source_line": [], "reason": [], "raw": []})
            if isinstance(source, CsvSource):
                engine_errors = cur.execute(
                    "SELECT line AS source_line, error_type, error_message, csv_line AS raw "
                    "FROM kam_import_rejects ORDER BY line"
                ).df()
                engine_errors["reason"] = [
                    messages.broken.get(kind, messages.broken[""]).format(detail=detail)
                    for kind, detail in zip(
                        engine_errors["error_type"], engine_errors["error_message"], strict=True
                    )
                ]
                cur.execute("DROP TABLE IF EXISTS kam_import_rejects")
                cur.execute("DROP TABLE IF EXISTS kam_import_scans")
            exact = _fix_line_numbers(cur, new_id, source, engine_errors, line_map)
            stats = _import_stats(cur, new_id, engine_errors, exact, max_rejects_returned)
            summary = finish(stats)
            if len(engine_errors):
                reasons = engine_errors[["source_line", "reason", "raw"]]
                cur.register("kam_engine_rejects", reasons)
                cur.execute(
                    "INSERT INTO import_rejects SELECT ?, source_line, reason, raw "
                    "FROM kam_engine_rejects",
                    [new_id],
                )
                cur.unregister("kam_engine_rejects")
            cur.execute(
                "INSERT INTO import_rejects SELECT ?, source_line, document_id, customer_name "
                "FROM transactions WHERE dataset_id = ? AND category = 'reject'",
                [new_id, -new_id],
            )
            cur.execute("DELETE FROM transactions WHERE dataset_id = ?", [-new_id])
            report(0.7, "Building summaries")
            # Aggregates need no row order; without it DuckDB needs less memory.
            cur.execute("SET preserve_insertion_order = false")
            info = _swap_in_dataset(cur, new_id, name, source_name, summary, currency)
            report(0.95, "Saving")
        # The checkpoint compresses the new rows: keep it under the memory cap too.
        db.checkpoint()
    report(1.0, "Done")
    return info


def _number_records(cur: duckdb.DuckDBPyConnection, new_id: int, skip: int) -> None:
    """Store record numbers (``skip`` + 1, 2, ...) of the rows the import just added.

    Every source record was inserted (imported or staged) in source order in one
    statement with insertion order preserved, so within this transaction the new
    rows' row ids run consecutively in file order. Numbering them afterwards
    costs a fraction of a second, where ``row_number()`` in the reading
    statement would serialise DuckDB's parallel reader.
    """
    cur.execute(
        "UPDATE transactions SET source_line = rowid - (SELECT min(rowid) FROM transactions "
        "WHERE dataset_id IN (?, ?)) + 1 + ? WHERE dataset_id IN (?, ?)",
        [new_id, -new_id, int(skip), new_id, -new_id],
    )


def _execute_with_progress(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    progress: Callable[[float, str], None] | None,
    low: float,
    high: float,
    message: str,
) -> None:
    """Run one long statement, reporting DuckDB's own progress from a helper thread.

    ``progress`` is called from that thread (about twice a second) with a
    fraction between ``low`` and ``high``; if it raises, reporting stops and the
    statement goes on.
    """
    if progress is None:
        cur.execute(sql, params)
        return
    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            try:
                done = cur.query_progress()
                if done >= 0:
                    progress(low + (high - low) * min(done, 100.0) / 100.0, message)
            except Exception:  # a failing callback must not break the import
                return

    thread = threading.Thread(target=poll, name="kam-import-progress", daemon=True)
    thread.start()
    try:
        cur.execute(sql, params)
    finally:
        stop.set()
        thread.join()


#: DuckDB memory cap while an import runs (it spills to disk beyond it), so a
#: 10-million-row file imports within about 1.5 GB of process memory.
IMPORT_MEMORY_LIMIT = "1200MB"


@contextlib.contextmanager
def _import_settings(db: Database) -> Iterator[None]:
    """Cap DuckDB's memory for the import (a lower existing cap is kept), keep row
    order (record numbers follow the file), and restore both afterwards.

    Both are instance-wide settings: queries that run meanwhile share the cap. They
    are set on a cursor of their own, outside the import's transaction, so they
    are restored even when the import fails.
    """
    with db._write_lock:  # imports run one at a time, so they restore what they found
        yield from _import_settings_locked(db)


def _import_settings_locked(db: Database) -> Iterator[None]:
    cur = db._con.cursor()
    [(limit, order)] = cur.execute(
        "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order')"
    ).fetchall()
    if _size_bytes(str(limit)) > _size_bytes(IMPORT_MEMORY_LIMIT):
        cur.execute("SET memory_limit = ?", [IMPORT_MEMORY_LIMIT])
    cur.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
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


def _fix_line_numbers(
    cur: duckdb.DuckDBPyConnection,
    new_id: int,
    source: CsvSource | ParquetSource | TableSource,
    engine_errors: pd.DataFrame,
    line_map: Callable[[int, list[int]], tuple[list[int], list[int]] | None] | None,
) -> bool:
    """Replace record numbers by physical line numbers where they differ (CSV only).

    Returns whether the stored line numbers are exact.
    """
    if not isinstance(source, CsvSource) or line_map is None:
        return True
    [(records,)] = cur.execute(
        "SELECT count(*) FROM transactions WHERE dataset_id IN (?, ?)", [new_id, -new_id]
    ).fetchall()
    mapping = line_map(int(records), [int(x) for x in engine_errors["source_line"]])
    if mapping is None:
        return True
    record_lines, broken_lines = mapping
    if records != len(record_lines):
        return False
    if len(broken_lines) == len(engine_errors):
        engine_errors["source_line"] = broken_lines
    expected = [source.skip + i + 1 for i in range(len(record_lines))]
    if record_lines == expected:
        return True
    table = pa.table({
        "record_line": pa.array(expected, pa.int64()),
        "physical_line": pa.array(record_lines, pa.int64()),
    })
    cur.register("kam_line_map", table)
    cur.execute(
        "UPDATE transactions SET source_line = m.physical_line FROM kam_line_map m "
        "WHERE transactions.dataset_id IN (?, ?) AND transactions.source_line = m.record_line "
        "AND m.record_line <> m.physical_line",
        [new_id, -new_id],
    )
    cur.unregister("kam_line_map")
    return True


def _import_stats(
    cur: duckdb.DuckDBPyConnection,
    new_id: int,
    engine_errors: pd.DataFrame,
    exact: bool,
    limit: int,
) -> ImportStats:
    staged = dict.fromkeys(_STAGING_STATUSES, (0, 0.0))
    for status, count, total in cur.execute(
        "SELECT category, count(*), coalesce(sum(revenue), 0) FROM transactions "
        "WHERE dataset_id = ? GROUP BY category",
        [-new_id],
    ).fetchall():
        staged[status] = (int(count), float(total))
    [(imported, imported_total)] = cur.execute(
        "SELECT count(*), coalesce(sum(revenue), 0) FROM transactions WHERE dataset_id = ?",
        [new_id],
    ).fetchall()
    rejects = cur.execute(
        "SELECT source_line, document_id AS reason, customer_name AS raw FROM transactions "
        "WHERE dataset_id = ? AND category = 'reject' ORDER BY source_line LIMIT ?",
        [-new_id, limit],
    ).df()
    if len(engine_errors):
        rejects = pd.concat(
            [engine_errors[["source_line", "reason", "raw"]], rejects], ignore_index=True
        ).sort_values("source_line", kind="stable").head(limit).reset_index(drop=True)
    rejected = staged["reject"][0] + len(engine_errors)
    return ImportStats(
        rows_read=int(imported) + rejected + staged["total"][0],
        rows_imported=int(imported),
        rows_rejected=rejected,
        totals_dropped=staged["total"][0],
        blank_rows=staged["blank"][0],
        header_rows=staged["header"][0],
        file_revenue_total=float(imported_total) + staged["reject"][1],
        imported_revenue_total=float(imported_total),
        rejects=rejects,
        line_numbers_exact=exact,
    )


def parquet_preview(path: str, limit: int) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Return the column names and the first ``limit`` rows (as text) of a Parquet file."""
    con = duckdb.connect()
    try:
        rel = con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [path])
        names = [d[0] for d in rel.description]
        rel.fetchall()
        if len(names) > IMPORT_MAX_COLUMNS:
            raise ValueError(f"too many columns ({len(names)})")
        casts = ", ".join(f"CAST(#{i + 1} AS VARCHAR)" for i in range(len(names)))
        rows = con.execute(
            f"SELECT {casts} FROM read_parquet(?) LIMIT ?", [path, int(limit)]  # noqa: S608
        ).fetchall()
    finally:
        con.close()
    return names, rows
