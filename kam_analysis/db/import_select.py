"""The import's reading statement: one INSERT .. SELECT that parses every source
row into canonical columns plus a status and a reason. Identifiers and
expressions come from constants only; every value is bound."""

from __future__ import annotations

import re
from typing import Any

from kam_analysis.db.import_sources import (
    IMPORT_FIRST_DATE,
    IMPORT_LAST_DATE,
    IMPORT_MAX_AMOUNT,
    IMPORT_MAX_COLUMNS,
    CsvSource,
    ImportColumn,
    ImportMessages,
    ImportPatterns,
    ParquetSource,
    TableSource,
)
from kam_analysis.vocabulary import FIELD_BY_NAME, FIELD_NAMES


def _col(index: int) -> str:
    if not 0 <= int(index) < IMPORT_MAX_COLUMNS:
        raise ValueError(f"column index {index} out of range")
    return f"c{int(index)}"


def _number_sql(ref: str, decimal: str, slot: str, sign_ref: str | None = None
                ) -> tuple[str, str]:
    """Return (fast, slow) SQL for a number cell; the slow path validates the shape
    (the sign is read from ``sign_ref``, by default the cell)."""
    if decimal not in (",", "."):
        raise ValueError(f"decimal separator must be ',' or '.', not {decimal!r}")
    if decimal == ",":
        fast = (f"CASE WHEN NOT contains({ref}, '.') "
                f"THEN TRY_CAST(replace({ref}, ',', '.') AS DOUBLE) END")
    else:
        fast = f"TRY_CAST({ref} AS DOUBLE)"
    slow = (
        f"CASE WHEN regexp_full_match({ref}, ${slot}_re) THEN "
        f"(CASE WHEN regexp_matches({sign_ref or ref}, '[-−(]') THEN -1 ELSE 1 END) * "
        f"TRY_CAST(replace(regexp_replace({ref}, ${slot}_keep, '', 'g'), ${slot}_dec, '.') "
        f"AS DOUBLE) END"
    )
    return fast, slow


Source = CsvSource | ParquetSource | TableSource


