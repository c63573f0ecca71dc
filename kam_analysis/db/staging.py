"""The import's steps inside its write transaction: read the rows, stage the ones
not imported, count, fix line numbers, store the rejects, swap the dataset in;
and after the commit, delete the staged rows."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kam_analysis.db import Database, DatasetInfo
from kam_analysis.db.datasets import swap_in_dataset as _swap_in_dataset
from kam_analysis.db.import_session import _execute_with_progress
from kam_analysis.db.import_sources import (
    CsvNeedsRejectScan,
    CsvNeedsSerialScan,
    CsvSource,
    ParquetSource,
    TableSource,
)

_STAGING_STATUSES = ("reject", "total", "blank", "header")
_NO_REJECTS = {"source_line": [], "reason": [], "raw": []}
Source = CsvSource | ParquetSource | TableSource


def new_dataset_id(cur: duckdb.DuckDBPyConnection) -> int:
    """Draw the id of the dataset being imported (inside its transaction)."""
    [(new_id,)] = cur.execute("SELECT nextval('dataset_id_seq')").fetchall()
    return int(new_id)


def read_rows(
    cur: duckdb.DuckDBPyConnection,
    new_id: int,
    source: Source,
    statement: tuple[str, dict[str, Any]],
    progress: Callable[[float, str], None] | None,
) -> int:
    """Run the reading statement (see :mod:`kam_analysis.db.import_select`) and
    stage the rows it did not import (:func:`_stage_rows`); return how many.

    ``progress(fraction 0..1 of this step, message)`` is called on this thread.

    Raises
    ------
    CsvNeedsSerialScan
        If DuckDB's parallel CSV reader cannot read the file; retry with
        ``CsvSource(parallel=False)``.
    CsvNeedsRejectScan
        If the CSV file has a row DuckDB cannot split and ``source.scan_rejects``
        is off; retry with ``CsvSource(scan_rejects=True)``.
    """
    sql, params = statement
    params = {**params, "new_id": new_id}
    if isinstance(source, TableSource):
        cur.register("kam_import_table", source.table)
    try:
        _execute_with_progress(cur, sql, params, progress, 0.0, 1.0, "Reading rows")
    except duckdb.Error as exc:
        if "parallel=false" in str(exc):
            raise CsvNeedsSerialScan(str(exc)) from None
        if (isinstance(source, CsvSource) and not source.scan_rejects
                and "CSV Error" in str(exc)):
            raise CsvNeedsRejectScan(str(exc)) from None
        raise
    if isinstance(source, TableSource):
        cur.unregister("kam_import_table")
        return _stage_rows(cur, new_id, None)  # spreadsheet rows carry their line
    return _stage_rows(cur, new_id, source.skip if isinstance(source, CsvSource) else 0)


def engine_rejects(cur: duckdb.DuckDBPyConnection, source: Source,
                   broken: dict[str, str]) -> pd.DataFrame:
    """The rows DuckDB's CSV reader could not split (``source_line, reason, raw``).

    ``broken`` maps DuckDB's error type (key ``""`` for any other) to a reason
    template with ``{detail}``. Empty unless the source was read collecting them.
    """
    if not (isinstance(source, CsvSource) and source.scan_rejects):
        return pd.DataFrame(_NO_REJECTS)
    errors = cur.execute(
        "SELECT line AS source_line, error_type, error_message, csv_line AS raw "
        "FROM kam_import_rejects ORDER BY line"
    ).df()
    # One row may carry several errors (one per extra cell): it is one reject. Its
    # raw text may start with the empty lines before it: they are not the row.
    errors = errors.drop_duplicates("source_line").reset_index(drop=True)
    errors["raw"] = [str(raw).strip("\r\n") for raw in errors["raw"]]
    errors["reason"] = [
        broken.get(kind, broken[""]).format(detail=detail)
        for kind, detail in zip(errors["error_type"], errors["error_message"], strict=True)
    ]
    cur.execute("DROP TABLE IF EXISTS kam_import_rejects")
    cur.execute("DROP TABLE IF EXISTS kam_import_scans")
    return errors


def imported_totals(cur: duckdb.DuckDBPyConnection, new_id: int) -> tuple[int, float]:
    """Count and revenue total of the imported rows, in one scan (the records the
    file had are these plus the staged ones)."""
    [(imported, total)] = cur.execute(
        "SELECT count(*), coalesce(sum(revenue), 0) FROM transactions WHERE dataset_id = ?",
        [new_id],
    ).fetchall()
    return int(imported), float(total)


def renumber_staged(cur: duckdb.DuckDBPyConnection, record_lines: list[int],
                    physical_lines: list[int]) -> None:
    """Give the staged rows their physical line where it differs from the record's."""
    table = pa.table({
        "record_line": pa.array(record_lines, pa.int64()),
        "physical_line": pa.array(physical_lines, pa.int64()),
    })
    cur.register("kam_line_map", table)
    cur.execute(
        "UPDATE kam_import_staged SET source_line = m.physical_line FROM kam_line_map m "
        "WHERE kam_import_staged.source_line = m.record_line "
        "AND m.record_line <> m.physical_line"
    )
    cur.unregister("kam_line_map")


