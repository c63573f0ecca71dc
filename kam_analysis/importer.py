"""Import sales transactions from CSV/TXT, XLSX and Parquet files.

The app's Data page and the CLI both call :func:`inspect_file` (what is in the
file, which columns map to which canonical field) and :func:`import_file`
(store it as a dataset). How a file is read:

* **Format** from the content (:func:`kam_analysis.filetypes.detect_format`),
  never from the name.
* **CSV/TXT**: the encoding is detected (BOM, strict UTF-8, else a Cyrillic
  cp1251 vs Western cp1252 heuristic); anything but UTF-8 is transcoded to a
  temporary UTF-8 file in streaming chunks. The delimiter (``; , tab |``) and
  the header row (title lines above it are skipped) are found together by
  matching known header names. DuckDB's CSV reader then reads every column as
  text, and one SQL statement (:func:`kam_analysis.storage.import_rows`)
  parses numbers and dates and stores the rows.
* **XLSX** through :func:`kam_analysis.filetypes.read_sheet`; **Parquet**
  through DuckDB (typed columns are read as text and parsed the same way).

Rules the user can rely on:

* Customer ids are text exactly as in the file (``00017`` stays ``00017``;
  surrounding spaces are trimmed).
* Numbers: decimal comma or point (decided per column from the data),
  thousands separators (space, no-break spaces, dot, comma, apostrophe),
  negatives as ``-1 234,50``, ``(1 234,50)`` or ``1 234,50-``, currency
  symbols and codes are ignored. Returns stay negative.
* Dates: ISO, ``dd.mm.yyyy``, ``dd/mm/yyyy``, ``mm/dd/yyyy``, ``yyyymmdd``,
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

import codecs
import contextlib
import csv
import dataclasses
import io
import itertools
import math
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kam_analysis.db.import_sql import (
    IMPORT_MAX_COLUMNS,
    CsvNeedsRejectScan,
    CsvNeedsSerialScan,
    CsvSource,
    ImportColumn,
    ImportMessages,
    ImportStats,
    ParquetSource,
    TableSource,
    import_rows,
    parquet_preview,
)
from kam_analysis.i18n import t
from kam_analysis.storage import Database, DatasetInfo, validate_dataset_name
from kam_analysis.vocabulary import FIELD_BY_NAME, FIELD_NAMES, REQUIRED_FIELDS

__all__ = [
    "FilePreview",
    "ImportFailed",
    "ImportOptions",
    "ImportResult",
    "import_file",
    "inspect_file",
]

#: Bytes read from the start of a CSV file to detect encoding, delimiter and header.
SAMPLE_BYTES = 1 << 20
#: Records of the sample used to decide number and date shapes.
SAMPLE_ROWS = 5000
#: Rows shown in :attr:`FilePreview.sample`.
PREVIEW_ROWS = 20
#: Rows searched for the header row.
HEADER_SEARCH_ROWS = 40
DELIMITERS = (";", ",", "\t", "|")
_TRANSCODE_CHUNK = 4 << 20


class ImportFailed(ValueError):
    """The file cannot be imported; the message names file, line and column where possible."""


@dataclass(frozen=True)
class ImportOptions:
    """Choices that override what the importer detects.

    Attributes
    ----------
    sheet : str, optional
        XLSX sheet; None -> the first non-empty sheet.
    mapping : Mapping[str, str], optional
        Canonical field -> source header. Overrides the suggested mapping for
        the fields given; an empty string unmaps an optional field.
    date_order : {"DMY", "MDY"}, optional
        Day/month order for dates like ``03/04/2024``; None -> from the data.
    encoding : str, optional
        Text encoding of a CSV file (Python codec name); None -> detect.
    delimiter : str, optional
        CSV delimiter; None -> sniff among ``; , tab |``.
    currency : str, optional
        Currency of the amounts, stored with the dataset.
    """

    sheet: str | None = None
    mapping: Mapping[str, str] | None = None
    date_order: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class FilePreview:
    """What :func:`inspect_file` found in a file.

    Attributes
    ----------
    filename : str
        The user's file name.
    format : str
        ``"csv"``, ``"xlsx"`` or ``"parquet"``.
    encoding, delimiter : str or None
        CSV only: the encoding detected (or given) and the delimiter.
    sheets : tuple of str
        XLSX sheet names; the sheet read is ``sheet``.
    header_line : int
        1-based line (row) of the header in the source.
    headers : tuple of str
        Source headers, made unique (``Sum``, ``Sum (2)``) and never empty.
    mapping : dict
        Canonical field -> header, suggested or given.
    missing_required : tuple of str
        Required fields with no column.
    date_order_ambiguous : bool
        True when the dates could be day-first or month-first and no
        ``date_order`` was given: the UI must ask.
    sample : DataFrame
        The first data rows as raw text under the source headers.
    """

    filename: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheets: tuple[str, ...]
    sheet: str | None
    header_line: int
    headers: tuple[str, ...]
    mapping: dict[str, str]
    missing_required: tuple[str, ...]
    date_order_ambiguous: bool
    sample: pd.DataFrame
    #: Decimal separator decided per mapped number field.
    decimals: dict[str, str] = field(default_factory=dict)
    #: Date formats decided for the date column.
    date_formats: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_file` stored.

    Attributes
    ----------
    dataset : DatasetInfo
        The new dataset.
    rows_read : int
        Non-blank data rows read (imported + rejected + totals).
    rows_imported, rows_rejected, totals_dropped : int
        What happened to them.
    file_revenue_total : float
        Sum of every readable revenue value in the data rows, imported or
        rejected (totals rows excluded).
    imported_revenue_total : float
        Sum of revenue over the imported rows.
    rejects : DataFrame
        ``source_line, reason, raw`` (at most 10,000 rows; all are stored).
    warnings : tuple of str
        Things the user should know (blank rows skipped, approximations).
    """

    dataset: DatasetInfo
    rows_read: int
    rows_imported: int
    rows_rejected: int
    totals_dropped: int
    file_revenue_total: float
    imported_revenue_total: float
    rejects: pd.DataFrame
    warnings: tuple[str, ...]
    preview: FilePreview | None = None

    def summary(self) -> dict[str, Any]:
        """Return the import summary as a JSON-ready dict."""
        return {
            "dataset": self.dataset.name,
            "rows_read": self.rows_read,
            "rows_imported": self.rows_imported,
            "rows_rejected": self.rows_rejected,
            "totals_dropped": self.totals_dropped,
            "file_revenue_total": self.file_revenue_total,
            "imported_revenue_total": self.imported_revenue_total,
            "customers": self.dataset.customer_count,
            "first_date": str(self.dataset.first_date) if self.dataset.first_date else None,
            "last_date": str(self.dataset.last_date) if self.dataset.last_date else None,
            "warnings": list(self.warnings),
        }

    def reject_lines(self, limit: int = 20) -> list[str]:
        """Return up to ``limit`` rejects as ``"line 57, column 'Umsatz': ..."`` texts."""
        return [
            t("line {line}, {reason}", line=int(r.source_line), reason=r.reason)
            for r in self.rejects.head(limit).itertuples()
        ]


