"""Storage: schema, atomic dataset replacement, deletes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from kam_analysis.db import (
    SCHEMA_VERSION,
    Database,
    DatasetNotFoundError,
    StorageError,
    delete_dataset,
    get_dataset,
    import_rejects,
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
        assert cur.execute("SELECT count(DISTINCT dataset_id) FROM sales_monthly").fetchall() == [
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
    with pytest.raises(StorageError, match="newer"):
        open_database(path)


def _csv_with_rejects(path) -> None:
    path.write_text(
        "Kunde;Datum;Umsatz\n"
        "K1;01.02.2025;10,00\n"
        "K2;kein Datum;5,00\n"          # line 3: rejected
        "K1;03.02.2025;20,00\n"
        "\n"                            # line 5: blank
        "K3;04.02.2025;n/a\n"           # line 6: rejected
        "Summe;;35,00\n",               # line 7: totals
        encoding="utf-8",
    )


def _staged_rows_left(db) -> int:
    with db.read() as cur:
        [(n,)] = cur.execute(
            "SELECT count(*) FROM transactions WHERE dataset_id < 0").fetchall()
    return n


def test_import_leaves_no_staged_rows_and_keeps_reject_lines(tmp_path) -> None:
    """Rows the import does not take are staged under a negative id while it runs and
    deleted once it has committed; their exact lines survive in import_rejects."""
    from kam_analysis.importing import import_file

    _csv_with_rejects(tmp_path / "s.csv")
    db = open_database(tmp_path / "k.duckdb")
    result = import_file(db, tmp_path / "s.csv", "d")
    assert (result.rows_imported, result.rows_rejected, result.totals_dropped) == (2, 2, 1)
    assert _staged_rows_left(db) == 0
    assert list(import_rejects(db, "d")["source_line"]) == [3, 6]
    db.close()


def test_staged_rows_left_after_the_commit_are_deleted_on_the_next_open(
        tmp_path, monkeypatch) -> None:
    """If deleting the staged rows after the import's commit fails (or the process dies
    first), the import still succeeds; the rows stay under a negative id, no dataset
    shows them, and the next start deletes them."""
    import contextlib
    import inspect

    import duckdb

    from kam_analysis.importing import import_file

    original = Database.write

    @contextlib.contextmanager
    def write(self):
        if any(frame.function == "_drop_staged_rows" for frame in inspect.stack()):
            raise duckdb.TransactionException("Conflict on tuple deletion")
        with original(self) as cur:
            yield cur

    _csv_with_rejects(tmp_path / "s.csv")
    path = tmp_path / "k.duckdb"
    db = open_database(path)
    monkeypatch.setattr(Database, "write", write)
    result = import_file(db, tmp_path / "s.csv", "d")
    monkeypatch.setattr(Database, "write", original)
    assert result.rows_imported == 2
    assert _staged_rows_left(db) == 3  # the two rejects and the totals line
    assert get_dataset(db, "d").row_count == 2
    db.close()
    again = open_database(path)
    assert _staged_rows_left(again) == 0
    assert get_dataset(again, "d").row_count == 2
    assert list(import_rejects(again, "d")["source_line"]) == [3, 6]
    again.close()
