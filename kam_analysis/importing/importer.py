"""Import sales transactions from CSV/TXT, XLSX and Parquet files.

The app's Data page and the CLI both call :func:`inspect_file` (what is in the
file, which columns map to which canonical field) and :func:`import_file`
(store it as a dataset). How a file is read:

* **Format** from the content (:func:`kam_analysis.importing.filetypes.detect_format`),
  never from the name.
* **CSV/TXT**: the encoding is detected (BOM, strict UTF-8, else a Cyrillic
  cp1251 vs Western cp1252 heuristic); anything but UTF-8 is transcoded to a
  temporary UTF-8 file in streaming chunks. The delimiter (``; , tab |``) and
  the header row (title lines above it are skipped) are found together by
  matching known header names. DuckDB's CSV reader then reads every column as
  text, and one SQL statement (:mod:`kam_analysis.db.import_select`)
  parses numbers and dates and stores the rows.
* **XLSX** through :func:`kam_analysis.importing.xlsx_read.read_sheet`; **Parquet**
  through DuckDB (typed columns are read as text and parsed the same way).

Rules the user can rely on:

* Customer ids are text exactly as in the file (``00017`` stays ``00017``;
  surrounding spaces are trimmed).
* Numbers: decimal comma or point (decided per column from the data),
  thousands separators (space, no-break spaces, dot, comma, apostrophe),
  negatives as ``-1 234,50``, ``(1 234,50)`` or ``1 234,50-``, currency
  symbols and codes are ignored. Returns stay negative.
* Persian and Arabic-Indic digits and the Arabic thousands and decimal signs
  (٬ ٫) are read in numbers and dates; in the id columns (customer, document)
  they are stored as ASCII digits (with Arabic ي/ك as Persian ی/ک, and in
  Unicode NFC) when the sample of the file's first rows holds them (or text
  not in NFC).
* Dates: ISO, ``dd.mm.yyyy``, ``dd/mm/yyyy``, ``mm/dd/yyyy``, ``yyyymmdd``,
  Jalali ``yyyy/mm/dd`` (years 1300-1499, detected when most dates of the
  sample are valid Jalali dates; converted exactly to Gregorian dates),
  an optional time part, Excel serial numbers and real Excel dates. When the
  file cannot tell day/month order apart, :attr:`FilePreview.date_order_ambiguous`
  is set and :func:`import_file` asks for :attr:`ImportOptions.date_order`.
* Blank rows are skipped; totals and subtotal rows (the customer cell, or the
  first non-empty cell, says Итого, Всего, Total, Grand total, Summe, Gesamt...;
  or the row has an amount but no date, as group subtotals in 1C/SAP reports)
  are dropped and counted, never imported as a customer.
* A row that cannot be read is rejected with its 1-based source line (the
  physical line in a CSV file, the row number in a sheet) and a reason naming
  the column; rejects are stored with the dataset.
* ``file_revenue_total`` is the sum of every readable revenue value of the
  file's data rows (imported and rejected rows, totals rows excluded), so it
  can be compared with ``imported_revenue_total``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from kam_analysis.db import Database, staging, validate_dataset_name
from kam_analysis.db.import_select import import_statement
from kam_analysis.db.import_session import import_session
from kam_analysis.db.import_sources import (
    CsvNeedsRejectScan,
    CsvNeedsSerialScan,
    CsvSource,
    ImportColumn,
    ImportMessages,
    ParquetSource,
    TableSource,
)
from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed
from kam_analysis.importing.lines import _line_mapper, physical_lines
from kam_analysis.importing.messages import import_messages
from kam_analysis.importing.options import DEFAULT_OPTIONS, ImportOptions
from kam_analysis.importing.patterns import IMPORT_PATTERNS, with_time_formats
from kam_analysis.importing.preview import FilePreview, _preview
from kam_analysis.importing.quotes import lines_text, unclosed_quote_lines, without_lines
from kam_analysis.importing.results import ImportCounts, ImportResult, nothing_imported
from kam_analysis.importing.sources import _open_source, _Source, _table_source
from kam_analysis.vocabulary import FIELD_BY_NAME

__all__ = ["import_file"]

#: At most this many rejected rows are returned in :attr:`ImportResult.rejects` (all are stored).
MAX_REJECTS_RETURNED = 10_000

Progress = Callable[[float, str], None]
LineMapper = Callable[[int, list[int]], tuple[list[int], list[int], int] | None]


@dataclass
class _Plan:
    """How one file is imported: what was found in it and what the SQL reads."""

    name: str
    source: _Source
    preview: FilePreview
    src: CsvSource | ParquetSource | TableSource
    columns: list[ImportColumn]
    messages: ImportMessages
    currency: str | None
    line_map: LineMapper | None
    #: Lines with a quote that never closes (line -> text): read as emptied, rejected.
    cut_lines: dict[int, str] = dataclasses.field(default_factory=dict)
    quotes_checked: bool = False


def import_file(db: Database, path: str | Path, dataset: str,
                options: ImportOptions = DEFAULT_OPTIONS, *, filename: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    """Import a sales file as dataset ``dataset`` (replacing one of that name atomically).

    Parameters
    ----------
    db : Database
        Target database.
    path : str or Path
        The file.
    dataset : str
        Dataset name.
    options : ImportOptions
        Overrides (sheet, mapping, date order, encoding, delimiter, currency).
    filename : str, optional
        The user's original file name, used in messages and stored as source.
    progress : callable, optional
        ``progress(fraction 0..1, message)``, always called on the calling
        thread (a UI may draw from it), with fractions that never decrease and
        end at 1.0. An exception it raises aborts the import and nothing is
        written (``KeyboardInterrupt`` or a UI's stop request interrupt even the
        long reading statement), except an ``Exception`` raised while the rows
        are read, which only ends the reporting of that step.

    Returns
    -------
    ImportResult
        Counts, revenue totals, rejects and warnings.

    Raises
    ------
    ImportFailed
        If the file cannot be imported: wrong type, empty, required columns
        missing, ambiguous date order without ``options.date_order``, or no
        row could be imported. Nothing is written then.
    """
    path = Path(path)
    name = filename or path.name
    try:
        dataset = validate_dataset_name(dataset)
    except ValueError as exc:
        raise ImportFailed(str(exc)) from None

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(max(0.0, min(1.0, fraction)), message)

    report(0.0, t("Reading {file}", file=name))
    source = _open_source(path, options, name, full=True)
    try:
        plan = _plan(source, options, name, path)
        # A CSV file is first read the fast way; a malformed row makes DuckDB stop,
        # then the file is read again collecting such rows (and, if DuckDB's
        # parallel reader refuses the file, serially). Each retry starts afresh:
        # the failed attempt wrote nothing.
        while True:
            try:
                return _store(db, dataset, plan, report)
            except CsvNeedsSerialScan:
                assert isinstance(plan.src, CsvSource) and plan.src.parallel
                plan.src = dataclasses.replace(plan.src, parallel=False)
            except CsvNeedsRejectScan:
                assert isinstance(plan.src, CsvSource) and not plan.src.scan_rejects
                plan.src = dataclasses.replace(plan.src, scan_rejects=True)
            except _RowsSpanLines:
                pass  # the plan now reads the file with those lines emptied
            except duckdb.Error as exc:
                # DuckDB refuses some files even when collecting broken rows (quoted
                # line breaks together with rows of too many cells): say so, with
                # the line, rather than lose rows.
                if "CSV Error" not in str(exc):
                    raise
                raise ImportFailed(t("{file}: the file could not be read as CSV ({error}).",
                                     file=name, error=str(exc).splitlines()[0])) from None
    finally:
        source.cleanup()


def _plan(source: _Source, options: ImportOptions, name: str, path: Path) -> _Plan:
    """Check what the file holds and decide how the SQL reads it."""
    preview = _preview(source, options, name)
    if preview.missing_required:
        labels = ", ".join(t(FIELD_BY_NAME[f].label) for f in preview.missing_required)
        raise ImportFailed(t(
            "{file}: no column found for {fields}. Columns in the file (header on line "
            "{line}): {cols}. Choose the columns in the mapping.",
            file=name, fields=labels, line=preview.header_line,
            cols=", ".join(preview.headers)))
    if preview.date_order_ambiguous:
        raise ImportFailed(t(
            "{file}: the dates in column {col!r} could be day/month or month/day "
            "(no day is above 12). Choose the date order: DMY or MDY.",
            file=name, col=preview.mapping["order_date"]))
    if not source.sample_rows and source.format != "csv":
        raise ImportFailed(t("{file}: the file has a header but no data rows.", file=name))
    index = {h: i for i, h in enumerate(source.headers)}
    dates = with_time_formats(preview.date_formats or ("%Y-%m-%d",))
    columns = [
        ImportColumn(
            field=f, index=index[h], header=h,
            decimal=preview.decimals.get(f, "."),
            date_formats=tuple(dates) if f == "order_date" else (),
            excel_serial=f == "order_date" and preview.calendar == "gregorian",
            calendar=preview.calendar if f == "order_date" else "gregorian",
            native_text=f in preview.native_text,
        )
        for f, h in preview.mapping.items()
    ]
    line_map = None
    src: CsvSource | ParquetSource | TableSource
    if source.format == "csv":
        assert source.csv_path is not None and source.delimiter is not None
        src = CsvSource(str(source.csv_path), source.delimiter, '"', source.header_line,
                        len(source.headers))
        line_map = _line_mapper(source.csv_path, source.delimiter, source.header_line,
                                len(source.headers))
    elif source.format == "parquet":
        src = ParquetSource(str(path), len(source.headers))
    else:
        src = _table_source(source, {c.index: c.decimal for c in columns})
    return _Plan(name, source, preview, src, columns, import_messages(preview.mapping),
                 options.currency, line_map)


class _RowsSpanLines(Exception):
    """Lines with a quote that never closes were found: read the file again."""


#: More lines than this with a quote that never closes: the file is refused.
MAX_UNCLOSED_QUOTES = 100


def _cut_unclosed_quotes(plan: _Plan) -> bool:
    """Find the lines whose quote never closes; plan to read the file with them
    emptied. Returns whether there are any.

    Runs only when the first read did not match the file's lines one to one
    (broken rows, quoted line breaks, empty lines): a quote that never closes
    may have swallowed the rest of the file without any error.
    """
    plan.quotes_checked = True
    src, source = plan.src, plan.source
    assert isinstance(src, CsvSource) and source.csv_path is not None
    lines = unclosed_quote_lines(source.csv_path, src.delimiter, src.skip,
                                 MAX_UNCLOSED_QUOTES + 1)
    if len(lines) > MAX_UNCLOSED_QUOTES:
        raise ImportFailed(t(
            "{file}: on more than {n} lines a quote opens and never closes (first on "
            "lines {lines}). Check the file's quotes or its delimiter.",
            file=plan.name, n=MAX_UNCLOSED_QUOTES,
            lines=", ".join(str(n) for n in lines[:10])))
    if not lines:
        return False
    plan.cut_lines = lines_text(source.csv_path, lines)
    copy = without_lines(source.csv_path, set(lines))
    source.temp_files.append(copy)
    plan.src = dataclasses.replace(src, path=str(copy))
    plan.line_map = _line_mapper(copy, src.delimiter, src.skip, src.columns)
    return True


def _with_cut_lines(engine_errors: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    """The engine's broken rows plus the lines with a quote that never closes."""
    if not plan.cut_lines:
        return engine_errors
    reason = t("a quote opens on this line and is never closed properly; the line "
               "was not imported (the rows after it were)")
    cut = pd.DataFrame({"source_line": list(plan.cut_lines), "reason": reason,
                        "raw": list(plan.cut_lines.values())})
    return pd.concat([engine_errors[["source_line", "reason", "raw"]], cut],
                     ignore_index=True).astype({"source_line": "int64"}).sort_values(
                         "source_line", kind="stable").reset_index(drop=True)


