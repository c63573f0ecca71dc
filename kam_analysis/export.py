"""Exports: formula-safe CSV and formatted XLSX of an analysis, streamed to disk, in the
language of the context (:mod:`kam_analysis.export_sheets` says what the sheets say).

Headers, sheet names, flags, reasons and account types are translated words; the
"Parameters" and "Concentration" sheets have one row per figure with its translated
name. CSV is written the way the locale's Excel opens it in columns: the list
separator ``;`` where the decimal sign is a comma (de, ru, az, vi), else ``,`` (en,
fa); numbers unquoted with the locale's decimal sign and no thousands separators
(German ``1234,5``); dates as ISO ``YYYY-MM-DD`` (every Excel reads them);
``codes=True`` gives the stable machine-readable form instead (code headers and
values, ``,`` and ``.``). XLSX cells stay typed: numbers with number formats, which
Excel shows in its own locale, and real dates.

CSV is UTF-8 with a BOM (so Excel detects the encoding); any text cell whose first
character that is not whitespace or a control character is ``=``, ``+``, ``-`` or
``@`` (or that starts with a tab, CR or LF) is prefixed with ``'`` so a spreadsheet
never runs it as a formula, while numbers stay numbers. XLSX is written with
XlsxWriter with ``strings_to_formulas`` off and every text cell written as a
string, so no cell is ever a formula.

Memory stays bounded: CSV is written in chunks of :data:`CSV_CHUNK_ROWS` rows and
XLSX in XlsxWriter's ``constant_memory`` mode (one row in memory at a time) into a
file. What a server builds for one click is capped by :class:`ExportLimits`
(``KAM_EXPORT_XLSX_ROWS``, ``KAM_EXPORT_CSV_ROWS``).
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter

from kam_analysis.export_sheets import (
    PairRow,
    concentration_rows,
    csv_decimal,
    csv_separator,
    localise_frame,
    parameter_rows,
)
from kam_analysis.i18n import get_language, language, t

if TYPE_CHECKING:
    from kam_analysis.analysis import Analysis, ChurnResult, Migration

__all__ = [
    "CHURN_EXPORT_COLUMNS",
    "CSV_CHUNK_ROWS",
    "EXPORT_COLUMNS",
    "MAX_XLSX_ROWS",
    "ExportLimits",
    "ExportTooLarge",
    "csv_bytes",
    "deferred",
    "file_bytes",
    "sanitize_sheet_name",
    "workbook_bytes",
    "write_csv",
    "write_table",
    "write_workbook",
]

#: Column order of the key-account list in the CLI and the exports.
EXPORT_COLUMNS: tuple[str, ...] = (
    "customer_id", "customer_name", "region", "manager", "value", "share",
    "cumulative_share", "rank", "abc", "xyz", "abc_xyz", "cov", "periods", "active_periods",
    "first_purchase", "last_purchase", "days_since_last", "median_gap", "key_account",
    "key_reasons", "account_types", "flags", "p_alive", "expected_purchases_13w",
)
#: The churn-model columns of the exports (empty when the model was not fitted).
CHURN_EXPORT_COLUMNS: tuple[str, ...] = ("p_alive", "expected_purchases_13w")

#: Rows an XLSX sheet can hold (header included).
MAX_XLSX_ROWS = 1_048_576
#: Rows a CSV export converts and writes at a time.
CSV_CHUNK_ROWS = 50_000

_FORMULA_CHARS = frozenset("=+-@")
_MONEY_COLUMNS = {"value", "revenue", "margin", "total", "value_first", "value_second",
                  "value_last_6m", "value_prev_6m", "mean"}
_PERCENT_COLUMNS = {"share", "cumulative_share", "cum_before", "cr1", "cr3", "cr5", "cr10",
                    "top20_share", "key_share", "top_share", "customers_for_80"}
_BAD_SHEET_CHARS = re.compile(r"[:\\/?*\[\]]")


class ExportTooLarge(ValueError):
    """The table does not fit into an XLSX sheet (export CSV instead) or is above the
    server's export limit."""


