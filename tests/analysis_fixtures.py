"""Helpers for the analysis tests: small hand-made datasets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from kam_analysis.db import (
    SCHEMA_VERSION,
    Database,
    DatasetInfo,
    open_database,
    replace_dataset,
    schema_version,
)

COLUMNS = ("customer_id", "order_date", "revenue", "margin", "region", "manager", "category",
           "product", "quantity")


def frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """Rows as (customer_id, date, revenue[, margin[, region[, manager[, category[, product
    [, quantity]]]]]]); missing trailing fields are None."""
    padded = [tuple(r) + (None,) * (len(COLUMNS) - len(r)) for r in rows]
    df = pd.DataFrame(padded, columns=list(COLUMNS))
    df["customer_name"] = "Name " + df["customer_id"].astype(str)
    df["source_line"] = range(2, len(df) + 2)
    df["revenue"] = df["revenue"].astype(float)
    df["margin"] = df["margin"].astype(float)
    df["quantity"] = df["quantity"].astype(float)
    return df


def store(db: Database, rows: Sequence[tuple] | pd.DataFrame, name: str = "t") -> DatasetInfo:
    df = rows if isinstance(rows, pd.DataFrame) else frame(rows)
    keep = [c for c in df.columns if not df[c].isna().all() or c in ("revenue",)]
    return replace_dataset(db, name, [df[keep]])


def d(text: str) -> date:
    return date.fromisoformat(text)


# The portfolio of tests/test_analysis_core.py: values 50, 20, 20 (tie), 5, 5, 0 (returns
# netting to zero), -3 in 2024 (window 2024-01-01 .. 2024-12-31).
PORTFOLIO = [
    ("A1", d("2024-01-10"), 30, 3, "South", "Ann"),
    ("A1", d("2024-06-10"), 20, 2, "North", "Ann"),
    ("C3", d("2024-03-01"), 20, 1.5, "East", "Bob"),
    ("B2", d("2024-02-01"), 20, 10, "East", "Bob"),
    ("D4", d("2024-11-01"), 5, 1, "West", "Cid"),
    ("E5", d("2024-04-01"), 5, 1, "West", "Cid"),
    ("F6", d("2024-05-01"), 10, 1, "West", "Cid"),
    ("F6", d("2024-05-20"), -10, -1, "West", "Cid"),
    ("G7", d("2024-12-31"), -3, -0.3, "West", "Cid"),
]


def reopened_as_version(db: Database, path: Path, version: int) -> Database:
    """Mark the file ``path`` of ``db`` as written by schema ``version``, close it and
    open it again, so that the migrations since run; return the new handle."""
    with db.write() as cur:
        cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    db.close()
    db = open_database(path)
    assert schema_version(db) == SCHEMA_VERSION
    return db
