"""What is in a file before it is imported: the mapping of columns to canonical
fields, the value shapes, and a sample (:func:`inspect_file`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kam_analysis.i18n import t
from kam_analysis.importing.errors import ImportFailed
from kam_analysis.importing.headers import suggest_mapping
from kam_analysis.importing.options import DEFAULT_OPTIONS, ImportOptions
from kam_analysis.importing.sources import SourceLayout, _open_source, _Source
from kam_analysis.importing.values import (
    _cell_text,
    _column_values,
    _DateShape,
    _decide_dates,
    _decide_decimal,
    _decimal_votes,
    has_native_text,
)
from kam_analysis.vocabulary import FIELD_BY_NAME, FIELD_NAMES, REQUIRED_FIELDS

#: Rows shown in :attr:`FilePreview.sample`.
PREVIEW_ROWS = 20


@dataclass(frozen=True, kw_only=True)
class FilePreview(SourceLayout):
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
    mapping: dict[str, str]
    missing_required: tuple[str, ...]
    date_order_ambiguous: bool
    sample: pd.DataFrame
    #: Decimal separator decided per mapped number field.
    decimals: dict[str, str] = field(default_factory=dict)
    #: Date formats decided for the date column.
    date_formats: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The calendar of the date column: ``"gregorian"``, or ``"jalali"`` (Solar
    #: Hijri dates, converted to Gregorian dates on import).
    calendar: str = "gregorian"
    #: Id fields whose sample holds Persian or Arabic-Indic digits, Arabic ي/ك or
    #: text not in Unicode NFC: stored with ASCII digits, Persian ی/ک, in NFC.
    native_text: tuple[str, ...] = ()


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


#: Id fields whose Persian and Arabic-Indic digits are stored as ASCII digits.
_ID_FIELDS = ("customer_id", "document_id")


def _native_text(source: _Source, mapping: dict[str, str]) -> tuple[str, ...]:
    """The id fields whose sample holds Persian or Arabic-Indic digits, ي/ك or non-NFC text."""
    index = {h: i for i, h in enumerate(source.headers)}
    return tuple(f for f in _ID_FIELDS if f in mapping and has_native_text(
        _column_values(source.sample_rows, index[mapping[f]])))


def _calendar_note(shape: _DateShape | None, mapping: dict[str, str]) -> tuple[str, ...]:
    if shape is None or shape.calendar != "jalali":
        return ()
    return (t("The dates in column '{column}' are in the Iranian (Jalali) calendar; "
              "they are converted to Gregorian dates.", column=mapping["order_date"]),)


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
        **source.layout(),
        mapping=mapping,
        missing_required=missing,
        date_order_ambiguous=bool(shape and shape.ambiguous),
        sample=_sample_frame(source),
        decimals=decimals,
        date_formats=shape.formats if shape else (),
        warnings=(*source.warnings, *_calendar_note(shape, mapping)),
        calendar=shape.calendar if shape else "gregorian",
        native_text=_native_text(source, mapping),
    )


def inspect_file(
    path: str | Path, options: ImportOptions = DEFAULT_OPTIONS, *, filename: str | None = None
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