# --------------------------------------------------------------------------
# Header names
# --------------------------------------------------------------------------

_CUSTOMER_ID_ALIASES = (
    "customer id", "customer no", "customer number", "customer code", "customer nr",
    "customer #", "customerid", "cust id", "cust no", "client id", "client no",
    "client code", "client number", "account id", "account no", "account number",
    "account code", "debtor", "debtor no", "sold to", "sold to party", "kundennummer",
    "kunden nr", "kundennr", "kunde nr", "kd nr", "kdnr", "kunden id", "kundenid",
    "debitor", "debitorennummer", "debitor nr", "debitornr", "auftraggeber",
    "код клиента", "код контрагента", "код покупателя", "клиент код", "контрагент код",
    "id клиента", "номер клиента", "инн", "инн контрагента", "инн покупателя",
)
_CUSTOMER_NAME_ALIASES = (
    "customer name", "customer", "client name", "client", "account name", "account",
    "company", "buyer", "kunde", "kundenname", "kunden name", "name", "firma",
    "debitorname", "debitor name", "контрагент", "клиент", "покупатель",
    "наименование контрагента", "наименование клиента", "наименование покупателя",
    "контрагент наименование", "заказчик",
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "order_date": (
        "order date", "invoice date", "date", "posting date", "document date",
        "transaction date", "sales date", "billing date", "delivery date", "day",
        "rechnungsdatum", "datum", "belegdatum", "buchungsdatum", "auftragsdatum",
        "lieferdatum", "fakturadatum", "дата", "дата документа", "дата продажи",
        "дата реализации", "дата отгрузки", "период", "день", "period",
    ),
    "revenue": (
        "revenue", "net revenue", "sales", "net sales", "sales amount", "amount",
        "net amount", "turnover", "value", "sales value", "revenue net", "total",
        "umsatz", "nettoumsatz", "umsatz netto", "netto umsatz", "betrag", "nettobetrag",
        "betrag netto", "erlös", "erlöse", "nettoerlös", "umsatzerlöse", "wert",
        "выручка", "сумма", "сумма продаж", "выручка без ндс", "сумма без ндс",
        "сумма продаж без ндс", "стоимость", "сумма реализации", "продажи", "оборот",
        "сумма выручки",
    ),
    "margin": (
        "margin", "gross profit", "gross margin", "profit", "contribution margin",
        "deckungsbeitrag", "db", "db1", "rohertrag", "marge", "rohgewinn",
        "валовая прибыль", "маржа", "прибыль", "наценка", "валовый доход",
    ),
    "quantity": (
        "quantity", "qty", "units", "pieces", "volume", "menge", "anzahl", "stück",
        "stueck", "количество", "кол во", "колво", "кол", "объем",
    ),
    "product": (
        "product", "product name", "item", "item name", "article", "sku", "material",
        "artikel", "artikelbezeichnung", "artikelname", "produkt", "bezeichnung",
        "номенклатура", "товар", "продукт", "наименование товара", "артикул", "услуга",
    ),
    "category": (
        "category", "product category", "product group", "group", "item group",
        "warengruppe", "kategorie", "produktgruppe", "artikelgruppe", "sparte",
        "категория", "группа", "товарная группа", "группа номенклатуры",
        "номенклатурная группа", "группа товаров",
    ),
    "region": (
        "region", "area", "territory", "sales region", "country", "gebiet",
        "verkaufsgebiet", "bundesland", "land", "регион", "область", "территория",
        "город", "филиал",
    ),
    "manager": (
        "manager", "account manager", "key account manager", "kam", "sales rep",
        "sales representative", "salesperson", "sales person", "sales manager",
        "vertreter", "außendienst", "aussendienst", "verkäufer", "betreuer",
        "kundenbetreuer", "sachbearbeiter", "менеджер", "ответственный",
        "торговый представитель", "менеджер клиента", "агент",
    ),
    "document_id": (
        "document", "document no", "document number", "invoice", "invoice no",
        "invoice number", "order", "order no", "order id", "order number", "doc no",
        "beleg", "belegnummer", "beleg nr", "rechnung", "rechnungsnummer", "rechnungs nr",
        "auftrag", "auftragsnummer", "lieferschein", "документ", "номер документа",
        "накладная", "счет", "счет фактура", "заказ", "номер заказа", "регистратор",
    ),
}
_VAT_WORDS = ("ндс", "mwst", "ust", "vat", "tax", "steuer", "налог")
_NET_WORDS = ("без", "excl", "ohne", "netto", "net")


