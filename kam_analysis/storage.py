"""All SQL of KAM Analysis: the DuckDB file, its schema, datasets, and every query.

Rules kept in this module:

* every value is a bound parameter (``?``); table and column names come from
  the constants below or from :mod:`kam_analysis.vocabulary`, never from user text;
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
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kam_analysis.vocabulary import FIELD_NAMES

SCHEMA_VERSION = 3

#: Default database file, relative to the project root.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "kam.duckdb"

# Per period unit, the customer_facts columns with history length, active
# periods, and mean / population sd of each measure per period.
_FACT_UNITS: tuple[str, ...] = ("week", "month", "quarter")
_FACT_MEASURES: tuple[str, ...] = ("revenue", "margin", "quantity")
_FACT_PERIOD_COLUMNS_DDL = ",\n            ".join(
    f"periods_{u} BIGINT, active_{u} BIGINT, "
    + ", ".join(f"{m}_mean_{u} DOUBLE, {m}_sd_{u} DOUBLE" for m in _FACT_MEASURES)
    for u in _FACT_UNITS
)

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
    # Version 2: per-customer facts of the default analysis window (the whole
    # dataset, no filters), built at import so the common view needs no
    # aggregation at all. Datasets imported before this version lack them; the
    # engine then computes from sales_daily.
    2: [
        f"""CREATE TABLE IF NOT EXISTS customer_facts (
            dataset_id BIGINT NOT NULL,
            customer_id VARCHAR NOT NULL,
            customer_name VARCHAR,
            region VARCHAR,
            manager VARCHAR,
            first_purchase DATE NOT NULL,
            last_purchase DATE NOT NULL,
            median_gap DOUBLE,
            revenue DOUBLE,
            margin DOUBLE,
            quantity DOUBLE,
            row_count BIGINT NOT NULL,
            id_order BIGINT NOT NULL,
            revenue_last_6m DOUBLE,
            revenue_prev_6m DOUBLE,
            margin_last_6m DOUBLE,
            margin_prev_6m DOUBLE,
            quantity_last_6m DOUBLE,
            quantity_prev_6m DOUBLE,
            {_FACT_PERIOD_COLUMNS_DDL}
        )""",
    ],
    # Version 3: sales_daily loses its category column, so its grain (customer x
    # day x region x manager) has far fewer rows and is built faster; a category
    # filter reads the transactions, as a product filter does. Rows of older
    # datasets stay at the finer grain: every query sums them.
    3: [
        "ALTER TABLE sales_daily DROP COLUMN IF EXISTS category",
    ],
}

# Tables whose rows belong to one dataset (deleted with it).
_DATASET_TABLES: tuple[str, ...] = (
    "transactions",
    "sales_daily",
    "customers",
    "import_rejects",
    "customer_facts",
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
        return dataset_in(cur, name)


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
        info = dataset_in(cur, name)
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
        Canonical rows: columns named after :data:`kam_analysis.vocabulary.FIELD_NAMES`
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
    # From the aggregates just built, not the transactions: same figures, and no
    # distinct count over every row.
    cur.execute(
        """INSERT INTO datasets
           SELECT $id, $name, $source, now()::TIMESTAMP,
                  coalesce(sum(row_count), 0)::BIGINT, count(*),
                  min(first_purchase), max(last_purchase),
                  (SELECT count(margin) > 0 FROM sales_daily WHERE dataset_id = $id),
                  (SELECT count(quantity) > 0 FROM sales_daily WHERE dataset_id = $id),
                  $currency, $summary
           FROM customers WHERE dataset_id = $id""",
        {"id": new_id, "name": name, "source": source, "currency": currency,
         "summary": json.dumps(summary or {}, default=str)},
    )
    return dataset_in(cur, name)


def _build_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build the pre-aggregated tables of one dataset from its transactions."""
    # The dataset id is a bound constant, not a grouping key (one key less to hash).
    cur.execute(
        """INSERT INTO sales_daily
           SELECT $ds, customer_id, order_date, region, manager,
                  sum(revenue), sum(margin), sum(quantity), count(*)
           FROM transactions WHERE dataset_id = $ds
           GROUP BY customer_id, order_date, region, manager""",
        {"ds": dataset_id},
    )
    cur.execute(
        """INSERT INTO customers
           SELECT $ds, customer_id,
                  arg_max(customer_name, order_date) FILTER (WHERE customer_name IS NOT NULL),
                  min(order_date), max(order_date), count(*)
           FROM transactions WHERE dataset_id = $ds
           GROUP BY customer_id""",
        {"ds": dataset_id},
    )
    _build_analysis_aggregates(cur, dataset_id)