def staged_totals(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, float]]:
    """Status (reject, total, blank, header) -> (rows, revenue total) of the staged rows."""
    staged = dict.fromkeys(_STAGING_STATUSES, (0, 0.0))
    for status, count, total in cur.execute(
        "SELECT status, count(*), coalesce(sum(revenue), 0) FROM kam_import_staged "
        "GROUP BY status"
    ).fetchall():
        staged[status] = (int(count), float(total))
    return staged


def first_rejects(cur: duckdb.DuckDBPyConnection, engine_errors: pd.DataFrame,
                  limit: int) -> pd.DataFrame:
    """The first ``limit`` rejected rows by line (``source_line, reason, raw``)."""
    rejects = cur.execute(
        "SELECT source_line, reason, raw FROM kam_import_staged "
        "WHERE status = 'reject' ORDER BY source_line LIMIT ?",
        [limit],
    ).df()
    if len(engine_errors):
        rejects = pd.concat(
            [engine_errors[["source_line", "reason", "raw"]], rejects], ignore_index=True
        ).sort_values("source_line", kind="stable").head(limit).reset_index(drop=True)
    return rejects


def store_rejects(cur: duckdb.DuckDBPyConnection, new_id: int,
                  engine_errors: pd.DataFrame) -> None:
    """Store every rejected row with the dataset (``import_rejects``)."""
    if len(engine_errors):
        cur.register("kam_engine_rejects", engine_errors[["source_line", "reason", "raw"]])
        cur.execute(
            "INSERT INTO import_rejects SELECT ?, source_line, reason, raw "
            "FROM kam_engine_rejects",
            [new_id],
        )
        cur.unregister("kam_engine_rejects")
    cur.execute(
        "INSERT INTO import_rejects SELECT ?, source_line, reason, raw "
        "FROM kam_import_staged WHERE status = 'reject'",
        [new_id],
    )


def swap_in(cur: duckdb.DuckDBPyConnection, new_id: int, name: str, source_name: str | None,
            summary: dict[str, Any], currency: str | None) -> DatasetInfo:
    """Build the aggregates and put the new dataset in place of one named ``name``."""
    # Aggregates need no row order; without it DuckDB needs less memory.
    cur.execute("SET preserve_insertion_order = false")
    return _swap_in_dataset(cur, new_id, name, source_name, summary, currency)


def _stage_rows(cur: duckdb.DuckDBPyConnection, new_id: int, skip: int | None) -> int:
    """Copy the rows the import did not take (rejects, totals, blank and header rows)
    to the temporary table ``kam_import_staged`` with their record numbers; return
    how many there are.

    The reading statement stores every source record in ``transactions``: imported
    rows under ``new_id``, the others under ``-new_id``. Those stay until the import
    has committed (:func:`_drop_staged_rows`): deleting or updating any row this
    transaction inserted makes DuckDB's commit copy all new rows again instead of
    keeping the row groups it already wrote (about 6 s more for 10 million rows
    with a thousand rejects). Nothing reads a negative dataset id.

    ``skip`` is the number of lines before the first record; the record numbers
    come from the row ids, which run consecutively in file order within this
    transaction (the rows were inserted in one statement with insertion order
    preserved; numbering there with ``row_number()`` would serialise DuckDB's
    parallel reader). With ``skip`` None the rows keep their stored line.
    Imported rows of a file source keep ``source_line`` NULL: nothing shows it.
    """
    params: dict[str, Any] = {"id": new_id}
    number = "source_line"
    if skip is not None:
        params["skip"] = int(skip)
        number = ("rowid - (SELECT min(rowid) FROM transactions "
                  "WHERE dataset_id IN ($id, -$id)) + 1 + $skip")
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE kam_import_staged AS
            SELECT {number} AS source_line, category AS status, document_id AS reason,
                   customer_name AS raw, revenue
            FROM transactions WHERE dataset_id = -$id""",  # noqa: S608 - constant SQL only
        params,
    )
    [(count,)] = cur.execute("SELECT count(*) FROM kam_import_staged").fetchall()
    return int(count)


def _drop_staged_rows(db: Database, new_id: int) -> None:  # name used by tests/test_storage.py
    """Delete the committed import's staged rows (see :func:`stage_rows`).

    Best effort, like the checkpoint: the import has committed, so a failure here
    must not report it as failed. Rows left behind under a negative id (this
    failed, or the process died first) are read by nothing, and the next
    :class:`Database` opened on the file deletes them.
    """
    with contextlib.suppress(duckdb.Error), db.write() as cur:
        cur.execute("DELETE FROM transactions WHERE dataset_id = ?", [-new_id])