def normalize_header(text: str) -> str:
    """Return a header in the form used to match names: lower case, ё->е,
    punctuation and extra spaces removed (``"Кол-во, шт."`` -> ``"кол во шт"``)."""
    text = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    text = text.replace("№", " no ").replace("#", " # ")
    text = re.sub(r"[^\w#]+", " ", text)
    return " ".join(text.replace("_", " ").split())


_NORMALIZED: dict[str, tuple[str, ...]] = {
    "customer_id": tuple(normalize_header(a) for a in _CUSTOMER_ID_ALIASES),
    "customer_name": tuple(normalize_header(a) for a in _CUSTOMER_NAME_ALIASES),
    **{f: tuple(normalize_header(a) for a in names) for f, names in _ALIASES.items()},
}
_UNIT_WORDS = {
    "eur", "usd", "rub", "chf", "gbp", "руб", "р", "тыс", "шт", "pcs", "stk", "€", "$",
    "in", "в", "netto", "net", "brutto", "gross", "без", "ндс", "excl", "vat", "ohne",
    "mwst", "ust", "total", "sum", "summe", "итого", "всего", "ед", "units",
}


def _header_score(norm: str, alias: str) -> int:
    """2 = exact match, 1 = alias followed only by unit/currency words, else 0."""
    if norm == alias:
        return 2
    if norm.startswith(alias + " "):
        rest = norm[len(alias) + 1 :].split()
        if all(w in _UNIT_WORDS or w.isdigit() for w in rest):
            has_vat = any(w in _VAT_WORDS for w in rest)
            return 1 if not has_vat or any(w in _NET_WORDS for w in rest) else 0
    return 0


def _find(norms: Sequence[str], field_name: str, used: set[int]) -> int | None:
    best: tuple[int, int, int] | None = None  # (-score, alias rank, column)
    for rank, alias in enumerate(_NORMALIZED[field_name]):
        for i, norm in enumerate(norms):
            if i in used:
                continue
            score = _header_score(norm, alias)
            if score and (best is None or (-score, rank, i) < best):
                best = (-score, rank, i)
    return None if best is None else best[2]


