"""What numbers, currencies, totals rows, Excel serial dates, Persian and
Arabic-Indic digits and Jalali dates look like: import knowledge, handed to the
import SQL as bound values."""

from __future__ import annotations

from datetime import date

import jdatetime

from kam_analysis.db.import_sources import ImportPatterns

_CURRENCY_RE = (
    r"(?:[€$£¥₽₴₸₼₫﷼]|eur|usd|rub|chf|gbp|pln|uah|kzt|azn|vnd|vnđ|irr|руб\.?|р\.|р|грн\.?"
    r"|ریال|ريال|đ)"
)


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
    r"sub-total|summe|gesamt|gesamtsumme|gesamtergebnis|insgesamt|zwischensumme|endsumme|"
    r"cəmi|yekun|tổng cộng|tổng|cộng|جمع کل|جمع|مجموع)"
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


#: Persian (U+06F0..U+06F9) and Arabic-Indic (U+0660..U+0669) digits, and their ASCII forms.
NATIVE_DIGITS = "".join(chr(0x06F0 + i) for i in range(10)) + "".join(
    chr(0x0660 + i) for i in range(10))
ASCII_DIGITS = "0123456789" * 2
#: The Arabic thousands separator (٬) and decimal sign (٫).
ARABIC_THOUSANDS, ARABIC_DECIMAL = "\u066c", "\u066b"
#: Arabic yeh and kaf, and the Persian letters an id is stored with.
_ARABIC_LETTERS, _PERSIAN_LETTERS = "\u064a\u0643", "\u06cc\u06a9"

_NATIVE = {
    # ids: digits to ASCII, Arabic ي/ك to Persian ی/ک
    "text": (NATIVE_DIGITS + _ARABIC_LETTERS, ASCII_DIGITS + _PERSIAN_LETTERS),
    "date": (NATIVE_DIGITS, ASCII_DIGITS),
    # numbers: ٬ becomes a thousands separator both number shapes accept, ٫ the decimal
    ",": (NATIVE_DIGITS + ARABIC_THOUSANDS + ARABIC_DECIMAL, ASCII_DIGITS + "',"),
    ".": (NATIVE_DIGITS + ARABIC_THOUSANDS + ARABIC_DECIMAL, ASCII_DIGITS + "'."),
}

#: A Jalali (Solar Hijri) date, year first, in ASCII digits, optionally with a time.
JALALI_RE = r"^(1[34][0-9]{2})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2})(?:[ T].*)?$"
#: The Jalali years read (a Jalali column is one whose years fall in this range).
JALALI_FIRST_YEAR, JALALI_LAST_YEAR = 1300, 1499
#: The Gregorian date of 1 Farvardin of every Jalali year from the first to the last + 1.
JALALI_YEAR_STARTS: tuple[date, ...] = tuple(
    jdatetime.date(year, 1, 1).togregorian()
    for year in range(JALALI_FIRST_YEAR, JALALI_LAST_YEAR + 2))


#: The patterns the import SQL applies (bound as values).
IMPORT_PATTERNS = ImportPatterns(number=_NUMBER_RE, keep_digits=_KEEP_DIGITS_RE,
                                 totals=_TOTALS_RE, excel_serial=_EXCEL_SERIAL_RE,
                                 native=_NATIVE, jalali=JALALI_RE,
                                 jalali_first_year=JALALI_FIRST_YEAR,
                                 jalali_year_starts=JALALI_YEAR_STARTS)