def import_rejects(db: Database, name: str) -> pd.DataFrame:
    """Return the rows the import of dataset ``name`` rejected, by source line."""
    with db.read() as cur:
        info = dataset_in(cur, name)
        return cur.execute(
            "SELECT source_line, reason, raw FROM import_rejects "
            "WHERE dataset_id = ? ORDER BY source_line",
            [info.dataset_id],
        ).df()


def _build_analysis_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Build ``customer_facts`` (schema version 2) of one dataset from sales_daily.

    One row per customer with everything the default analysis window (the
    whole dataset, no filters) needs: name, main region and manager, first and
    last purchase, median purchase gap, sums of each measure, each measure in
    the last 6 months and the 6 months before the last date, and for each
    period unit the history length, active periods, mean and population sd.
    The formulas are those of the on-the-fly queries below; everything but the
    main region and manager is computed from per-customer-day sums (``days``),
    so only the summation order differs.
    """
    units = ",".join(_FACT_UNIT_SQL.format(u=u) for u in _FACT_UNITS)
    cur.execute(
        f"""INSERT INTO customer_facts BY NAME
            WITH src AS (
                SELECT customer_id, order_date, region, manager, revenue, margin, quantity,
                       row_count
                FROM sales_daily WHERE dataset_id = $ds
            ),
            days AS MATERIALIZED (
                SELECT customer_id, order_date, sum(revenue) AS revenue, sum(margin) AS margin,
                       sum(quantity) AS quantity, sum(row_count) AS row_count
                FROM src GROUP BY customer_id, order_date
            ),
            bounds AS (SELECT min(order_date) AS first_date, max(order_date) AS end_date
                       FROM days),
            {_MODES_SQL},
            purchase_dates AS (SELECT customer_id, order_date FROM days),
            {_GAPS_MEDIAN_SQL},
            base0 AS (
                SELECT customer_id, min(order_date) AS first_purchase,
                       max(order_date) AS last_purchase, sum(revenue) AS revenue,
                       sum(margin) AS margin, sum(quantity) AS quantity,
                       sum(row_count) AS row_count,
                       {_RECENT_SUM_SQL.format(col="revenue")} AS revenue_last_6m,
                       {_PREVIOUS_SUM_SQL.format(col="revenue")} AS revenue_prev_6m,
                       {_RECENT_SUM_SQL.format(col="margin")} AS margin_last_6m,
                       {_PREVIOUS_SUM_SQL.format(col="margin")} AS margin_prev_6m,
                       {_RECENT_SUM_SQL.format(col="quantity")} AS quantity_last_6m,
                       {_PREVIOUS_SUM_SQL.format(col="quantity")} AS quantity_prev_6m
                FROM days, bounds GROUP BY customer_id
            ),
            base AS (
                SELECT base0.*,
                  date_diff('day', greatest(date_trunc('week', first_date),
                                            date_trunc('week', first_purchase)),
                            date_trunc('week', end_date)) // 7 + 1 AS n_week,
                  date_diff('month', greatest(date_trunc('month', first_date),
                                              date_trunc('month', first_purchase)),
                            date_trunc('month', end_date)) + 1 AS n_month,
                  date_diff('quarter', greatest(date_trunc('quarter', first_date),
                                                date_trunc('quarter', first_purchase)),
                            date_trunc('quarter', end_date)) + 1 AS n_quarter
                FROM base0, bounds
            ),
            {units}
            SELECT $ds AS dataset_id, b.customer_id, c.customer_name, rg.region, mg.manager,
                   b.first_purchase, b.last_purchase, gp.median_gap, b.revenue, b.margin,
                   b.quantity, b.row_count,
                   row_number() OVER (ORDER BY b.customer_id) AS id_order,
                   b.revenue_last_6m, b.revenue_prev_6m,
                   b.margin_last_6m, b.margin_prev_6m, b.quantity_last_6m, b.quantity_prev_6m,
                   sd_week.* EXCLUDE (customer_id), sd_month.* EXCLUDE (customer_id),
                   sd_quarter.* EXCLUDE (customer_id)
            FROM base b
            LEFT JOIN (SELECT customer_id, customer_name FROM customers WHERE dataset_id = $ds) c
                USING (customer_id)
            LEFT JOIN region_mode rg USING (customer_id)
            LEFT JOIN manager_mode mg USING (customer_id)
            LEFT JOIN gaps_median gp USING (customer_id)
            JOIN sd_week USING (customer_id)
            JOIN sd_month USING (customer_id)
            JOIN sd_quarter USING (customer_id)""",  # noqa: S608 - constant identifiers only
        {"ds": dataset_id, "start": date.min, "end": date.max},
    )


def _zero_padded_sd_sql(n: str, k: str, mean: str, var: str) -> str:
    """SQL for the population sd over ``n`` periods, ``k`` of them with values.

    ``mean`` and ``var`` are the mean and population variance of the ``k``
    values; the other ``n - k`` periods are zero. The two groups are combined
    with Chan et al.'s pairwise formula (sum of squares = k * var +
    k * (n - k) / n * mean^2), which is as stable as the two-pass one but needs
    one aggregation instead of a second join over the periods. The arguments
    are column names (constants).
    """
    return (f"sqrt(greatest((coalesce({k} * {var}, 0) "
            f"+ coalesce({k} * ({n} - {k}) * {mean} ^ 2 / {n}, 0)) / {n}, 0))")


# Per period unit u (a constant of _FACT_UNITS): per-period sums, then mean and
# population sd over the customer's history (zero periods included).
_FACT_UNIT_SQL = """
    per_{u} AS (
        SELECT customer_id, date_trunc('{u}', order_date)::DATE AS p,
               coalesce(sum(revenue), 0) AS r, coalesce(sum(margin), 0) AS m,
               coalesce(sum(quantity), 0) AS q
        FROM days GROUP BY ALL
    ),
    mom_{u} AS (
        SELECT customer_id, count(*) AS k,
               sum(r) AS sr, avg(r) AS ar, var_pop(r) AS vr,
               sum(m) AS sm, avg(m) AS am, var_pop(m) AS vm,
               sum(q) AS sq, avg(q) AS aq, var_pop(q) AS vq
        FROM per_{u} GROUP BY customer_id
    ),
    sd_{u} AS (
        SELECT b.customer_id, b.n_{u} AS periods_{u}, coalesce(o.k, 0) AS active_{u},
               coalesce(o.sr, 0) / b.n_{u} AS revenue_mean_{u},
               """ + _zero_padded_sd_sql("b.n_{u}", "o.k", "o.ar", "o.vr") + """ AS revenue_sd_{u},
               coalesce(o.sm, 0) / b.n_{u} AS margin_mean_{u},
               """ + _zero_padded_sd_sql("b.n_{u}", "o.k", "o.am", "o.vm") + """ AS margin_sd_{u},
               coalesce(o.sq, 0) / b.n_{u} AS quantity_mean_{u},
               """ + _zero_padded_sd_sql("b.n_{u}", "o.k", "o.aq", "o.vq") + """ AS quantity_sd_{u}
        FROM base b LEFT JOIN mom_{u} o USING (customer_id)
    )"""  # noqa: S608 - constant SQL fragments only


# ---- Analysis queries ----
#
# The analysis engine (kam_analysis.analysis) calls these with the cursor of
# its one db.read() snapshot. Measures and period units are validated here
# against constants; every value is a bound (named) parameter.

_PERIOD_UNITS: tuple[str, ...] = ("week", "month", "quarter")

# Region and manager filters, on the pre-aggregated customer-by-day table (which
# has no product or category column: those filters read the transactions instead).
_DAILY_FILTERS_SQL = """
      AND (len($regions::VARCHAR[]) = 0 OR list_contains($regions::VARCHAR[], region))
      AND (len($managers::VARCHAR[]) = 0 OR list_contains($managers::VARCHAR[], manager))"""

# All filters but product, on the transactions.
_FILTERS_SQL = _DAILY_FILTERS_SQL + """
      AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], category))"""

_SRC_DAILY_SQL = "".join((
    """SELECT customer_id, order_date, region, manager, revenue, margin, quantity, row_count
       FROM sales_daily WHERE dataset_id = $ds AND len($products::VARCHAR[]) = 0
         AND len($categories::VARCHAR[]) = 0""",
    _DAILY_FILTERS_SQL,
))

_SRC_TRANSACTIONS_SQL = "".join((
    """SELECT customer_id, order_date, region, manager, revenue, margin, quantity,
              1 AS row_count
       FROM transactions WHERE dataset_id = $ds
         AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product))""",
    _FILTERS_SQL,
))

# Main region / manager (most rows, ties by name) in [$start, $end], and the
# median days between consecutive distinct purchase dates up to $end. Needs a
# CTE ``src`` with the filtered rows of the whole dataset.
_MODES_SQL = """
    region_rows AS (
        SELECT customer_id, region, sum(row_count) AS n FROM src
        WHERE region IS NOT NULL AND order_date BETWEEN $start AND $end
        GROUP BY ALL
    ),
    region_mode AS (
        SELECT customer_id, first(region ORDER BY n DESC, region) AS region
        FROM region_rows GROUP BY customer_id
    ),
    manager_rows AS (
        SELECT customer_id, manager, sum(row_count) AS n FROM src
        WHERE manager IS NOT NULL AND order_date BETWEEN $start AND $end
        GROUP BY ALL
    ),
    manager_mode AS (
        SELECT customer_id, first(manager ORDER BY n DESC, manager) AS manager
        FROM manager_rows GROUP BY customer_id
    )"""

# Median days between consecutive purchase dates, from a CTE ``purchase_dates``
# with one row per customer and purchase date.
_GAPS_MEDIAN_SQL = """
    gaps AS (
        SELECT customer_id,
               date_diff('day', lag(order_date) OVER (PARTITION BY customer_id
                                                     ORDER BY order_date), order_date) AS gap
        FROM purchase_dates
    ),
    gaps_median AS (
        SELECT customer_id, median(gap)::DOUBLE AS median_gap FROM gaps
        WHERE gap IS NOT NULL GROUP BY customer_id
    )"""

# The same from the purchase dates up to $end (needs ``src``).
_GAPS_SQL = """
    purchase_dates AS (
        SELECT DISTINCT customer_id, order_date FROM src WHERE order_date <= $end
    ),""" + _GAPS_MEDIAN_SQL  # noqa: S608 - constant SQL fragments only

_GAPS_FROM_FACTS_SQL = """
    gaps_median AS (
        SELECT customer_id, median_gap FROM customer_facts WHERE dataset_id = $ds
    )"""

# Sum of a measure in the 6 months up to end_date, and in the 6 months before.
_RECENT_SUM_SQL = (
    "coalesce(sum({col}) FILTER (WHERE order_date > end_date - INTERVAL 6 MONTH "
    "AND order_date <= end_date), 0)"
)
_PREVIOUS_SUM_SQL = (
    "coalesce(sum({col}) FILTER (WHERE order_date > end_date - INTERVAL 12 MONTH "
    "AND order_date <= end_date - INTERVAL 6 MONTH), 0)"
)

# Per-customer history length, mean, population sd and active periods from
# ``facts`` (one row per customer with first_purchase) and ``per`` (value v of
# each period of the window that has rows).
_HISTORY_SQL = """
    hist AS (
        SELECT f.*,
               greatest(date_trunc($unit, $start::DATE),
                        date_trunc($unit, f.first_purchase))::DATE AS hist_start,
               date_trunc($unit, $end::DATE)::DATE AS last_period
        FROM facts f
    ),
    hist_periods AS (
        SELECT hist.*,
               (CASE $unit
                  WHEN 'week' THEN date_diff('day', hist_start, last_period) // 7
                  WHEN 'month' THEN date_diff('month', hist_start, last_period)
                  ELSE date_diff('quarter', hist_start, last_period) END) + 1 AS periods
        FROM hist
    ),
    per_sum AS (
        SELECT customer_id, sum(coalesce(v, 0)) AS s, count(*) AS active,
               avg(coalesce(v, 0)) AS active_mean, var_pop(coalesce(v, 0)) AS active_var
        FROM per GROUP BY customer_id
    ),
    moments AS (
        SELECT h.customer_id, h.periods, coalesce(ps.active, 0) AS active,
               coalesce(ps.s, 0) / h.periods AS mean,
               """ + _zero_padded_sd_sql(  # noqa: S608 - constant SQL fragments only
                   "h.periods", "ps.active", "ps.active_mean", "ps.active_var") + """ AS sd
        FROM hist_periods h LEFT JOIN per_sum ps USING (customer_id)
    )
    SELECT h.customer_id, c.customer_name, h.region, h.manager,
           coalesce(h.value, 0) AS value, coalesce(h.revenue, 0) AS revenue,
           coalesce(h.margin, 0) AS margin, h.rows,
           row_number() OVER (ORDER BY h.customer_id) AS id_order,
           h.first_purchase, h.last_purchase, h.periods,
           m.active AS active_periods, m.mean, m.sd,
           h.median_gap, h.value_last_6m, h.value_prev_6m
    FROM hist_periods h
    JOIN moments m USING (customer_id)
    LEFT JOIN customers c ON c.dataset_id = $ds AND c.customer_id = h.customer_id"""

_CUSTOMER_STATS_GENERAL_SQL = """
    facts_raw AS (
        SELECT customer_id,
               min(order_date) AS first_purchase,
               max(order_date) FILTER (WHERE order_date <= $end) AS last_purchase,
               sum({col}) FILTER (WHERE order_date BETWEEN $start AND $end) AS value,
               sum(revenue) FILTER (WHERE order_date BETWEEN $start AND $end) AS revenue,
               sum(margin) FILTER (WHERE order_date BETWEEN $start AND $end) AS margin,
               sum(row_count) FILTER (WHERE order_date BETWEEN $start AND $end) AS rows,
               {recent} AS value_last_6m,
               {previous} AS value_prev_6m
        FROM src, (SELECT $end::DATE AS end_date) e
        GROUP BY customer_id
        HAVING count(*) FILTER (WHERE order_date BETWEEN $start AND $end) > 0
    ),
    facts AS (
        SELECT f.*, rg.region, mg.manager, gp.median_gap
        FROM facts_raw f
        LEFT JOIN region_mode rg USING (customer_id)
        LEFT JOIN manager_mode mg USING (customer_id)
        LEFT JOIN gaps_median gp USING (customer_id)
    ),
    per AS (
        SELECT customer_id, date_trunc($unit, order_date)::DATE AS period, sum({col}) AS v
        FROM src WHERE order_date BETWEEN $start AND $end GROUP BY ALL
    ),"""

# Default window (the whole dataset), no filters: read customer_facts. {col}
# is a measure column and {unit} a period unit, both validated constants.
_CUSTOMER_STATS_FAST_SQL = """
    SELECT customer_id, customer_name, region, manager, coalesce({col}, 0) AS value,
           coalesce(revenue, 0) AS revenue, coalesce(margin, 0) AS margin,
           row_count AS rows, id_order, first_purchase, last_purchase,
           periods_{unit} AS periods,
           active_{unit} AS active_periods, {col}_mean_{unit} AS mean, {col}_sd_{unit} AS sd,
           median_gap, {col}_last_6m AS value_last_6m, {col}_prev_6m AS value_prev_6m
    FROM customer_facts WHERE dataset_id = $ds"""

_MEASURE_COLUMNS: dict[str, str] = {"revenue": "revenue", "margin": "margin",
                                    "quantity": "quantity"}


def _measure_column(measure: str) -> str:
    try:
        return _MEASURE_COLUMNS[measure]
    except KeyError:
        raise ValueError(
            f"Unknown measure {measure!r}; use one of {', '.join(_MEASURE_COLUMNS)}."
        ) from None


def _period_unit(period: str) -> str:
    if period not in _PERIOD_UNITS:
        raise ValueError(f"Unknown period {period!r}; use one of {', '.join(_PERIOD_UNITS)}.")
    return period


def _filter_params(filters: dict[str, Iterable[str]] | None) -> dict[str, list[str]]:
    filters = filters or {}
    return {
        key: [str(v) for v in filters.get(field, ())]
        for key, field in (("regions", "region"), ("managers", "manager"),
                           ("categories", "category"), ("products", "product"))
    }


def _source_sql(params: dict[str, Any]) -> str:
    if params["products"] or params["categories"]:
        return _SRC_TRANSACTIONS_SQL
    return _SRC_DAILY_SQL


def dataset_in(cur: duckdb.DuckDBPyConnection, name: str) -> DatasetInfo:
    """Return dataset ``name`` read with ``cur`` (inside the caller's snapshot).

    Raises
    ------
    DatasetNotFoundError
        If there is no such dataset.
    """
    # fetchall (not fetchone) so the cursor has no unfinished result afterwards.
    rows = cur.execute(
        f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE name = ?",  # noqa: S608 - constant columns
        [name],
    ).fetchall()
    if not rows:
        raise DatasetNotFoundError(f"There is no dataset called {name!r}.")
    return _dataset_from_row(rows[0])


def has_analysis_aggregates(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> bool:
    """Whether the dataset has the version-2 pre-aggregated tables (imported since v2)."""
    rows = cur.execute(
        "SELECT 1 FROM customer_facts WHERE dataset_id = ? LIMIT 1", [dataset_id]
    ).fetchall()
    return bool(rows)


def analysis_customer_stats(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    measure: str,
    start: date,
    end: date,
    period: str,
    filters: dict[str, Iterable[str]] | None = None,
    *,
    precomputed: bool = False,
    precomputed_gaps: bool = False,
) -> pa.Table:
    """Per-customer figures of one analysis window, one row per customer with rows in it.

    Parameters
    ----------
    cur : DuckDB cursor
        Cursor of the caller's read snapshot.
    dataset_id : int
        Dataset.
    measure : {"revenue", "margin", "quantity"}
        Measure summed into ``value``.
    start, end : date
        Inclusive window.
    period : {"week", "month", "quarter"}
        XYZ period granularity.
    filters : dict, optional
        ``region``/``manager``/``category``/``product`` -> allowed values.
    precomputed : bool
        Read ``customer_facts`` (valid only for the whole dataset as window,
        that is start <= first date and end == last date, and no filters).
    precomputed_gaps : bool
        Take the median purchase gap from ``customer_facts`` (valid when there
        are no filters and end == the dataset's last date, whatever the start).

    Returns
    -------
    pyarrow.Table
        customer_id, customer_name, region, manager, value, revenue, margin,
        rows, id_order (1-based position in customer_id text order),
        first_purchase, last_purchase, periods, active_periods, mean, sd,
        median_gap, value_last_6m, value_prev_6m.
    """
    col = _measure_column(measure)
    unit = _period_unit(period)
    params: dict[str, Any] = {"ds": dataset_id, "start": start, "end": end, "unit": unit}
    if precomputed:
        sql = _CUSTOMER_STATS_FAST_SQL.format(col=col, unit=unit)
        return cur.sql(sql, params={"ds": dataset_id}).to_arrow_table()
    else:
        params.update(_filter_params(filters))
        src = _source_sql(params)
        body = _CUSTOMER_STATS_GENERAL_SQL.format(
            col=col,
            recent=_RECENT_SUM_SQL.format(col=col),
            previous=_PREVIOUS_SUM_SQL.format(col=col),
        )
        gaps = _GAPS_FROM_FACTS_SQL if precomputed_gaps else _GAPS_SQL
        sql = f"WITH src AS ({src}), {_MODES_SQL}, {gaps}, {body}" + _HISTORY_SQL
    return cur.sql(sql, params=params).to_arrow_table()


def analysis_period_values(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    measure: str,
    start: date,
    end: date,
    period: str,
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Value of every customer in every period of [start, end] that has rows.

    Returns
    -------
    DataFrame
        customer_id, period (date of period start), value.
    """
    col = _measure_column(measure)
    params: dict[str, Any] = {"ds": dataset_id, "start": start, "end": end,
                              "unit": _period_unit(period), **_filter_params(filters)}
    src = _source_sql(params)
    return cur.execute(
        f"""WITH src AS ({src})
            SELECT customer_id, date_trunc($unit, order_date)::DATE AS period,
                   coalesce(sum({col}), 0) AS value
            FROM src WHERE order_date BETWEEN $start AND $end
            GROUP BY ALL ORDER BY period, customer_id""",  # noqa: S608 - constant identifiers only
        params,
    ).df()


def analysis_two_windows(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    measure: str,
    first: tuple[date, date],
    second: tuple[date, date],
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Each customer's value and row count in two windows (customers with rows in either).

    Returns
    -------
    DataFrame
        customer_id, customer_name, value_first, rows_first, value_second, rows_second.
    """
    col = _measure_column(measure)
    params: dict[str, Any] = {"ds": dataset_id, "s1": first[0], "e1": first[1],
                              "s2": second[0], "e2": second[1], **_filter_params(filters)}
    src = _source_sql(params)
    return cur.execute(
        f"""WITH src AS ({src}),
            w AS (
                SELECT customer_id,
                       coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s1 AND $e1), 0)
                           AS value_first,
                       coalesce(sum(row_count) FILTER (WHERE order_date BETWEEN $s1 AND $e1), 0)
                           AS rows_first,
                       coalesce(sum({col}) FILTER (WHERE order_date BETWEEN $s2 AND $e2), 0)
                           AS value_second,
                       coalesce(sum(row_count) FILTER (WHERE order_date BETWEEN $s2 AND $e2), 0)
                           AS rows_second
                FROM src
                WHERE order_date BETWEEN $s1 AND $e1 OR order_date BETWEEN $s2 AND $e2
                GROUP BY customer_id
            )
            SELECT w.customer_id, c.customer_name, w.value_first, w.rows_first,
                   w.value_second, w.rows_second
            FROM w LEFT JOIN customers c ON c.dataset_id = $ds AND c.customer_id = w.customer_id
            ORDER BY w.customer_id""",  # noqa: S608 - constant identifiers only
        params,
    ).df()


def analysis_revenue_margin(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    start: date,
    end: date,
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Each customer's revenue and margin in [start, end] (customers with rows in it).

    Returns
    -------
    DataFrame
        customer_id, revenue, margin.
    """
    params: dict[str, Any] = {"ds": dataset_id, "start": start, "end": end,
                              **_filter_params(filters)}
    src = _source_sql(params)
    return cur.execute(
        f"""WITH src AS ({src})
            SELECT customer_id, coalesce(sum(revenue), 0) AS revenue,
                   coalesce(sum(margin), 0) AS margin
            FROM src WHERE order_date BETWEEN $start AND $end
            GROUP BY customer_id ORDER BY customer_id""",  # noqa: S608 - constant identifiers only
        params,
    ).df()


def customer_period_values(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    customer_id: str,
    start: date,
    end: date,
    period: str,
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """One customer's sums per period of [start, end] (periods with rows only).

    Returns
    -------
    DataFrame
        period, revenue, margin, quantity, rows.
    """
    params: dict[str, Any] = {"ds": dataset_id, "start": start, "end": end, "cid": customer_id,
                              "unit": _period_unit(period), **_filter_params(filters)}
    src = _source_sql(params)
    return cur.execute(
        f"""WITH src AS ({src})
            SELECT date_trunc($unit, order_date)::DATE AS period, sum(revenue) AS revenue,
                   sum(margin) AS margin, sum(quantity) AS quantity, sum(row_count) AS rows
            FROM src WHERE customer_id = $cid AND order_date BETWEEN $start AND $end
            GROUP BY ALL ORDER BY period""",  # noqa: S608 - constant identifiers only
        params,
    ).df()


def customer_product_values(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    customer_id: str,
    measure: str,
    start: date,
    end: date,
    filters: dict[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """One customer's products in [start, end], by value descending.

    Returns
    -------
    DataFrame
        category, product, value, quantity, rows, last_purchase.
    """
    col = _measure_column(measure)
    params: dict[str, Any] = {"ds": dataset_id, "start": start, "end": end, "cid": customer_id,
                              **_filter_params(filters)}
    return cur.execute(
        f"""SELECT category, product, coalesce(sum({col}), 0) AS value,
                   sum(quantity) AS quantity, count(*) AS rows,
                   max(order_date) AS last_purchase
            FROM transactions
            WHERE dataset_id = $ds AND customer_id = $cid AND order_date BETWEEN $start AND $end
              AND (len($products::VARCHAR[]) = 0 OR list_contains($products::VARCHAR[], product))
              {_FILTERS_SQL}
            GROUP BY ALL
            ORDER BY value DESC, category NULLS LAST, product NULLS LAST""",  # noqa: S608 - constant identifiers only
        params,
    ).df()


_FILTER_VALUE_COLUMNS: tuple[str, ...] = ("region", "manager", "category", "product")


def distinct_filter_values(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, list[str]]:
    """Sorted distinct non-null region, manager, category and product values of a dataset."""
    result: dict[str, list[str]] = {}
    for column in _FILTER_VALUE_COLUMNS:
        rows = cur.execute(
            f"SELECT DISTINCT {column} FROM transactions "  # noqa: S608 - constant column
            f"WHERE dataset_id = ? AND {column} IS NOT NULL ORDER BY 1",
            [dataset_id],
        ).fetchall()
        result[column] = [r[0] for r in rows]
    return result


def account_tags(db: Database) -> dict[str, tuple[str, ...]]:
    """Return customer_id -> hand-set account tags (sorted)."""
    with db.read() as cur:
        return account_tags_in(cur)


def account_tags_in(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Like :func:`account_tags`, inside the caller's read snapshot."""
    rows = cur.execute(
        "SELECT customer_id, list(tag ORDER BY tag) FROM account_tags GROUP BY customer_id"
    ).fetchall()
    return {cid: tuple(tags) for cid, tags in rows}


def replace_account_tags(db: Database, customer_id: str, tags: Iterable[str]) -> None:
    """Set the hand-set tags of one customer (replacing earlier ones) in one transaction."""
    with db.write() as cur:
        cur.execute("DELETE FROM account_tags WHERE customer_id = ?", [customer_id])
        for tag in sorted(set(tags)):
            cur.execute("INSERT INTO account_tags VALUES (?, ?)", [customer_id, tag])


def create_synthetic_dataset(
    db: Database,
    name: str,
    *,
    rows: int,
    customers: int,
    first_date: date,
    days: int,
    seed: int = 1,
) -> DatasetInfo:
    """Generate a large synthetic dataset directly in DuckDB (for benchmarks).

    Invoices of 4 lines share a customer and a date; customer sizes follow a
    steep power law (a few large accounts, a long tail); 1 % of lines are
    returns. Aggregates are built exactly as an import builds them. Replaces
    any dataset of that name, in one transaction.
    """
    name = validate_dataset_name(name)
    if rows < 1 or customers < 1 or days < 1:
        raise ValueError("rows, customers and days must be at least 1.")
    with db.write() as cur:
        [(new_id,)] = cur.execute("SELECT nextval('dataset_id_seq')").fetchall()
        cur.execute(
            """INSERT INTO transactions
               WITH base AS (
                   SELECT i, i // 4 AS doc,
                          (hash(i // 4, $seed, 1) % 1000003) / 1000003.0 AS u_cust,
                          (hash(i // 4, $seed, 2) % 1000003) / 1000003.0 AS u_day,
                          (hash(i, $seed, 3) % 1000003) / 1000003.0 AS u_amount,
                          hash(i, $seed, 4) % 100 AS r_return,
                          hash(i, $seed, 5) % 6 AS r_category,
                          hash(i, $seed, 6) % 5 AS r_product
                   FROM range($rows) t(i)
               ),
               shaped AS (
                   SELECT *, least(floor($customers * pow(u_cust, 4.0))::BIGINT,
                                   $customers - 1) AS cust
                   FROM base
               ),
               sized AS (
                   -- Larger accounts also buy more per line.
                   SELECT *, pow($customers / (cust + 1.0), 0.2) AS size FROM shaped
               )
               SELECT $ds, i + 2,
                      'C' || lpad(cust::VARCHAR, 7, '0'),
                      'Customer ' || cust::VARCHAR,
                      ($first::DATE + (floor(u_day * $days))::INTEGER)::DATE,
                      (CASE WHEN r_return = 0 THEN -1 ELSE 1 END)
                          * round((5 + 2000 * pow(u_amount, 3)) * size, 2),
                      (CASE WHEN r_return = 0 THEN -1 ELSE 1 END)
                          * round((5 + 2000 * pow(u_amount, 3)) * size
                                  * (0.15 + r_category * 0.04), 2),
                      1 + r_product,
                      'Product ' || (r_category * 5 + r_product)::VARCHAR,
                      'Category ' || r_category::VARCHAR,
                      'Region ' || (hash(cust, $seed, 7) % 5)::VARCHAR,
                      'Manager ' || (hash(cust, $seed, 8) % 12)::VARCHAR,
                      'INV-' || doc::VARCHAR
               FROM sized""",
            {"ds": new_id, "seed": seed, "rows": rows, "customers": customers,
             "first": first_date, "days": days},
        )
        _build_aggregates(cur, new_id)
        old = cur.execute("SELECT dataset_id FROM datasets WHERE name = ?", [name]).fetchall()
        for (old_id,) in old:
            _delete_dataset_rows(cur, old_id)
        cur.execute(
            """INSERT INTO datasets
               SELECT ?, ?, 'synthetic', now()::TIMESTAMP, count(*), count(DISTINCT customer_id),
                      min(order_date), max(order_date), true, true, NULL, '{}'
               FROM transactions WHERE dataset_id = ?""",
            [new_id, name, new_id],
        )
        info = dataset_in(cur, name)
    db.checkpoint()
    return info


# ---- Dossier queries ----
# Account dossiers are kept per customer id, independent of datasets, so they
# survive re-imports and dataset replacement.

_DOSSIER_COLUMNS = (
    "customer_id, general, decision_makers, competitors, next_review, next_steps, "
    "updated_at, updated_by"
)


def dossier_row(db: Database, customer_id: str) -> tuple[Any, ...] | None:
    """Return the stored dossier row of ``customer_id`` (columns as in the table) or None."""
    with db.read() as cur:
        rows = cur.execute(
            f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE customer_id = ?",  # noqa: S608
            [customer_id],
        ).fetchall()
    return rows[0] if rows else None


def upsert_dossier(
    db: Database,
    customer_id: str,
    general: str | None,
    decision_makers: str | None,
    competitors: str | None,
    next_review: date | None,
    next_steps: str | None,
    updated_by: str | None,
) -> datetime:
    """Insert or replace the dossier of ``customer_id``; return the stored ``updated_at``."""
    with db.write() as cur:
        cur.execute(
            """INSERT INTO dossiers
               VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)
               ON CONFLICT (customer_id) DO UPDATE SET
                   general = excluded.general,
                   decision_makers = excluded.decision_makers,
                   competitors = excluded.competitors,
                   next_review = excluded.next_review,
                   next_steps = excluded.next_steps,
                   updated_at = excluded.updated_at,
                   updated_by = excluded.updated_by""",
            [customer_id, general, decision_makers, competitors, next_review, next_steps,
             updated_by],
        )
        [(updated_at,)] = cur.execute(
            "SELECT updated_at FROM dossiers WHERE customer_id = ?", [customer_id]
        ).fetchall()
    db.checkpoint()
    return updated_at


def insert_dossier_event(
    db: Database, customer_id: str, event_date: date, kind: str, note: str | None
) -> None:
    """Append one relationship-history event to the dossier of ``customer_id``."""
    with db.write() as cur:
        cur.execute(
            "INSERT INTO dossier_events VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
            [customer_id, event_date, kind, note],
        )
    db.checkpoint()


def dossier_events(db: Database, customer_id: str) -> pd.DataFrame:
    """Return the events of ``customer_id``, newest first.

    Columns: ``event_date, kind, note, created_at``.
    """
    with db.read() as cur:
        return cur.execute(
            "SELECT event_date, kind, note, created_at FROM dossier_events "
            "WHERE customer_id = ? ORDER BY event_date DESC, created_at DESC",
            [customer_id],
        ).df()