def _says_name(norm: str) -> bool:
    return any(w in norm for w in ("name", "наимен", "bezeichnung", "firma", "company"))


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Suggest canonical field -> header from header names (English, German, Russian).

    An id column is preferred for ``customer_id``; a name column then maps to
    ``customer_name`` (with only a name column, it becomes the customer id).

    Parameters
    ----------
    headers : sequence of str
        The source headers.

    Returns
    -------
    dict
        Field -> header for every field found.
    """
    norms = [normalize_header(h) for h in headers]
    used: set[int] = set()
    found: dict[str, int] = {}
    id_col = _find(norms, "customer_id", used)
    if id_col is not None:
        used.add(id_col)
    name_col = _find(norms, "customer_name", used)
    if name_col is not None:
        used.add(name_col)
    if id_col is not None:
        found["customer_id"] = id_col
        if name_col is not None:
            found["customer_name"] = name_col
    elif name_col is not None:
        found["customer_id"] = name_col
        other = _find(norms, "customer_name", used)
        if other is not None:
            # Two customer columns and no id-like name ("Kunde", "Kundenname"): the one
            # called a name holds names, the other one identifies the customer.
            used.add(other)
            named = [c for c in (name_col, other) if _says_name(norms[c])]
            name_side = named[0] if len(named) == 1 else other
            found["customer_id"] = other if name_side == name_col else name_col
            found["customer_name"] = name_side
    for field_name in _ALIASES:
        col = _find(norms, field_name, used)
        if col is not None:
            found[field_name] = col
            used.add(col)
    return {f: headers[found[f]] for f in FIELD_NAMES if f in found}


def _header_matches(cells: Sequence[str]) -> int:
    """How many canonical fields a row of cells names (used to find the header row)."""
    norms = [normalize_header(c) for c in cells if c is not None and str(c).strip()]
    if not norms:
        return 0
    hits = 0
    for aliases in _NORMALIZED.values():
        if any(_header_score(n, a) for n in norms for a in aliases):
            hits += 1
    return hits


def unique_headers(cells: Sequence[object]) -> tuple[str, ...]:
    """Clean header cells: empty -> ``Column N``; duplicates -> ``Sum``, ``Sum (2)``."""
    out: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) if cell is not None else ""
        if not name:
            name = t("Column {n}", n=i + 1)
        if name.casefold() in taken:
            k = 2
            while f"{name} ({k})".casefold() in taken:
                k += 1
            name = f"{name} ({k})"
        taken.add(name.casefold())
        out.append(name)
    return tuple(out)


# --------------------------------------------------------------------------
# Value shapes: numbers and dates
# --------------------------------------------------------------------------

_NUM_CLEAN = re.compile(r"[^0-9,.']")


def _decimal_votes(values: Sequence[str]) -> tuple[int, int]:
    """Return (comma-decimal votes, point-decimal votes) over text values."""
    comma = point = 0
    for value in values:
        s = _NUM_CLEAN.sub("", value)
        has_c, has_p = "," in s, "." in s
        if has_c and has_p:
            if s.rfind(",") > s.rfind("."):
                comma += 1
            else:
                point += 1
        elif has_c:
            if s.count(",") > 1:
                point += 1
            elif len(s) - s.rfind(",") - 1 != 3:
                comma += 1
        elif has_p:
            if s.count(".") > 1:
                comma += 1
            elif len(s) - s.rfind(".") - 1 != 3:
                point += 1
    return comma, point


def _decide_decimal(values: Sequence[str], default: str) -> str:
    comma, point = _decimal_votes(values)
    if comma > point:
        return ","
    if point > comma:
        return "."
    return default


_DATE_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "%Y/%m/%d"),
    (re.compile(r"\d{4}\.\d{1,2}\.\d{1,2}"), "%Y.%m.%d"),
    (re.compile(r"\d{8}"), "%Y%m%d"),
)
_DMY_SHAPES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    # pattern, day-first format, month-first format
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.\d{4}"), "%d.%m.%Y", "%m.%d.%Y"),
    (re.compile(r"(\d{1,2})\.(\d{1,2})\.\d{2}"), "%d.%m.%y", "%m.%d.%y"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/\d{4}"), "%d/%m/%Y", "%m/%d/%Y"),
    (re.compile(r"(\d{1,2})/(\d{1,2})/\d{2}"), "%d/%m/%y", "%m/%d/%y"),
    (re.compile(r"(\d{1,2})-(\d{1,2})-\d{4}"), "%d-%m-%Y", "%m-%d-%Y"),
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")


@dataclass(frozen=True)
class _DateShape:
    formats: tuple[str, ...]
    excel_serial: bool
    ambiguous: bool
    order: str | None


def _date_part(value: str) -> str:
    return value.strip().replace("T", " ").split(" ", 1)[0]


def _decide_dates(values: Sequence[str], date_order: str | None) -> _DateShape:
    """Decide the date formats of a column from its text values."""
    formats: list[str] = []
    serial = False
    dmy_evidence = mdy_evidence = 0
    day_month: list[tuple[str, str]] = []  # (dmy format, mdy format) seen
    for value in values:
        part = _date_part(value)
        if not part:
            continue
        for pattern, fmt in _DATE_SHAPES:
            if pattern.fullmatch(part):
                if fmt not in formats:
                    formats.append(fmt)
                break
        else:
            for pattern, dmy, mdy in _DMY_SHAPES:
                m = pattern.fullmatch(part)
                if m:
                    first, second = int(m.group(1)), int(m.group(2))
                    if first > 12 >= second:
                        dmy_evidence += 1
                    elif second > 12 >= first:
                        mdy_evidence += 1
                    if (dmy, mdy) not in day_month:
                        day_month.append((dmy, mdy))
                    break
            else:
                if _SERIAL.fullmatch(part):
                    serial = True
    ambiguous = False
    order = date_order
    if day_month and order is None:
        if dmy_evidence > mdy_evidence:
            order = "DMY"
        elif mdy_evidence > dmy_evidence:
            order = "MDY"
        elif all(dmy.startswith("%d.") for dmy, _ in day_month):
            order = "DMY"  # dotted dates are day-first in every locale that uses them
        else:
            ambiguous = True
            order = None
    for dmy, mdy in day_month:
        fmt = mdy if order == "MDY" else dmy
        if fmt not in formats:
            formats.append(fmt)
    if "%Y-%m-%d" not in formats:
        formats.append("%Y-%m-%d")
    return _DateShape(tuple(formats), serial, ambiguous, order if day_month else None)


# --------------------------------------------------------------------------
# Encodings and CSV dialect
# --------------------------------------------------------------------------

_CYRILLIC = re.compile(r"[А-яЁё]")


def detect_encoding(head: bytes) -> str:
    """Detect the encoding of a text file from its first bytes.

    Order: BOM (UTF-8, UTF-16 LE/BE), UTF-16 without BOM (NUL byte pattern),
    strict UTF-8, then cp1251 when the high bytes form Cyrillic words, else
    cp1252 (Western European, a superset of printable latin-1).

    Parameters
    ----------
    head : bytes
        The first bytes of the file (a megabyte is plenty).

    Returns
    -------
    str
        A Python codec name: ``utf-8-sig``, ``utf-16``, ``utf-16-le``,
        ``utf-16-be``, ``utf-8``, ``cp1251`` or ``cp1252``.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    probe = head[:4096]
    if len(probe) >= 4:
        even_nul = probe[0::2].count(0) / max(1, len(probe[0::2]))
        odd_nul = probe[1::2].count(0) / max(1, len(probe[1::2]))
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = head.decode("cp1251", errors="replace")
    letters = [m.start() for m in _CYRILLIC.finditer(text)]
    if letters:
        positions = set(letters)
        in_words = sum(1 for p in letters if p - 1 in positions or p + 1 in positions)
        if in_words / len(letters) > 0.6:
            return "cp1251"
    return "cp1252"


def _check_codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ImportFailed(t("Unknown text encoding {enc!r}.", enc=encoding)) from None