def _source_sql(source: Source, raw_cols: list[str]) -> tuple[str, dict[str, Any]]:
    """The innermost SELECT: ``line`` then every source column as text."""
    if isinstance(source, CsvSource):
        params = dict(path=source.path, csv_columns={c: "VARCHAR" for c in raw_cols},
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
        return base, params
    if isinstance(source, ParquetSource):
        casts = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS {c}" for i, c in enumerate(raw_cols))
        base = f"SELECT CAST(NULL AS BIGINT) AS line, {casts} FROM read_parquet($path)"  # noqa: S608
        return base, {"path": source.path, "delim_raw": ";"}
    return "SELECT * FROM kam_import_table", {"delim_raw": ";"}


def _trimmed(ref: str) -> str:
    # Trim only cells that need it: trim() on every cell costs more than the scan,
    # and even the check for a leading or trailing space costs about 0.1 s per
    # column and 10 million rows.
    if ref == _col(0):
        # A byte order mark in the middle of the file (files joined together) starts
        # a line, so it is in the first cell: removed, like surrounding spaces.
        return (f"nullif(CASE WHEN prefix({ref}, ' ') OR suffix({ref}, ' ') "
                f"OR prefix({ref}, chr(65279)) THEN {_bom_free(ref)} ELSE {ref} END, '')")
    return (f"nullif(CASE WHEN prefix({ref}, ' ') OR suffix({ref}, ' ') "
            f"THEN trim({ref}) ELSE {ref} END, '')")


def _bom_free(ref: str) -> str:
    """The cell trimmed, and for the first column without a leading byte order mark."""
    return f"trim(ltrim({ref}, chr(65279)))" if ref == _col(0) else f"trim({ref})"


def _number_field(field: str, col: ImportColumn, patterns: ImportPatterns,
                  messages: ImportMessages, params: dict[str, Any]
                  ) -> tuple[list[str], list[str], list[str]]:
    """(layer 1, layer 2, checks) of a number field."""
    ref = _col(col.index)
    slot = f"n_{field}"
    params[f"{slot}_re"] = patterns.number[col.decimal]
    params[f"{slot}_keep"] = patterns.keep_digits[col.decimal]
    params[f"{slot}_dec"] = col.decimal
    params[f"{slot}_from"], params[f"{slot}_to"] = patterns.native[col.decimal]
    # The fast cast reads the cell as it is (DuckDB's cast ignores surrounding
    # spaces); only a cell it cannot read is trimmed, for the checks, the
    # messages and the slow path that validates the shape. Only a cell the slow
    # path cannot read either is read again with Persian and Arabic-Indic digits
    # and the Arabic signs translated (translate() costs about 5 µs a cell).
    fast, _ = _number_sql(ref, col.decimal, slot)
    layer1 = [f"{fast} AS {field}_fast",
              f"CASE WHEN isfinite({field}_fast) THEN {ref} ELSE {_trimmed(ref)} END "
              f"AS {field}_raw"]
    _, slow = _number_sql(f"{field}_raw", col.decimal, slot)
    _, native = _number_sql(f"translate({field}_raw, ${slot}_from, ${slot}_to)",
                            col.decimal, slot, sign_ref=f"{field}_raw")
    layer2 = [f"CASE WHEN isfinite({field}_fast) THEN {field}_fast "
              f"WHEN {field}_raw IS NULL THEN NULL ELSE coalesce({slow}, {native}) END "
              f"AS {field}"]
    checks = []
    if field != "revenue":
        layer2.append(f"{field}_raw")
        checks.append(f"WHEN {field}_raw IS NOT NULL AND {field} IS NULL "
                      f"THEN format(${field}_invalid, {field}_raw)")
    # A number beyond the accepted range (1e308 twice sums to inf) is rejected.
    params[f"{field}_range"] = messages.out_of_range.get(field, messages.invalid[field])
    checks.append(f"WHEN abs({field}) > $max_amount THEN format(${field}_range, {field}_raw)")
    return layer1, layer2, checks


def _jalali_field(field: str, col: ImportColumn, patterns: ImportPatterns,
                  params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(layer 1, layer 2) of a date field in the Jalali calendar: the day of the
    Jalali year added to the Gregorian date its year starts on (bound values)."""
    params["jalali_re"] = patterns.jalali
    params["jalali_first"] = patterns.jalali_first_year
    params["jalali_last"] = patterns.jalali_first_year + len(patterns.jalali_year_starts) - 2
    params["jalali_starts"] = list(patterns.jalali_year_starts)
    parts = f"{field}_jalali"
    y, m, d = (f"{field}_j{p}" for p in "ymd")
    # translate() costs about 5 µs a cell: only cells not already in ASCII digits pay.
    text = (f"CASE WHEN regexp_full_match({field}_raw, $jalali_re) THEN {field}_raw "
            f"ELSE translate({field}_raw, $date_from, $date_to) END")
    layer1 = [f"{_trimmed(_col(col.index))} AS {field}_raw",
              f"regexp_extract({text}, $jalali_re, ['y', 'm', 'd']) AS {parts}",
              *(f"TRY_CAST(struct_extract({parts}, '{p}') AS INTEGER) AS {field}_j{p}"
                for p in "ymd")]
    start = f"list_extract($jalali_starts, {y} - $jalali_first + 1)"
    year_days = f"list_extract($jalali_starts, {y} - $jalali_first + 2) - {start}"
    month_days = f"CASE WHEN {m} <= 6 THEN 31 WHEN {m} <= 11 THEN 30 ELSE {year_days} - 336 END"
    expr = (f"CASE WHEN {y} BETWEEN $jalali_first AND $jalali_last AND {m} BETWEEN 1 AND 12 "
            f"AND {d} BETWEEN 1 AND {month_days} THEN {start} + CASE WHEN {m} <= 7 "
            f"THEN ({m} - 1) * 31 ELSE 186 + ({m} - 7) * 30 END + {d} - 1 END")
    return layer1, [f"CAST({expr} AS DATE) AS {field}_parsed"]


def _date_field(field: str, col: ImportColumn, patterns: ImportPatterns,
                params: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(layer 1, layer 2) of the date field."""
    ref = _col(col.index)
    params["date_from"], params["date_to"] = patterns.native["date"]
    if col.calendar == "jalali":
        return _jalali_field(field, col, patterns, params)
    params["date_formats"] = list(col.date_formats)
    # The first format (the one the sample showed) alone first, on the cell as
    # it is (strptime ignores surrounding spaces): one format is cheaper to try
    # than the list. Only a cell it cannot read is trimmed and tried with the
    # list (same order).
    params["date_format"] = params["date_formats"][0]
    layer1 = [f"try_strptime({ref}, $date_format) AS {field}_first",
              f"CASE WHEN {field}_first IS NOT NULL THEN {ref} ELSE {_trimmed(ref)} END "
              f"AS {field}_raw"]
    # Persian or Arabic-Indic digits: only a cell no format reads is translated.
    expr = (f"CAST(coalesce({field}_first, try_strptime({field}_raw, $date_formats), "
            f"try_strptime(translate({field}_raw, $date_from, $date_to), $date_formats)) "
            f"AS DATE)")
    if col.excel_serial:
        expr = (
            f"COALESCE({expr}, CASE WHEN regexp_full_match({field}_raw, $excel_re) "
            f"THEN DATE '1899-12-30' + CAST(floor(TRY_CAST({field}_raw AS DOUBLE)) "
            f"AS INTEGER) END)"
        )
    return layer1, [f"{expr} AS {field}_parsed"]


def _field_layers(by_field: dict[str, ImportColumn], messages: ImportMessages,
                  patterns: ImportPatterns, params: dict[str, Any]
                  ) -> tuple[list[str], list[str], list[str]]:
    """Layer 1 (raw text per field), layer 2 (parsed values) and the extra checks."""
    layer1: list[str] = ["line"]
    layer2: list[str] = ["line"]
    checks: list[str] = []
    for field in FIELD_NAMES:
        col = by_field.get(field)
        if col is None:
            continue
        kind = FIELD_BY_NAME[field].kind
        params[f"{field}_empty"] = messages.empty[field]
        params[f"{field}_invalid"] = messages.invalid[field]
        if kind == "text":
            layer1.append(f"{_trimmed(_col(col.index))} AS {field}_raw")
            if col.native_text:
                params["text_from"], params["text_to"] = patterns.native["text"]
                layer2.append(f"nfc_normalize(translate({field}_raw, $text_from, $text_to)) "
                              f"AS {field}")
            else:
                layer2.append(f"{field}_raw AS {field}")
        elif kind == "number":
            one, two, more = _number_field(field, col, patterns, messages, params)
            layer1 += one
            layer2 += two
            checks += more
        else:
            one, two = _date_field(field, col, patterns, params)
            layer1 += one
            layer2 += two
    return layer1, layer2, checks


def _mapped(columns: list[ImportColumn]) -> dict[str, ImportColumn]:
    by_field = {c.field: c for c in columns}
    for required in ("customer_id", "order_date", "revenue"):
        if required not in by_field:
            raise ValueError(f"the import needs a column for {required}")
    unknown = set(by_field) - set(FIELD_NAMES)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    return by_field


_REASON = (
    "CASE WHEN customer_id IS NULL THEN $customer_id_empty "
    "WHEN order_date_raw IS NULL THEN $order_date_empty "
    "WHEN order_date_parsed IS NOT NULL AND order_date IS NULL "
    "THEN format($order_date_range, order_date_raw) "
    "WHEN order_date IS NULL THEN format($order_date_invalid, order_date_raw) "
    "WHEN revenue_raw IS NULL THEN $revenue_empty "
    "WHEN revenue IS NULL THEN format($revenue_invalid, revenue_raw) "
)
_STATUS = (
    "CASE WHEN customer_id_raw IS NULL AND first_text IS NULL THEN 'blank' "
    "WHEN customer_id_raw = $customer_id_header AND revenue_raw = $revenue_header "
    "THEN 'header' "
    "WHEN regexp_matches(coalesce(customer_id_raw, first_text), $totals_re) "
    "OR (order_date_raw IS NULL AND revenue_raw IS NOT NULL) "
    "THEN 'total' WHEN reason IS NOT NULL THEN 'reject' ELSE 'ok' END"
)
_IN_RANGE = (
    "CASE WHEN order_date_parsed BETWEEN CAST($first_date AS DATE) "
    "AND CAST($last_date AS DATE) "
    "THEN order_date_parsed END AS order_date"
)


def _import_select(
    source: Source,
    columns: list[ImportColumn],
    messages: ImportMessages,
    patterns: ImportPatterns,
    ncols: int,
) -> tuple[str, dict[str, Any]]:
    """Build the SELECT that parses every source row into canonical + status columns."""
    raw_cols = [_col(i) for i in range(ncols)]
    base, params = _source_sql(source, raw_cols)
    params.update(totals_re=patterns.totals, excel_re=patterns.excel_serial,
                  max_amount=IMPORT_MAX_AMOUNT, first_date=IMPORT_FIRST_DATE,
                  last_date=IMPORT_LAST_DATE,
                  order_date_range=messages.out_of_range.get(
                      "order_date", messages.invalid["order_date"]))
    by_field = _mapped(columns)
    # A row repeating the header (page headers of printed reports) is skipped.
    params["customer_id_header"] = by_field["customer_id"].header.strip()
    params["revenue_header"] = by_field["revenue"].header.strip()
    layer1, layer2, checks = _field_layers(by_field, messages, patterns, params)
    first_text = "coalesce(" + ", ".join(f"nullif({_bom_free(c)}, '')" for c in raw_cols) + ")"
    layer1.append(
        f"CASE WHEN customer_id_raw IS NULL OR order_date_raw IS NULL "
        f"THEN {first_text} END AS first_text"
    )
    layer1 += raw_cols
    layer2 += ["first_text", "customer_id_raw", "order_date_raw", "revenue_raw", *raw_cols]
    reason = _REASON + " ".join(checks) + " END"
    # Layers: 1 raw text per field, 2 parsed values, 3 date range, 4 reason, 5 status.
    # Identifiers and expressions are built from constants only; values are bound.
    sql = (
        f"SELECT *, {_STATUS} AS status FROM (SELECT *, {reason} AS reason FROM ("  # noqa: S608
        f"SELECT *, {_IN_RANGE} FROM ("
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
    "coalesce(order_date, DATE '1900-01-01'), "
    "coalesce(CASE WHEN abs(revenue) <= $max_amount THEN revenue END, 0), {margin}, {quantity}, "
    "{product}, CASE WHEN status = 'ok' THEN {category} ELSE status END, {region}, {manager}, "
    "CASE WHEN status = 'ok' THEN {document_id} ELSE reason END "
    "FROM ({select})"
)


def import_statement(
    source: Source,
    columns: list[ImportColumn],
    messages: ImportMessages,
    patterns: ImportPatterns,
) -> tuple[str, dict[str, Any]]:
    """Return the INSERT that reads ``source`` into ``transactions`` and its values.

    Readable rows go under ``$new_id`` (bound by the caller), every other row
    (rejected, totals, blank, repeated header) under ``-$new_id`` with its
    status in ``category``, its reason in ``document_id`` and the raw line in
    ``customer_name``.
    """
    ncols = source.columns if not isinstance(source, TableSource) else source.table.num_columns - 1
    select, params = _import_select(source, columns, messages, patterns, ncols)
    mapped = {c.field for c in columns}
    pieces = {f: (f if f in mapped else "NULL") for f in FIELD_NAMES}
    # The raw line is only built for rows that are not imported (it is costly).
    raw_line = "concat_ws($delim_raw, " + ", ".join(
        f"coalesce({_col(i)}, '')" for i in range(ncols)) + ")"
    return _IMPORT_INSERT.format(select=select, raw_line=raw_line, **pieces), params
