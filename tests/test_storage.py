"""Storage: schema, atomic dataset replacement, deletes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kam_analysis import storage
from kam_analysis.storage import (
    SCHEMA_VERSION,
    DatasetNotFoundError,
    delete_dataset,
    get_dataset,
    list_datasets,
    open_database,
    replace_dataset,
    schema_version,
    validate_dataset_name,
)


def _rows(n: int, revenue: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_line": range(2, n + 2),
            "customer_id": [f"{i % 3:05d}" for i in range(n)],
            "order_date": [date(2025, 1, 1 + i % 28) for i in range(n)],
            "revenue": [revenue] * n,
        }
    )


def test_new_database_has_current_schema(db) -> None:
    assert schema_version(db) == SCHEMA_VERSION
    assert list_datasets(db) == []


def test_replace_creates_dataset_with_facts(db) -> None:
    info = replace_dataset(db, "Sales 2025", [_rows(6)], source="x.csv")
    assert (info.name, info.row_count, info.customer_count) == ("Sales 2025", 6, 3)
    assert (info.first_date, info.last_date) == (date(2025, 1, 1), date(2025, 1, 6))
    assert info.has_margin is False
    with db.read() as cur:
        ids = cur.execute("SELECT DISTINCT customer_id FROM customers ORDER BY 1").fetchall()
    assert [r[0] for r in ids] == ["00000", "00001", "00002"]


def test_replace_swaps_and_removes_old_rows(db) -> None:
    first = replace_dataset(db, "d", [_rows(6)])
    second = replace_dataset(db, "d", [_rows(4, revenue=5.0)])
    assert second.dataset_id != first.dataset_id
    assert [d.name for d in list_datasets(db)] == ["d"]
    with db.read() as cur:
        per_id = cur.execute(
            "SELECT dataset_id, sum(revenue) FROM transactions GROUP BY 1"
        ).fetchall()
    assert per_id == [(second.dataset_id, 20.0)]


def test_failed_replacement_keeps_old_dataset_and_leaves_nothing(db) -> None:
    replace_dataset(db, "d", [_rows(6)])

    def batches():
        yield _rows(3)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        replace_dataset(db, "d", batches())
    info = get_dataset(db, "d")
    assert info.row_count == 6
    with db.read() as cur:
        assert cur.execute("SELECT count(*) FROM transactions").fetchall() == [(6,)]
        assert cur.execute("SELECT count(DISTINCT dataset_id) FROM sales_daily").fetchall() == [
            (1,)
        ]


def test_empty_import_is_refused(db) -> None:
    with pytest.raises(ValueError, match="no data rows"):
        replace_dataset(db, "d", [_rows(0)])
    assert list_datasets(db) == []


def test_delete_dataset(db) -> None:
    replace_dataset(db, "a", [_rows(3)])
    replace_dataset(db, "b", [_rows(3)])
    delete_dataset(db, "a")
    assert [d.name for d in list_datasets(db)] == ["b"]
    with pytest.raises(DatasetNotFoundError):
        delete_dataset(db, "a")


@pytest.mark.parametrize("name", ["../../etc/passwd", "x'; DROP TABLE datasets;--", 'a"b'])
def test_hostile_dataset_names_are_plain_values(db, name) -> None:
    replace_dataset(db, name, [_rows(3)])
    assert get_dataset(db, name).name == name
    assert schema_version(db) == SCHEMA_VERSION


@pytest.mark.parametrize("bad", ["", "   ", "x" * 101, "tab\x00null"])
def test_invalid_dataset_names(bad) -> None:
    with pytest.raises(ValueError):
        validate_dataset_name(bad)


def test_database_reopens_with_data(tmp_path) -> None:
    path = tmp_path / "k.duckdb"
    db = open_database(path)
    replace_dataset(db, "d", [_rows(5)])
    db.close()
    again = open_database(path)
    assert get_dataset(again, "d").row_count == 5
    again.close()


def test_newer_schema_is_refused(tmp_path) -> None:
    path = tmp_path / "k.duckdb"
    db = open_database(path)
    with db.write() as cur:
        cur.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.close()
    with pytest.raises(storage.StorageError, match="newer"):
        open_database(path)
