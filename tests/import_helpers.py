"""Helpers shared by the importer tests: write small files and read back what was stored."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kam_analysis.db import Database


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``tmp_path/name`` in ``encoding`` without newline translation."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def stored(db: Database, dataset: str) -> pd.DataFrame:
    """The stored transactions of a dataset, in source order.

    Imported rows of CSV and Parquet files carry no ``source_line`` (NULL); their
    row ids follow the file.
    """
    with db.read() as cur:
        return cur.execute(
            "SELECT t.* FROM transactions t JOIN datasets d USING (dataset_id) "
            "WHERE d.name = ? ORDER BY source_line, t.rowid",
            [dataset],
        ).df()


def totals_by_customer(db: Database, dataset: str) -> dict[str, float]:
    """Revenue per customer id, rounded to cents."""
    frame = stored(db, dataset)
    return {k: round(v, 2) for k, v in frame.groupby("customer_id")["revenue"].sum().items()}
