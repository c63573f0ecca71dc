"""The import's SQL: read, parse, stage and store one file inside the write transaction."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from kam_analysis.storage import (
    Database,
    DatasetInfo,
    StorageError,
    _swap_in_dataset,
    validate_dataset_name,
)
from kam_analysis.vocabulary import FIELD_BY_NAME, FIELD_NAMES

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
        Canonical field name (one of :data:`kam_analysis.vocabulary.FIELD_NAMES`).
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
    #: Keep reading past malformed rows and collect them (DuckDB's ``store_rejects``).
    #: Off by default: collecting rejects makes DuckDB's reader store the rows in a
    #: way that costs seconds more at checkpoint; a file with a malformed row is
    #: read again with it on (see :class:`CsvNeedsRejectScan`).
    scan_rejects: bool = False


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


class CsvNeedsRejectScan(StorageError):
    """The CSV file has a row DuckDB cannot split; retry with ``CsvSource(scan_rejects=True)``."""


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
        rejects = (
            "store_rejects = true, ignore_errors = true, rejects_table = 'kam_import_rejects', "
            "rejects_scan = 'kam_import_scans', " if source.scan_rejects else ""
        )
        base = (
            "SELECT CAST(NULL AS BIGINT) AS line, * FROM read_csv($path, "  # noqa: S608
            "columns = $csv_columns, auto_detect = false, header = false, skip = $skip, "
            "delim = $delim, quote = $quote, escape = $quote, null_padding = true, "
            f"strict_mode = true, parallel = $parallel, {rejects}max_line_size = 10000000)"
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
        # Trim only cells that need it: trim() on every cell costs more than the scan,
        # and even the check for a leading or trailing space costs about 0.1 s per
        # column and 10 million rows.
        trimmed = (f"nullif(CASE WHEN prefix({ref}, ' ') OR suffix({ref}, ' ') "
                   f"THEN trim({ref}) ELSE {ref} END, '')")
        params[f"{field}_empty"] = messages.empty[field]
        params[f"{field}_invalid"] = messages.invalid[field]
        if kind == "text":
            layer1.append(f"{trimmed} AS {field}_raw")
            layer2.append(f"{field}_raw AS {field}")
        elif kind == "number":
            slot = f"n_{field}"
            params[f"{slot}_re"] = _NUMBER_RE[col.decimal]
            params[f"{slot}_keep"] = _KEEP_DIGITS_RE[col.decimal]
            params[f"{slot}_dec"] = col.decimal
            # The fast cast reads the cell as it is (DuckDB's cast ignores surrounding
            # spaces); only a cell it cannot read is trimmed, for the checks, the
            # messages and the slow path that validates the shape.
            fast, slow = _number_sql(ref, col.decimal, slot)
            layer1.append(f"{fast} AS {field}_fast")
            layer1.append(f"CASE WHEN isfinite({field}_fast) THEN {ref} ELSE {trimmed} END "
                          f"AS {field}_raw")
            _, slow = _number_sql(f"{field}_raw", col.decimal, slot)
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
            # The first format (the one the sample showed) alone first, on the cell as
            # it is (strptime ignores surrounding spaces): one format is cheaper to try
            # than the list. Only a cell it cannot read is trimmed and tried with the
            # list (same order).
            params["date_format"] = params["date_formats"][0]
            layer1.append(f"try_strptime({ref}, $date_format) AS {field}_first")
            layer1.append(f"CASE WHEN {field}_first IS NOT NULL THEN {ref} ELSE {trimmed} END "
                          f"AS {field}_raw")
            expr = (f"CAST(coalesce({field}_first, "
                    f"try_strptime({field}_raw, $date_formats)) AS DATE)")
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
    CsvNeedsRejectScan
        If the CSV file has a row DuckDB cannot split and ``source.scan_rejects``
        is off; retry with ``CsvSource(scan_rejects=True)``.
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

    # The write lock first: the instance-wide settings belong to one import at a time,
    # so an overlapping import cannot take this one's cap for the setting to restore.
    with db._write_lock, _import_settings(db):
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
                if (isinstance(source, CsvSource) and not source.scan_rejects
                        and "CSV Error" in str(exc)):
                    raise CsvNeedsRejectScan(str(exc)) from None
                raise
            if isinstance(source, TableSource):
                cur.unregister("kam_import_table")
                staged = _stage_rows(cur, new_id, None)  # spreadsheet rows carry their line
            else:
                staged = _stage_rows(cur, new_id,
                                     source.skip if isinstance(source, CsvSource) else 0)
            report(0.6, "Checking rows")
            engine_errors = pd.DataFrame({"source_line": [], "reason": [], "raw": []})
            if isinstance(source, CsvSource) and source.scan_rejects:
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
            # One scan for the imported rows' count and total (the records the file
            # had are these plus the staged ones).
            [(imported, imported_total)] = cur.execute(
                "SELECT count(*), coalesce(sum(revenue), 0) FROM transactions "
                "WHERE dataset_id = ?",
                [new_id],
            ).fetchall()
            exact = _fix_line_numbers(cur, int(imported) + staged, source, engine_errors,
                                      line_map)
            stats = _import_stats(cur, (int(imported), float(imported_total)), engine_errors,
                                  exact, max_rejects_returned)
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
                "INSERT INTO import_rejects SELECT ?, source_line, reason, raw "
                "FROM kam_import_staged WHERE status = 'reject'",
                [new_id],
            )
            report(0.7, "Building summaries")
            # Aggregates need no row order; without it DuckDB needs less memory.
            cur.execute("SET preserve_insertion_order = false")
            info = _swap_in_dataset(cur, new_id, name, source_name, summary, currency)
            report(0.95, "Saving")
        if staged:
            _drop_staged_rows(db, new_id)
        # The checkpoint compresses the new rows: keep it under the memory cap too.
        db.checkpoint()
    report(1.0, "Done")
    return info


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


def _drop_staged_rows(db: Database, new_id: int) -> None:
    """Delete the committed import's staged rows (see :func:`_stage_rows`).

    Best effort, like the checkpoint: the import has committed, so a failure here
    must not report it as failed. Rows left behind under a negative id (this
    failed, or the process died first) are read by nothing, and the next
    :class:`Database` opened on the file deletes them.
    """
    with contextlib.suppress(duckdb.Error), db.write() as cur:
        cur.execute("DELETE FROM transactions WHERE dataset_id = ?", [-new_id])


def _execute_with_progress(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    progress: Callable[[float, str], None] | None,
    low: float,
    high: float,
    message: str,
) -> None:
    """Run one long statement, reporting DuckDB's own progress on the calling thread.

    The statement runs in a worker thread (the only user of ``cur`` while it
    runs); the calling thread polls ``cur.query_progress()`` about four times a
    second and calls ``progress`` itself, so a UI that may only be drawn from
    its own thread (Streamlit) can show it. Fractions lie between ``low`` and
    ``high`` and never decrease. If ``progress`` raises an ``Exception``,
    reporting stops and the statement goes on; if it raises anything else (a
    ``KeyboardInterrupt``, Streamlit's stop), or the caller is interrupted while
    waiting, the statement is interrupted, the worker is waited for and the
    exception propagates (the caller's transaction then rolls back). An error
    of the statement is re-raised in the calling thread.
    """
    if progress is None:
        cur.execute(sql, params)
        return
    cur.execute("SET enable_progress_bar = true")
    cur.execute("SET enable_progress_bar_print = false")
    failure: list[BaseException] = []

    def work() -> None:
        try:
            cur.execute(sql, params)
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="kam-import-statement", daemon=True)
    worker.start()
    reported = low
    reporting = True
    try:
        while True:
            worker.join(0.25)
            if not worker.is_alive():
                break
            if not reporting:
                continue
            try:
                done = cur.query_progress()
                if done >= 0:
                    reported = max(reported, low + (high - low) * min(done, 100.0) / 100.0)
                    progress(reported, message)
            except Exception:  # a failing callback must not break the import
                reporting = False
    except BaseException:
        with contextlib.suppress(Exception):
            cur.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]


#: DuckDB memory cap while an import runs (it spills to disk beyond it), so a
#: 10-million-row file imports within about 1.5 GB of process memory.
IMPORT_MEMORY_LIMIT = "1200MB"


@contextlib.contextmanager
def _import_settings(db: Database) -> Iterator[None]:
    """Cap DuckDB's memory for the import (a lower existing cap is kept), keep row
    order (record numbers follow the file), skip the checkpoint's merging of partly
    filled row groups, and restore all three afterwards.

    Both are instance-wide settings: queries that run meanwhile share the cap. They
    are set on a cursor of their own, outside the import's transaction, so they
    are restored even when the import fails.
    """
    with db._write_lock:  # imports run one at a time, so they restore what they found
        yield from _import_settings_locked(db)


def _import_settings_locked(db: Database) -> Iterator[None]:
    cur = db._con.cursor()
    [(limit, order, vacuum)] = cur.execute(
        "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order'), "
        "current_setting('max_vacuum_tasks')"
    ).fetchall()
    if _size_bytes(str(limit)) > _size_bytes(IMPORT_MEMORY_LIMIT):
        cur.execute("SET memory_limit = ?", [IMPORT_MEMORY_LIMIT])
    cur.execute("SET preserve_insertion_order = true")
    # DuckDB's parallel insert leaves some row groups partly filled; the import's
    # checkpoint would merge them, rewriting most of the new rows (about 3 s for 10
    # million rows). Row groups whose rows were all deleted are still dropped.
    cur.execute("SET max_vacuum_tasks = 0")
    try:
        yield
    finally:
        cur.execute("SET max_vacuum_tasks = ?", [int(vacuum)])
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
    records: int,
    source: CsvSource | ParquetSource | TableSource,
    engine_errors: pd.DataFrame,
    line_map: Callable[[int, list[int]], tuple[list[int], list[int]] | None] | None,
) -> bool:
    """Replace record numbers by physical line numbers where they differ (CSV only).

    ``records`` is the number of records DuckDB read (imported and staged).
    Returns whether the stored line numbers are exact.
    """
    if not isinstance(source, CsvSource) or line_map is None:
        return True
    mapping = line_map(records, [int(x) for x in engine_errors["source_line"]])
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
        "UPDATE kam_import_staged SET source_line = m.physical_line FROM kam_line_map m "
        "WHERE kam_import_staged.source_line = m.record_line "
        "AND m.record_line <> m.physical_line"
    )
    cur.unregister("kam_line_map")
    return True


def _import_stats(
    cur: duckdb.DuckDBPyConnection,
    imported_rows: tuple[int, float],
    engine_errors: pd.DataFrame,
    exact: bool,
    limit: int,
) -> ImportStats:
    staged = dict.fromkeys(_STAGING_STATUSES, (0, 0.0))
    for status, count, total in cur.execute(
        "SELECT status, count(*), coalesce(sum(revenue), 0) FROM kam_import_staged "
        "GROUP BY status"
    ).fetchall():
        staged[status] = (int(count), float(total))
    imported, imported_total = imported_rows
    rejects = cur.execute(
        "SELECT source_line, reason, raw FROM kam_import_staged "
        "WHERE status = 'reject' ORDER BY source_line LIMIT ?",
        [limit],
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
