"""What the import SQL reads and how: the sources (CSV, Parquet, an Arrow table of
spreadsheet cells), the mapped columns, the message templates and the patterns,
all handed in as values; plus the Parquet preview."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from kam_analysis.db import StorageError

#: The most source columns an import reads.
IMPORT_MAX_COLUMNS = 2000
#: Numbers beyond this in absolute value are rejected (sums of them stay finite).
IMPORT_MAX_AMOUNT = 1e15
#: The dates accepted (ISO text, inclusive).
IMPORT_FIRST_DATE = "1900-01-01"
IMPORT_LAST_DATE = "2199-12-31"


@dataclass(frozen=True)
class ImportColumn:
    """How one canonical field is read from one source column.

    Attributes
    ----------
    field, index, header
        The canonical field name (one of :data:`kam_analysis.vocabulary.FIELD_NAMES`),
        the 0-based position of the source column and its header (used only inside
        messages, as a bound value).
    decimal : str
        Numbers: the decimal separator, ``","`` or ``"."``.
    date_formats : tuple of str
        Dates: strptime formats tried in order on the cell (time shapes included).
    excel_serial : bool
        Dates: also accept Excel serial day numbers (5 digits).
    calendar : str
        Dates: ``"gregorian"`` or ``"jalali"`` (year/month/day in the Solar Hijri
        calendar, converted to Gregorian dates).
    native_text : bool
        Text: store Persian and Arabic-Indic digits as ASCII digits, Arabic ي/ك
        as Persian ی/ک, in Unicode NFC (for an id column whose sample needs it).
    """

    field: str
    index: int
    header: str
    decimal: str = "."
    date_formats: tuple[str, ...] = ()
    excel_serial: bool = False
    calendar: str = "gregorian"
    native_text: bool = False


@dataclass(frozen=True)
class ImportPatterns:
    """The regular expressions the import SQL applies, bound as values.

    Attributes
    ----------
    number : Mapping[str, str]
        Decimal separator (``","`` or ``"."``) -> the shape of a number cell.
    keep_digits : Mapping[str, str]
        Decimal separator -> the characters removed before the cast.
    totals : str
        A totals or subtotal label (Итого, Total, Summe...).
    excel_serial : str
        An Excel serial day number.
    native : Mapping[str, tuple[str, str]]
        ``"text"``, ``"date"`` and each decimal separator -> the characters a cell
        is translated from and to before it is read (Persian and Arabic-Indic
        digits, the Arabic thousands and decimal signs).
    jalali : str
        A Jalali date (year, month, day groups) in ASCII digits.
    jalali_first_year : int
        The first Jalali year of ``jalali_year_starts``.
    jalali_year_starts : tuple of date
        The Gregorian date of 1 Farvardin of each Jalali year from
        ``jalali_first_year`` on; the last entry only ends the year before it.
    """

    number: Mapping[str, str]
    keep_digits: Mapping[str, str]
    totals: str
    excel_serial: str
    native: Mapping[str, tuple[str, str]]
    jalali: str
    jalali_first_year: int
    jalali_year_starts: tuple[date, ...]


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
    #: Field -> reason for a readable value outside the accepted range (a number
    #: beyond :data:`IMPORT_MAX_AMOUNT` in absolute value, a date outside
    #: :data:`IMPORT_FIRST_DATE` .. :data:`IMPORT_LAST_DATE`).
    out_of_range: dict[str, str] = dataclasses.field(default_factory=dict)


class CsvNeedsSerialScan(StorageError):
    """DuckDB's parallel CSV reader refused the file (quoted line breaks + padding)."""


class CsvNeedsRejectScan(StorageError):
    """The CSV file has a row DuckDB cannot split; retry with ``CsvSource(scan_rejects=True)``."""


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