def _transcode(path: Path, encoding: str, out_dir: str | None = None) -> Path:
    """Write a UTF-8 copy of ``path`` (decoded from ``encoding``) in bounded-memory chunks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    fd, name = tempfile.mkstemp(prefix="kam-import-", suffix=".csv", dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            while chunk := src.read(_TRANSCODE_CHUNK):
                out.write(decoder.decode(chunk).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


@dataclass(frozen=True)
class _CsvLayout:
    encoding: str
    delimiter: str
    header_line: int  # physical line of the header (1-based)
    headers: tuple[str, ...]
    rows: list[list[str]]  # data records of the sample (after the header)


def _sample_text(path: Path, encoding: str) -> str:
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
        complete = len(head) < SAMPLE_BYTES
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if not complete:
        cut = text.rfind("\n")
        text = text[: cut + 1] if cut > 0 else text
    return text.lstrip("\ufeff")


def _records(text: str, delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    """Return (physical end line, cells) of the first ``limit`` records of ``text``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            out.append((reader.line_num, cells))
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _sniff_csv(text: str, delimiter: str | None, filename: str) -> tuple[str, int, list[str]]:
    """Find the delimiter and the header record. Returns (delimiter, header line, cells)."""
    candidates = (delimiter,) if delimiter else DELIMITERS
    best: tuple[float, ...] | None = None
    choice: tuple[str, int, list[str]] | None = None
    for delim in candidates:
        records = _records(text, delim, HEADER_SEARCH_ROWS + 200)
        nonblank = [(ln, c) for ln, c in records if any(x.strip() for x in c)]
        if not nonblank:
            continue
        for pos, (line, cells) in enumerate(nonblank[:HEADER_SEARCH_ROWS]):
            if len(cells) < 2 and delimiter is None:
                continue
            hits = _header_matches(cells)
            following = [len(c) for _, c in nonblank[pos + 1 : pos + 101]]
            consistent = (
                sum(1 for n in following if n == len(cells)) / len(following)
                if following else 1.0
            )
            score = (hits, round(consistent, 1), len(cells), -pos)
            if hits == 0:
                score = (0, round(consistent, 1), len(cells) if consistent > 0.5 else 0, -pos)
            if best is None or score > best:
                best, choice = score, (delim, line, cells)
    if choice is None:
        raise ImportFailed(t("{file}: no header row with at least two columns was found "
                             "(is it a sales table?).", file=filename))
    return choice


# --------------------------------------------------------------------------
# Reading the parts of a file
# --------------------------------------------------------------------------


@dataclass
class _Source:
    """A file prepared for import: headers, sample rows and how to read it all."""

    format: str
    encoding: str | None
    delimiter: str | None
    sheets: tuple[str, ...]
    sheet: str | None
    header_line: int
    headers: tuple[str, ...]
    sample_rows: list[list[Any]]  # raw cells of the first data rows
    csv_path: Path | None = None  # UTF-8 file DuckDB reads
    temp_files: list[Path] = field(default_factory=list)
    table_rows: Callable[[], Iterator[list[Any]]] | None = None  # xlsx: the data rows
    table_first_line: int = 0
    warnings: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for path in self.temp_files:
            with contextlib.suppress(OSError):
                path.unlink()


def _detect_format(path: Path, filename: str) -> str:
    from kam_analysis.filetypes import UnsupportedFile, detect_format

    try:
        return detect_format(path, filename)
    except UnsupportedFile as exc:
        raise ImportFailed(str(exc)) from None


def _open_source(path: Path, options: ImportOptions, filename: str, full: bool) -> _Source:
    if not path.exists():
        raise ImportFailed(t("{file}: file not found.", file=filename))
    fmt = _detect_format(path, filename)
    if fmt == "csv":
        return _open_csv(path, options, filename, full)
    if fmt == "xlsx":
        return _open_xlsx(path, options, filename, full)
    if fmt == "parquet":
        return _open_parquet(path, filename)
    raise ImportFailed(t("{file}: unsupported file type {fmt}.", file=filename, fmt=fmt))


def _open_csv(path: Path, options: ImportOptions, filename: str, full: bool) -> _Source:
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head.strip():
        raise ImportFailed(t("{file}: the file is empty.", file=filename))
    encoding = _check_codec(options.encoding) if options.encoding else detect_encoding(head)
    if options.delimiter is not None and (len(options.delimiter) != 1
                                          or options.delimiter in '"\r\n'):
        raise ImportFailed(t("The delimiter must be one character (not a quote or line "
                             "break), not {d!r}.",
                             d=options.delimiter))
    text = _sample_text(path, encoding)
    delimiter, header_line, cells = _sniff_csv(text, options.delimiter, filename)
    headers = unique_headers(cells)
    if len(headers) > IMPORT_MAX_COLUMNS:
        raise ImportFailed(t("{file}: too many columns ({n}).", file=filename, n=len(headers)))
    records = _records(text, delimiter, SAMPLE_ROWS + header_line + 50)
    rows = [c for ln, c in records if ln > header_line and any(x.strip() for x in c)]
    source = _Source("csv", encoding, delimiter, (), None, header_line, headers,
                     rows[:SAMPLE_ROWS])
    if full:
        codec = codecs.lookup(encoding).name
        if codec in ("utf-8", "utf-8-sig"):
            source.csv_path = path
        else:
            source.csv_path = _transcode(path, encoding)
            source.temp_files.append(source.csv_path)
    return source