@dataclass(frozen=True)
class ExportLimits:
    """Largest exports a server builds for one click.

    Attributes
    ----------
    xlsx_rows : int
        Customers (data rows of the largest sheet) up to which the full workbook is
        offered; above it the app offers CSV. Default 200,000 (a workbook of about
        25 MB; XlsxWriter's ``constant_memory`` mode keeps the memory flat).
    csv_rows : int
        Rows up to which a CSV download is built; above it the app refuses and points
        to the command line (``python -m kam_analysis classify --all --out``). Default
        2,000,000 (a file of about 400 MB held once in memory while it is served).
    """

    xlsx_rows: int = 200_000
    csv_rows: int = 2_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ExportLimits:
        """Read ``KAM_EXPORT_XLSX_ROWS`` and ``KAM_EXPORT_CSV_ROWS`` (positive
        integers; a missing or invalid value keeps the default)."""
        env = os.environ if env is None else env
        defaults = cls()
        return cls(xlsx_rows=_positive(env.get("KAM_EXPORT_XLSX_ROWS"), defaults.xlsx_rows),
                   csv_rows=_positive(env.get("KAM_EXPORT_CSV_ROWS"), defaults.csv_rows))


def _positive(text: str | None, default: int) -> int:
    try:
        value = int(str(text).replace("_", "").strip())
    except ValueError:
        return default
    return value if value > 0 else default


def _safe_text(value: str) -> str:
    """Prefix ``'`` when a spreadsheet could read ``value`` as a formula: it starts with
    a tab, CR or LF, or its first character that is not whitespace or a control
    character is ``= + - @``."""
    if not value:
        return value
    if value[0] in "\t\r\n":
        return "'" + value
    first = next((c for c in value if not (c.isspace() or ord(c) < 32 or ord(c) == 127)), "")
    return "'" + value if first in _FORMULA_CHARS else value


def _csv_cell(value: Any, decimal: str) -> Any:
    """A cell of a text column: formula-safe text, a float with the decimal sign."""
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, float | np.floating) and not isinstance(value, bool):
        return repr(float(value)).replace(".", decimal) if math.isfinite(value) else None
    return value


