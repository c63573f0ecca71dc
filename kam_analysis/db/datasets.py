"""Datasets: list, get, validate, delete, store one, and the atomic swap.

A dataset is stored in one write transaction: its transactions, its rejected
rows, the pre-computed tables (:mod:`kam_analysis.db.aggregates`), and its row
in ``datasets``. :func:`swap_in_dataset` is the one place where a new dataset
takes a name, deleting any older dataset of that name in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kam_analysis.db.aggregates import build_aggregates
from kam_analysis.db.connection import Database
from kam_analysis.db.errors import DatasetNotFoundError
from kam_analysis.vocabulary import FIELD_NAMES

# Tables whose rows belong to one dataset (deleted with it).
_DATASET_TABLES: tuple[str, ...] = (
    "transactions",
    "sales_monthly",
    "customers",
    "import_rejects",
    "customer_facts",
)



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
    """Delete the dataset called ``name`` and all its rows (raises
    :class:`DatasetNotFoundError` as :func:`get_dataset` does)."""
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
        info = swap_in_dataset(cur, new_id, name, source, summary, currency)
    db.checkpoint()
    return info


def swap_in_dataset(
    cur: duckdb.DuckDBPyConnection,
    new_id: int,
    name: str,
    source: str | None,
    summary: dict[str, Any] | None,
    currency: str | None,
    *,
    aggregate: bool = True,
) -> DatasetInfo:
    """Aggregate the stored transactions of ``new_id`` and make it dataset ``name``.

    Runs inside the caller's write transaction: any older dataset of that name
    is deleted in the same transaction, so the swap is atomic. With ``aggregate``
    False the aggregates are already stored (built on Spark: :mod:`kam_analysis.db.landing`).
    """
    if aggregate:
        build_aggregates(cur, new_id)
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
                  (SELECT count(margin) > 0 FROM sales_monthly WHERE dataset_id = $id),
                  (SELECT count(quantity) > 0 FROM sales_monthly WHERE dataset_id = $id),
                  $currency, $summary
           FROM customers WHERE dataset_id = $id""",
        {"id": new_id, "name": name, "source": source, "currency": currency,
         "summary": json.dumps(summary or {}, default=str)},
    )
    return dataset_in(cur, name)



def import_rejects(db: Database, name: str) -> pd.DataFrame:
    """Return the rows the import of dataset ``name`` rejected, by source line."""
    with db.read() as cur:
        info = dataset_in(cur, name)
        return cur.execute(
            "SELECT source_line, reason, raw FROM import_rejects "
            "WHERE dataset_id = ? ORDER BY source_line",
            [info.dataset_id],
        ).df()



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