def _spans_lines(engine_errors: pd.DataFrame) -> bool:
    return any("\n" in str(raw).rstrip("\r\n") for raw in engine_errors["raw"])


def _store(db: Database, dataset: str, plan: _Plan, report: Progress) -> ImportResult:
    """Read, check and store the rows in ONE write transaction, then checkpoint.

    The rows the import does not take are staged under the negative dataset id
    and deleted in a second transaction after the commit (see
    :func:`kam_analysis.db.staging.read_rows`).
    """

    def stage(fraction: float, message: str) -> None:
        report(0.05 + 0.95 * fraction, message)

    statement = import_statement(plan.src, plan.columns, plan.messages, IMPORT_PATTERNS)
    with import_session(db):
        with db.write() as cur:
            new_id = staging.new_dataset_id(cur)
            stage(0.1, t("Reading rows"))
            staged = staging.read_rows(cur, new_id, plan.src, statement,
                                       lambda f, m: stage(0.1 + 0.5 * f, t(m)))
            stage(0.6, t("Checking rows"))
            counts, rejects, warnings = _check(cur, new_id, staged, plan)
            stage(0.7, t("Building summaries"))
            source = plan.source
            summary = counts.as_summary(
                warnings, file=plan.name, format=source.format, encoding=source.encoding,
                delimiter=source.delimiter, sheet=source.sheet,
                header_line=source.header_line, mapping=plan.preview.mapping,
                calendar=plan.preview.calendar)
            info = staging.swap_in(cur, new_id, dataset, plan.name, summary, plan.currency)
            stage(0.95, t("Saving"))
        if staged:
            staging._drop_staged_rows(db, new_id)
        # The checkpoint compresses the new rows: keep it under the memory cap too.
        db.checkpoint()
    stage(1.0, t("Done"))
    return ImportResult(**dataclasses.asdict(counts), dataset=info, rejects=rejects,
                        warnings=tuple(warnings), preview=plan.preview)


