"""A dataset whose tables were built elsewhere (on Spark, :mod:`kam_analysis.spark`):
draw its id, learn the columns of a target table, and land the finished tables
with the same atomic swap as a DuckDB import (:func:`kam_analysis.db.datasets.swap_in_dataset`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from kam_analysis.db.aggregates import stored_tables
from kam_analysis.db.connection import Database
from kam_analysis.db.datasets import DatasetInfo, swap_in_dataset, validate_dataset_name
from kam_analysis.db.import_session import import_session
from kam_analysis.db.staging import new_dataset_id

#: The tables a landed dataset may fill: the transactions and every aggregate
#: (target names come from constant SQL only).
LANDING_TABLES: tuple[str, ...] = ("transactions", *stored_tables())

# The transactions a dataset built on Spark keeps in DuckDB: one row per customer,
# day, name, product, category, region and manager (summed, with the number of rows
# summed), for the day-by-day figures, the product views and the category and
# product filters. The aggregates are built from every row.
COMPACT_TRANSACTIONS_SQL = """INSERT INTO transactions BY NAME
    SELECT $ds AS dataset_id, customer_id, customer_name, order_date, product, category,
           region, manager, sum(revenue) AS revenue, sum(margin) AS margin,
           sum(quantity) AS quantity, count(*) AS row_count
    FROM transactions WHERE dataset_id = $ds
    GROUP BY customer_id, customer_name, order_date, product, category, region, manager"""


def draw_dataset_id(db: Database) -> int:
    """Draw the id of a dataset that is built outside DuckDB (committed at once; an
    import that fails afterwards leaves only a gap in the ids)."""
    with db.write() as cur:
        return new_dataset_id(cur)


def table_columns(db: Database, table: str) -> list[str]:
    """The columns of one of :data:`LANDING_TABLES`, in table order."""
    if table not in LANDING_TABLES:
        raise ValueError(f"{table!r} is not a table a dataset can land in")
    with db.read() as cur:
        rows = cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    return [r[0] for r in rows]


def land_dataset(
    db: Database,
    new_id: int,
    name: str,
    tables: list[tuple[str, pa.Table]],
    rejects: pd.DataFrame,
    *,
    source: str | None,
    summary: dict[str, Any],
    currency: str | None,
) -> DatasetInfo:
    """Store finished tables as dataset ``name`` in one transaction and swap it in.

    Parameters
    ----------
    db : Database
        Target database.
    new_id : int
        From :func:`draw_dataset_id`; every row's ``dataset_id`` must be it.
    name : str
        Dataset name (any older dataset of that name is replaced atomically).
    tables : list of (table, Arrow table)
        Rows per target table, columns named as the table's (inserted by name).
    rejects : DataFrame
        ``source_line, reason, raw`` of every rejected row.
    source, summary, currency
        As :func:`kam_analysis.db.datasets.replace_dataset`.

    Returns
    -------
    DatasetInfo
        The new dataset; if anything fails, nothing is written.
    """
    name = validate_dataset_name(name)
    with import_session(db):
        with db.write() as cur:
            for table, rows in tables:
                if table not in LANDING_TABLES:
                    raise ValueError(f"{table!r} is not a table a dataset can land in")
                cur.register("kam_landing", rows)
                cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM kam_landing")  # noqa: S608
                cur.unregister("kam_landing")
            if len(rejects):
                cur.register("kam_landing_rejects", rejects[["source_line", "reason", "raw"]])
                cur.execute("INSERT INTO import_rejects SELECT ?, source_line, reason, raw "
                            "FROM kam_landing_rejects", [new_id])
                cur.unregister("kam_landing_rejects")
            info = swap_in_dataset(cur, new_id, name, source, summary, currency,
                                   aggregate=False)
        db.checkpoint()
    return info
