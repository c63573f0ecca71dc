"""What numbers, currencies, totals rows and Excel serial dates look like: import
knowledge, handed to the import SQL as bound values."""

from __future__ import annotations

from kam_analysis.db.import_sources import ImportPatterns

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


def with_time_formats(formats: tuple[str, ...]) -> list[str]:
    """The date formats, each also followed by the time-of-day shapes ERP exports use."""
    times = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f",
             "T%H:%M:%SZ", "T%H:%M:%S.%fZ", "T%H:%M")
    return [f + t for t in times for f in formats]


#: The patterns the import SQL applies (bound as values).
IMPORT_PATTERNS = ImportPatterns(number=_NUMBER_RE, keep_digits=_KEEP_DIGITS_RE,
                                 totals=_TOTALS_RE, excel_serial=_EXCEL_SERIAL_RE)
