"""Opening a file for import: CSV (encoding, delimiter and header row sniffed
together), XLSX (the header row found among the first rows) or Parquet; the
headers, a sample of rows, and how to read all of it."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from kam_analysis.db.import_sources import IMPORT_MAX_COLUMNS, TableSource, parquet_preview
from kam_analysis.i18n import t
from kam_analysis.importing.encoding import (
    LINE_WISE,
    LineEncodings,
    _check_codec,
    _transcode,
    decode_lines,
    detect_encoding,
    mixed_warning,
)
from kam_analysis.importing.errors import ImportFailed, UnsupportedFile
from kam_analysis.importing.filetypes import detect_format
from kam_analysis.importing.headers import _header_matches, unique_headers
from kam_analysis.importing.options import ImportOptions
from kam_analysis.importing.values import _cell_text
from kam_analysis.importing.workbook import list_sheets
from kam_analysis.importing.xlsx_read import first_sheet_with_values, iter_sheet_rows, read_sheet

#: Bytes read from the start of a CSV file to detect encoding, delimiter and header.
SAMPLE_BYTES = 1 << 20


#: Records of the sample used to decide number and date shapes.
SAMPLE_ROWS = 5000


#: Rows searched for the header row.
HEADER_SEARCH_ROWS = 40


DELIMITERS = (";", ",", "\t", "|")


def _sample_text(path: Path, encoding: str, seen: LineEncodings) -> str:
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
        complete = len(head) < SAMPLE_BYTES
    if codecs.lookup(encoding).name in LINE_WISE:
        if not complete and b"\n" in head:
            head = head[: head.rfind(b"\n") + 1]
        return decode_lines(head, encoding, 1, seen).lstrip("\ufeff")
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
    widest = 0
    for delim in candidates:
        records = _records(text, delim, HEADER_SEARCH_ROWS + 200)
        nonblank = [(ln, c) for ln, c in records if any(x.strip() for x in c)]
        if not nonblank:
            continue
        seen: set[tuple[str, ...]] = set()
        for pos, (line, cells) in enumerate(nonblank[:HEADER_SEARCH_ROWS]):
            if len(cells) < 2 and delimiter is None:
                continue
            # A row repeating an earlier one (a page header repeated in a report) is
            # never the header: taking it would skip every record above it uncounted.
            key = tuple(c.strip().casefold() for c in cells)
            if key in seen:
                continue
            seen.add(key)
            if len(cells) > IMPORT_MAX_COLUMNS:
                # the column limit before any scoring: scoring 20,000 cells took 18 s
                widest = max(widest, len(cells))
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
    if choice is None and widest:
        raise ImportFailed(t("{file}: too many columns ({n}).", file=filename, n=widest))
    if choice is None:
        raise ImportFailed(t("{file}: no header row with at least two columns was found "
                             "(is it a sales table?).", file=filename))
    return choice


@dataclass(frozen=True)
class SourceLayout:
    """Where the table of a file is: format, CSV encoding and delimiter, XLSX sheets
    and the sheet read, the 1-based header line and the (unique) headers."""

    format: str
    encoding: str | None
    delimiter: str | None
    sheets: tuple[str, ...]
    sheet: str | None
    header_line: int
    headers: tuple[str, ...]

    def layout(self) -> dict[str, Any]:
        """The :class:`SourceLayout` fields of this object by name."""
        return {f.name: getattr(self, f.name) for f in fields(SourceLayout)}


@dataclass(frozen=True)
class _Source(SourceLayout):
    """A file prepared for import: headers, sample rows and how to read it all."""

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
    seen = LineEncodings()
    text = _sample_text(path, encoding, seen)
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
            source = replace(source, csv_path=path)
        else:
            seen = LineEncodings()
            csv_path = _transcode(path, encoding, seen=seen)
            source = replace(source, csv_path=csv_path, temp_files=[csv_path])
    mixed = mixed_warning(encoding, seen)
    if mixed:
        source.warnings.append(mixed)
    return source


def _open_xlsx(path: Path, options: ImportOptions, filename: str, full: bool) -> _Source:
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

        return replace(source, table_rows=data_rows, table_first_line=header_idx + 2)
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
    # One safety check of the whole workbook, not one per sheet (a workbook of
    # 1,000 empty sheets took 35 s when every sheet was checked on its own).
    chosen = first_sheet_with_values(path, filename)
    if chosen is not None:
        return chosen
    return sheets[0] if sheets else None


def _open_parquet(path: Path, filename: str) -> _Source:
    try:
        names, rows = parquet_preview(str(path), SAMPLE_ROWS)
    except Exception as exc:  # DuckDB reports unreadable Parquet in many ways
        raise ImportFailed(t("{file}: cannot read the Parquet file ({error}).",
                             file=filename, error=str(exc).splitlines()[0])) from None
    headers = unique_headers(names)
    return _Source("parquet", None, None, (), None, 1, headers, [list(r) for r in rows])


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