def _check(cur: duckdb.DuckDBPyConnection, new_id: int, staged: int, plan: _Plan
           ) -> tuple[ImportCounts, pd.DataFrame, list[str]]:
    """Count the rows, fix their line numbers, store the rejects; raise
    :class:`ImportFailed` (the transaction then rolls back) if none was imported."""
    engine_errors = staging.engine_rejects(cur, plan.src, plan.messages.broken)
    imported = staging.imported_totals(cur, new_id)
    skip = plan.src.skip if isinstance(plan.src, CsvSource) else 0
    exact, renumber, empty, differ = physical_lines(plan.line_map, imported[0] + staged,
                                                    engine_errors, skip)
    if (isinstance(plan.src, CsvSource) and not plan.quotes_checked
            and (differ or _spans_lines(engine_errors)) and _cut_unclosed_quotes(plan)):
        raise _RowsSpanLines  # rolls the transaction back; the import reads again
    engine_errors = _with_cut_lines(engine_errors, plan)
    if renumber is not None:
        staging.renumber_staged(cur, *renumber)
    # empty lines are blank rows too (the emptied lines with a quote are rejects)
    counts = ImportCounts.from_staged(imported, staging.staged_totals(cur), len(engine_errors),
                                      max(0, empty - len(plan.cut_lines)))
    rejects = staging.first_rejects(cur, engine_errors, MAX_REJECTS_RETURNED)
    warnings = list(plan.preview.warnings)
    if counts.blank_rows:
        warnings.append(t("Blank rows skipped: {n}.", n=counts.blank_rows))
    if counts.header_rows:
        warnings.append(t("Repeated header rows skipped: {n}.", n=counts.header_rows))
    if not exact:
        warnings.append(t("Line numbers of rejected rows may be approximate "
                          "(the file has quoting or encoding errors)."))
    if counts.rows_imported == 0:
        raise ImportFailed(nothing_imported(plan.name, counts, rejects))
    staging.store_rejects(cur, new_id, engine_errors)
    return counts, rejects, warnings