def _cell_text(value: Any, decimal: str = ".") -> str | None:
    """Text of a spreadsheet/Parquet cell as the SQL parser expects it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return text.replace(".", ",") if decimal == "," else text
    return str(value)


def _open_xlsx(path: Path, options: ImportOptions, filename: str, full: bool) -> _Source:
    from kam_analysis.filetypes import UnsupportedFile, iter_sheet_rows, list_sheets, read_sheet

    try:
        sheets = tuple(list_sheets(path, filename=filename))
        if options.sheet is not None and options.sheet not in sheets:
            raise ImportFailed(t("{file}: there is no sheet {sheet!r} (sheets: {names}).",
                                 file=filename, sheet=options.sheet, names=", ".join(sheets)))
        sheet = options.sheet or _first_nonempty_sheet(path, sheets, filename)
        rows = read_sheet(path, sheet, max_rows=HEADER_SEARCH_ROWS + SAMPLE_ROWS,
                          filename=filename)
    except UnsupportedFile as exc:
        raise ImportFailed(str(exc)) from None
    header_idx = _xlsx_header_row(rows)
    if header_idx is None:
        raise ImportFailed(t("{file}: the sheet {sheet!r} is empty.", file=filename,
                             sheet=sheet or ""))
    following = rows[header_idx + 1 :]
    width = max([len(rows[header_idx]), *(len(r) for r in following)])
    header_cells = list(rows[header_idx]) + [None] * (width - len(rows[header_idx]))
    while len(header_cells) > 1 and header_cells[-1] is None:
        # a trailing column without a header is kept only if the data uses it
        last = len(header_cells) - 1
        if any(len(r) > last and r[last] is not None for r in following):
            break
        header_cells.pop()
    headers = unique_headers([_cell_text(c) for c in header_cells])
    source = _Source("xlsx", None, None, sheets, sheet, header_idx + 1, headers,
                     [list(r) for r in following if any(c is not None for c in r)])
    if full:
        def data_rows() -> Iterator[list[Any]]:
            try:
                rows = iter_sheet_rows(path, sheet, filename=filename)
                yield from itertools.islice(rows, header_idx + 1, None)
            except UnsupportedFile as exc:
                raise ImportFailed(str(exc)) from None

        source.table_rows = data_rows
        source.table_first_line = header_idx + 2
    return source


def _xlsx_header_row(rows: list[list[Any]]) -> int | None:
    """Index of the header row: the row naming most canonical fields; if none names
    any, the first row at least half as wide as the widest of the first rows."""
    candidates = [(i, [c for c in row if c is not None and str(c).strip()])
                  for i, row in enumerate(rows[:HEADER_SEARCH_ROWS])]
    candidates = [(i, cells) for i, cells in candidates if cells]
    if not candidates:
        return None
    scored = [(_header_matches([c for c in cells if isinstance(c, str)]), i, cells)
              for i, cells in candidates]
    best_hits = max(hits for hits, _, _ in scored)
    if best_hits > 0:
        return next(i for hits, i, _ in scored if hits == best_hits)
    widest = max(len(cells) for _, _, cells in scored)
    return next(i for _, i, cells in scored if (len(cells) * 2 >= widest and len(cells) >= 2)
                or widest == 1)


def _first_nonempty_sheet(path: Path, sheets: tuple[str, ...], filename: str) -> str | None:
    from kam_analysis.filetypes import read_sheet

    for name in sheets:
        rows = read_sheet(path, name, max_rows=50, filename=filename)
        if any(any(c is not None and str(c).strip() for c in r) for r in rows):
            return name
    return sheets[0] if sheets else None


def _open_parquet(path: Path, filename: str) -> _Source:
    try:
        names, rows = parquet_preview(str(path), SAMPLE_ROWS)
    except Exception as exc:  # DuckDB reports unreadable Parquet in many ways
        raise ImportFailed(t("{file}: cannot read the Parquet file ({error}).",
                             file=filename, error=str(exc).splitlines()[0])) from None
    headers = unique_headers(names)
    return _Source("parquet", None, None, (), None, 1, headers, [list(r) for r in rows])


# --------------------------------------------------------------------------
# Mapping and column plans
# --------------------------------------------------------------------------


def _resolve_mapping(headers: tuple[str, ...], options: ImportOptions,
                     filename: str) -> dict[str, str]:
    mapping = suggest_mapping(headers)
    if options.mapping:
        by_fold = {h.casefold(): h for h in headers}
        for field_name, header in options.mapping.items():
            if field_name not in FIELD_BY_NAME:
                raise ImportFailed(t("Unknown field {field!r}; fields are: {fields}.",
                                     field=field_name, fields=", ".join(FIELD_NAMES)))
            if header is None or not str(header).strip():
                mapping.pop(field_name, None)
                continue
            real = header if header in headers else by_fold.get(str(header).casefold())
            if real is None:
                raise ImportFailed(t(
                    "{file}: there is no column {header!r} for {field} (columns: {cols}).",
                    file=filename, header=header, field=field_name, cols=", ".join(headers)))
            for other, h in list(mapping.items()):
                if h == real and other != field_name and other not in options.mapping:
                    del mapping[other]
            mapping[field_name] = real
    return {f: mapping[f] for f in FIELD_NAMES if f in mapping}


def _column_values(rows: list[list[Any]], index: int) -> list[str]:
    out = []
    for row in rows:
        if index < len(row):
            value = row[index]
            if isinstance(value, str) and value.strip():
                out.append(value.strip())
    return out


def _analyse(source: _Source, mapping: dict[str, str], options: ImportOptions
             ) -> tuple[dict[str, str], _DateShape | None]:
    """Decide decimal separators of the number fields and the date shape."""
    index = {h: i for i, h in enumerate(source.headers)}
    number_fields = [f for f in mapping if FIELD_BY_NAME[f].kind == "number"]
    comma = point = 0
    for f in number_fields:
        c, p = _decimal_votes(_column_values(source.sample_rows, index[mapping[f]]))
        comma, point = comma + c, point + p
    default = "," if comma > point else "." if point > comma else (
        "," if source.delimiter in (";", "\t") else ".")
    decimals = {
        f: _decide_decimal(_column_values(source.sample_rows, index[mapping[f]]), default)
        for f in number_fields
    }
    shape = None
    if "order_date" in mapping:
        values = _column_values(source.sample_rows, index[mapping["order_date"]])
        shape = _decide_dates(values, options.date_order)
    return decimals, shape


def _sample_frame(source: _Source) -> pd.DataFrame:
    rows = []
    width = len(source.headers)
    for row in source.sample_rows[:PREVIEW_ROWS]:
        cells = [_cell_text(c) for c in row[:width]]
        rows.append(cells + [None] * (width - len(cells)))
    return pd.DataFrame(rows, columns=list(source.headers), dtype=object)


def _preview(source: _Source, options: ImportOptions, filename: str) -> FilePreview:
    if options.date_order not in (None, "DMY", "MDY"):
        raise ImportFailed(t("The date order must be DMY or MDY, not {v!r}.",
                             v=options.date_order))
    mapping = _resolve_mapping(source.headers, options, filename)
    decimals, shape = _analyse(source, mapping, options)
    missing = tuple(f for f in REQUIRED_FIELDS if f not in mapping)
    return FilePreview(
        filename=filename,
        format=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheets=source.sheets,
        sheet=source.sheet,
        header_line=source.header_line,
        headers=source.headers,
        mapping=mapping,
        missing_required=missing,
        date_order_ambiguous=bool(shape and shape.ambiguous),
        sample=_sample_frame(source),
        decimals=decimals,
        date_formats=shape.formats if shape else (),
        warnings=tuple(source.warnings),
    )


def inspect_file(
    path: str | Path, options: ImportOptions = ImportOptions(), *, filename: str | None = None
) -> FilePreview:
    """Look into a file without importing it.

    Parameters
    ----------
    path : str or Path
        The file (an upload saved to a temporary path is fine).
    options : ImportOptions
        Overrides (sheet, mapping, date order, encoding, delimiter).
    filename : str, optional
        The user's original file name, used in messages.

    Returns
    -------
    FilePreview
        Format, encoding, delimiter, sheets, header line and headers, the
        suggested mapping, missing required fields, whether the date order
        must be asked, and the first rows as raw text.

    Raises
    ------
    ImportFailed
        If the file cannot be read at all (wrong type, empty, no header).
    """
    path = Path(path)
    name = filename or path.name
    source = _open_source(path, options, name, full=False)
    try:
        return _preview(source, options, name)
    finally:
        source.cleanup()


def _messages(headers: dict[str, str]) -> ImportMessages:
    empty: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for f in FIELD_NAMES:
        header = headers.get(f, FIELD_BY_NAME[f].label)
        escaped = header.replace("{", "{{").replace("}", "}}")
        kind = FIELD_BY_NAME[f].kind
        empty[f] = t("column '{column}': the {what} is empty", column=header,
                     what=t(FIELD_BY_NAME[f].label).lower())
        if kind == "number":
            invalid[f] = t("column '{column}': '{value}' is not a number",
                           column=escaped, value="{}")
        elif kind == "date":
            invalid[f] = t("column '{column}': '{value}' is not a valid date",
                           column=escaped, value="{}")
        else:
            invalid[f] = t("column '{column}': '{value}' is not valid", column=escaped,
                           value="{}")
    broken = {
        "TOO MANY COLUMNS": t("the row has more cells than the header ({detail})",
                              detail="{detail}"),
        "UNQUOTED VALUE": t("a quote is not closed; the rest of the row could not be read "
                            "({detail})", detail="{detail}"),
        "INVALID ENCODING": t("the row is not valid text in the file's encoding ({detail})",
                              detail="{detail}"),
        "LINE SIZE OVER MAXIMUM": t("the row is too long ({detail})", detail="{detail}"),
        "": t("the row could not be read ({detail})", detail="{detail}"),
    }
    return ImportMessages(empty=empty, invalid=invalid, broken=broken)


_COUNT_CHUNK = 1 << 20


def _count_lines(path: Path) -> int:
    """Physical lines of a file (a last line without a line break counts).

    Read into one reused 1 MB buffer and counted with numpy: this runs beside
    DuckDB's read of the same file on a 2-core machine, where reading chunks into
    new bytes objects and ``bytes.count`` took 0.7 s of CPU for 1.4 GB and this
    takes 0.25 s (a memory map was as fast but counts the whole file towards the
    process's resident memory).
    """
    buffer = bytearray(_COUNT_CHUNK)
    view = np.frombuffer(buffer, dtype=np.uint8)
    lines, last = 0, 10
    with open(path, "rb", buffering=0) as f:
        while size := f.readinto(buffer):
            lines += int(np.count_nonzero(view[:size] == 10))
            last = int(view[size - 1])
    return lines + (0 if last == 10 else 1)


def _line_mapper(path: Path, delimiter: str, skip: int, ncols: int
                 ) -> Callable[[int, list[int]], tuple[list[int], list[int]] | None]:
    """Return the callback that gives exact physical lines when records != lines.

    The file's lines are counted in a background thread started right away, so
    the count overlaps DuckDB's read of the same file.
    """
    counted: list[int] = []

    def count_lines() -> None:
        counted.append(_count_lines(path))

    counter = threading.Thread(target=count_lines, name="kam-line-count", daemon=True)
    counter.start()

    def mapper(records: int, broken: list[int]) -> tuple[list[int], list[int]] | None:
        counter.join()
        if not counted:  # the count failed (file vanished?): number as DuckDB did
            return None
        lines = counted[0] - skip
        if not broken and lines == records:
            return None
        if lines == records + len(broken):
            # one record per line: DuckDB's own numbers for the broken rows are exact
            skipped = set(broken)
            kept = [n for n in range(skip + 1, skip + lines + 1) if n not in skipped]
            return kept, broken
        record_lines: list[int] = []
        broken_lines: list[int] = []
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
            for _ in range(skip):
                f.readline()
            reader = csv.reader(f, delimiter=delimiter, quotechar='"', strict=True)
            records = iter(reader)
            while True:
                start = skip + reader.line_num + 1
                try:
                    cells = next(records)
                except StopIteration:
                    break
                except csv.Error:
                    # DuckDB gives up on the rest of the file at a quote that is never
                    # closed; so does this scan.
                    broken_lines.append(start)
                    break
                if not cells:
                    continue
                if len(cells) > ncols:
                    broken_lines.append(start)
                else:
                    record_lines.append(start)
        return record_lines, broken_lines

    return mapper


def _table_source(source: _Source, plan_decimals: dict[int, str]) -> TableSource:
    """Spreadsheet rows as an Arrow table of text cells, built in bounded batches."""
    width = len(source.headers)
    names = ["line", *(f"c{i}" for i in range(width))]
    schema = pa.schema([pa.field("line", pa.int64()),
                        *(pa.field(f"c{i}", pa.string()) for i in range(width))])
    batches: list[pa.RecordBatch] = []
    rows = source.table_rows() if source.table_rows else iter(())
    line = source.table_first_line
    while True:
        chunk = list(itertools.islice(rows, 65536))
        if not chunk:
            break
        columns: list[list[Any]] = [list(range(line, line + len(chunk)))]
        line += len(chunk)
        for i in range(width):
            decimal = plan_decimals.get(i, ".")
            columns.append([_cell_text(r[i], decimal) if i < len(r) else None for r in chunk])
        batches.append(pa.RecordBatch.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
            names=names))
    return TableSource(pa.Table.from_batches(batches, schema=schema))


def import_file(
    db: Database,
    path: str | Path,
    dataset: str,
    options: ImportOptions = ImportOptions(),
    *,
    filename: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ImportResult:
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
        columns = [
            ImportColumn(
                field=f, index=index[h], header=h,
                decimal=preview.decimals.get(f, "."),
                date_formats=preview.date_formats if f == "order_date" else (),
                excel_serial=f == "order_date",
            )
            for f, h in preview.mapping.items()
        ]
        messages = _messages(preview.mapping)
        warnings: list[str] = list(preview.warnings)
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
            decimals = {c.index: c.decimal for c in columns}
            src = _table_source(source, decimals)

        def finish(stats: ImportStats) -> dict[str, Any]:
            if stats.blank_rows:
                warnings.append(t("Blank rows skipped: {n}.", n=stats.blank_rows))
            if stats.header_rows:
                warnings.append(t("Repeated header rows skipped: {n}.", n=stats.header_rows))
            if not stats.line_numbers_exact:
                warnings.append(t("Line numbers of rejected rows may be approximate "
                                  "(the file has quoting or encoding errors)."))
            if stats.rows_imported == 0:
                raise ImportFailed(_nothing_imported(name, stats))
            outcome["stats"] = stats
            return {
                "file": name, "format": source.format, "encoding": source.encoding,
                "delimiter": source.delimiter, "sheet": source.sheet,
                "header_line": source.header_line, "mapping": preview.mapping,
                "rows_read": stats.rows_read, "rows_imported": stats.rows_imported,
                "rows_rejected": stats.rows_rejected, "totals_dropped": stats.totals_dropped,
                "blank_rows": stats.blank_rows, "header_rows": stats.header_rows,
                "file_revenue_total": stats.file_revenue_total,
                "imported_revenue_total": stats.imported_revenue_total,
                "warnings": warnings,
            }

        outcome: dict[str, ImportStats] = {}

        def stage(fraction: float, message: str) -> None:
            report(0.05 + 0.95 * fraction, t(message))

        # A CSV file is first read the fast way; a malformed row makes DuckDB stop,
        # then the file is read again collecting such rows (and, if DuckDB's
        # parallel reader refuses the file, serially). Each retry starts afresh:
        # the failed attempt wrote nothing.
        while True:
            try:
                info = _run(db, dataset, src, columns, messages, finish, name,
                            options.currency, line_map, stage)
                break
            except CsvNeedsSerialScan:
                assert isinstance(src, CsvSource) and src.parallel
                src = dataclasses.replace(src, parallel=False)
            except CsvNeedsRejectScan:
                assert isinstance(src, CsvSource) and not src.scan_rejects
                src = dataclasses.replace(src, scan_rejects=True)
        stats = outcome["stats"]
        return ImportResult(
            dataset=info,
            rows_read=stats.rows_read,
            rows_imported=stats.rows_imported,
            rows_rejected=stats.rows_rejected,
            totals_dropped=stats.totals_dropped,
            file_revenue_total=stats.file_revenue_total,
            imported_revenue_total=stats.imported_revenue_total,
            rejects=stats.rejects,
            warnings=tuple(warnings),
            preview=preview,
        )
    finally:
        source.cleanup()


def _run(db: Database, dataset: str, src: CsvSource | ParquetSource | TableSource,
         columns: list[ImportColumn], messages: ImportMessages,
         finish: Callable[[ImportStats], dict[str, Any]], name: str, currency: str | None,
         line_map: Callable[[int, list[int]], tuple[list[int], list[int]] | None] | None,
         stage: Callable[[float, str], None]) -> DatasetInfo:
    return import_rows(db, dataset, src, columns, messages, finish=finish, source_name=name,
                       currency=currency, line_map=line_map, progress=stage)


def _nothing_imported(name: str, stats: ImportStats) -> str:
    if stats.rows_read == 0:
        return t("{file}: the file has a header but no data rows.", file=name)
    first = stats.rejects.head(3)
    reasons = "; ".join(
        t("line {line}, {reason}", line=int(r.source_line), reason=r.reason)
        for r in first.itertuples()
    )
    return t("{file}: none of the {n} rows could be imported. {reasons}",
             file=name, n=stats.rows_read, reasons=reasons)