def _neutralise(df: pd.DataFrame, decimal: str = ".") -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        out[col] = series.map(lambda v: _csv_cell(v, decimal))
    out.columns = [_safe_text(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame, *, codes: bool = False) -> bytes:
    """Return ``df`` as CSV bytes: UTF-8 with BOM, formula-safe, in the context's language.

    Parameters
    ----------
    df : DataFrame
        The table; numbers stay numeric (a negative number is written as
        ``-5``, a fraction with the locale's decimal sign), text starting with
        ``= + - @``, tab or CR gets a ``'`` prefix.
    codes : bool
        Write the machine-readable form: code headers and values, ``,`` between
        cells and ``.`` as decimal sign (the same in every language).
    """
    buffer = io.StringIO()
    _write_csv_chunks(df, buffer, codes)
    return buffer.getvalue().encode("utf-8-sig")


def _write_csv_chunks(df: pd.DataFrame, out: Any, codes: bool) -> None:
    sep, decimal = (",", ".") if codes else (csv_separator(), csv_decimal())
    for start in range(0, max(len(df), 1), CSV_CHUNK_ROWS):
        chunk = df.iloc[start:start + CSV_CHUNK_ROWS]
        chunk = _neutralise(chunk if codes else localise_frame(chunk), decimal)
        chunk.to_csv(out, index=False, header=start == 0, sep=sep, decimal=decimal,
                     lineterminator="\r\n")


def write_csv(df: pd.DataFrame, path: str | Path, *, codes: bool = False) -> None:
    """Write ``df`` to ``path`` as :func:`csv_bytes` would, :data:`CSV_CHUNK_ROWS` rows
    at a time (memory: one neutralised chunk besides ``df``)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        _write_csv_chunks(df, out, codes)


def file_bytes(write: Callable[[Path], None], suffix: str) -> bytes:
    """Call ``write(path)`` on a fresh private temporary file and return its bytes
    (the file is deleted). For a download that needs bytes of a file built on disk."""
    with tempfile.TemporaryDirectory(prefix="kam_export_") as folder:
        path = Path(folder) / f"export{suffix}"
        write(path)
        return path.read_bytes()


def deferred(build: Callable[[], bytes]) -> Callable[[], bytes]:
    """Bind ``build`` to this context's language: a download built later, outside the
    script run that offered it, is still in the session's language."""
    chosen = get_language()

    def run() -> bytes:
        with language(chosen):
            return build()

    return run


def sanitize_sheet_name(name: str, used: set[str] | None = None) -> str:
    """Return a valid, unique XLSX sheet name (<= 31 chars, none of ``: \\ / ? * [ ]``)."""
    cleaned = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'").strip() or "Sheet"
    cleaned = cleaned[:31]
    used = used if used is not None else set()
    candidate, n = cleaned, 2
    while candidate.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        candidate = cleaned[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


def _check_rows(name: str, rows: int) -> None:
    if rows + 1 > MAX_XLSX_ROWS:
        raise ExportTooLarge(t(
            "The sheet {name!r} would have {rows:,} rows; XLSX holds at most {max:,}. "
            "Export CSV instead.", name=name, rows=rows + 1, max=MAX_XLSX_ROWS))


class _Book:
    """An XLSX file written row by row (``constant_memory``: rows go to disk as written)."""

    def __init__(self, path: str | Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                                  "strings_to_urls": False,
                                                  "nan_inf_to_errors": False,
                                                  "constant_memory": True,
                                                  "tmpdir": str(Path(path).parent)})
        self.header = self.wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1,
                                          "text_wrap": True, "valign": "top"})
        self.money = self.wb.add_format({"num_format": "#,##0.00"})
        self.percent = self.wb.add_format({"num_format": "0.0%"})
        self.number = self.wb.add_format({"num_format": "General"})
        self.integer = self.wb.add_format({"num_format": "0"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.used: set[str] = set()

    def table(self, name: str, df: pd.DataFrame, codes: bool = False) -> None:
        """Write ``df`` as a sheet: formats chosen by the code names, headers and words
        in the context's language (``codes``: as they are)."""
        _check_rows(name, len(df))
        ws = self.wb.add_worksheet(sanitize_sheet_name(name, self.used))
        formats = [self._format(col, df[col]) for col in df.columns]
        shown = df if codes else localise_frame(df)
        columns = [str(c) for c in shown.columns]
        for j, col in enumerate(columns):
            ws.write_string(0, j, col, self.header)
        widths = [min(max(len(c), 8), 60) for c in columns]
        for i, row in enumerate(shown.itertuples(index=False, name=None), start=1):
            for j, value in enumerate(row):
                shown = self._write(ws, i, j, value, formats[j])
                if shown > widths[j] and i <= 1000:
                    widths[j] = min(shown, 60)
        for j, width in enumerate(widths):
            ws.set_column(j, j, width + 2)
        ws.freeze_panes(1, 0)
        if columns:
            ws.autofilter(0, 0, max(len(df), 1), len(columns) - 1)

    def _format(self, col: Any, series: pd.Series) -> Any:
        name = str(col)
        if name in _PERCENT_COLUMNS:
            return self.percent
        if name in _MONEY_COLUMNS:
            return self.money
        if pd.api.types.is_integer_dtype(series):
            return self.integer
        if pd.api.types.is_float_dtype(series):
            return self.number
        return None

    def _write(self, ws: Any, i: int, j: int, value: Any, fmt: Any) -> int:
        if value is None or value is pd.NA or value is pd.NaT:
            ws.write_blank(i, j, None)
            return 0
        if isinstance(value, bool | np.bool_):
            ws.write_boolean(i, j, bool(value))
            return 5
        if isinstance(value, int | np.integer):
            ws.write_number(i, j, int(value), fmt)
            return len(str(value)) + 2
        if isinstance(value, float | np.floating):
            if not math.isfinite(float(value)):
                ws.write_blank(i, j, None)
                return 0
            ws.write_number(i, j, float(value), fmt)
            return 14
        if isinstance(value, datetime | date | pd.Timestamp):
            ws.write_datetime(i, j, pd.Timestamp(value).to_pydatetime(), self.date)
            return 10
        text = str(value)
        ws.write_string(i, j, text)
        return len(text)

    def pairs(self, name: str, rows: list[PairRow]) -> None:
        """A two-column sheet: each figure's name and its value, formatted by its kind."""
        ws = self.wb.add_worksheet(sanitize_sheet_name(name, self.used))
        ws.write_string(0, 0, t("Figure"), self.header)
        ws.write_string(0, 1, t("Value"), self.header)
        kinds = {"date": self.date, "count": self.integer, "number": self.number,
                 "percent": self.percent, "money": self.money}
        widths = [8, 8]
        for i, (figure, value, kind) in enumerate(rows, start=1):
            ws.write_string(i, 0, figure)
            if kind == "text":
                ws.write_string(i, 1, str(value))
                shown = len(str(value))
            else:
                shown = self._write(ws, i, 1, value, kinds[kind])
            widths = [max(widths[0], len(figure)), max(widths[1], shown)]
        ws.set_column(0, 0, min(widths[0], 60) + 2)
        ws.set_column(1, 1, min(widths[1], 80) + 2)
        ws.freeze_panes(1, 0)

    def close(self) -> None:
        self.wb.close()


def _export_frame(customers: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in EXPORT_COLUMNS if c in customers.columns]
    out = customers[columns].copy()
    for col in CHURN_EXPORT_COLUMNS:  # the churn figures, empty without a fitted model
        if col not in out.columns:
            out[col] = np.nan
    if "rank" in out.columns:
        out["rank"] = out["rank"].astype(object).where(out["rank"].notna(), None)
    return out


def workbook_bytes(analysis: Analysis, migration: Migration | None = None,
                   churn: ChurnResult | None = None) -> bytes:
    """Return the bytes of :func:`write_workbook` (built in a temporary file).

    Raises
    ------
    ExportTooLarge
        If a sheet would exceed 1,048,576 rows (export CSV instead).
    """
    return file_bytes(lambda path: write_workbook(analysis, path, migration, churn), ".xlsx")


def write_workbook(analysis: Analysis, path: str | Path, migration: Migration | None = None,
                   churn: ChurnResult | None = None) -> None:
    """Write a formatted XLSX of an analysis to ``path``, row by row (bounded memory).

    Sheets: "Key accounts", "All customers", "ABC-XYZ matrix", "Concentration",
    "Parameters" (and "Migration" when ``migration`` is given). Money and
    percentages are formatted, headers frozen and filterable. The customer
    sheets carry ``p_alive`` and ``expected_purchases_13w`` from ``churn`` (or
    from ``analysis.customers`` when it has them); empty otherwise.

    Raises
    ------
    ExportTooLarge
        If a sheet would exceed 1,048,576 rows (export CSV instead).
    """
    if churn is not None:
        from kam_analysis.analysis.churn import with_churn

        customers = _export_frame(with_churn(analysis.customers, churn))
    else:
        customers = _export_frame(analysis.customers)
    key = customers[analysis.customers["key_account"].to_numpy(dtype=bool)]
    if len(customers) + 1 > MAX_XLSX_ROWS:
        raise ExportTooLarge(t(
            "The customer list has {rows:,} rows; XLSX holds at most {max:,}. "
            "Export CSV instead.", rows=len(customers), max=MAX_XLSX_ROWS - 1))
    book = _Book(path)
    book.table(t("Key accounts"), key)
    book.table(t("All customers"), customers)
    book.table(t("ABC-XYZ matrix"), analysis.matrix)
    book.pairs(t("Concentration"), concentration_rows(analysis))
    book.pairs(t("Parameters"), parameter_rows(analysis))
    if migration is not None:
        book.table(t("Migration"), migration.matrix)
    book.close()


def write_table(df: pd.DataFrame, path: str | Path, *, codes: bool = False) -> None:
    """Write ``df`` as CSV (``.csv``) or XLSX (``.xlsx``) by the file extension, in the
    context's language (``codes``: the machine-readable form, see :func:`csv_bytes`).

    Raises
    ------
    ValueError
        For another extension.
    ExportTooLarge
        For an XLSX above 1,048,576 rows.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(df, path, codes=codes)
    elif suffix == ".xlsx":
        _check_rows(t("Customers"), len(df))  # refuse before a file is created
        book = _Book(path)
        book.table(t("Customers"), df, codes)
        book.close()
    else:
        raise ValueError(t("Unknown export type {suffix!r} for {path}; use .csv or .xlsx.",
                           suffix=path.suffix, path=str(path)))
