"""Properties: amounts and ids written with Persian or Arabic-Indic digits (and the
Arabic thousands and decimal signs) import to the same values as their ASCII forms;
Gregorian dates written as Jalali dates import back to themselves."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import jdatetime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.db import Database
from kam_analysis.importing import import_file
from tests.import_helpers import stored, totals_by_customer, write

SCRIPTS = {"persian": "۰۱۲۳۴۵۶۷۸۹", "arabic-indic": "٠١٢٣٤٥٦٧٨٩"}
SEPARATORS = {",": (".", " ", ""), ".": (",", " ", "")}  # decimal -> thousands
SLOW = settings(max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _amount(cents: int, decimal: str, thousands: str) -> str:
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole:,}".replace(",", thousands) + f"{decimal}{frac:02d}"
    return f"-{text}" if cents < 0 else text


def _native(text: str, script: str, arabic_signs: bool, decimal: str, thousands: str) -> str:
    """``text`` in another script's digits; with ``arabic_signs`` also ٬ and ٫."""
    out = text.translate(str.maketrans("0123456789", SCRIPTS[script]))
    if arabic_signs:
        signs = {decimal: "٫"} | ({thousands: "٬"} if thousands else {})
        out = out.translate(str.maketrans(signs))
    return out


@SLOW
@given(sales=st.lists(st.tuples(st.integers(0, 30), st.integers(-10**11, 10**11)),
                      min_size=1, max_size=30),
       decimal=st.sampled_from(sorted(SEPARATORS)), data=st.data(),
       script=st.sampled_from(sorted(SCRIPTS)), arabic_signs=st.booleans())
def test_native_digits_parse_like_ascii(db: Database, tmp_path: Path,
                                        sales: list[tuple[int, int]], decimal: str,
                                        data: st.DataObject, script: str,
                                        arabic_signs: bool) -> None:
    thousands = data.draw(st.sampled_from(SEPARATORS[decimal]))
    files = {}
    for form in ("ascii", "native"):
        lines = ["کد مشتری;تاریخ;مبلغ"]
        for customer, cents in sales:
            cells = [str(1000 + customer), "2024-05-01", _amount(cents, decimal, thousands)]
            if form == "native":
                cells = [_native(c, script, arabic_signs and i == 2, decimal, thousands)
                         for i, c in enumerate(cells)]
            lines.append(";".join(cells))
        files[form] = write(tmp_path, f"{form}.csv", "\n".join(lines) + "\n")
    expected: dict[str, float] = {}
    for customer, cents in sales:
        expected[str(1000 + customer)] = expected.get(str(1000 + customer), 0) + cents
    totals = {}
    for form, path in files.items():
        result = import_file(db, path, form)
        assert result.rows_rejected == 0, result.rejects
        totals[form] = totals_by_customer(db, form)
    assert totals["native"] == totals["ascii"] == {k: v / 100 for k, v in expected.items()}


FIRST, LAST = date(1921, 3, 21), date(2121, 3, 20)  # 1300/01/01 .. 1499/12/29 or 30


@SLOW
@given(days=st.lists(st.integers(0, (LAST - FIRST).days), min_size=1, max_size=30),
       script=st.sampled_from(["ascii", *sorted(SCRIPTS)]),
       separator=st.sampled_from("/-."), padded=st.booleans())
def test_jalali_round_trip(db: Database, tmp_path: Path, days: list[int], script: str,
                           separator: str, padded: bool) -> None:
    dates = [FIRST + timedelta(days=d) for d in days]
    lines = ["Customer ID,Date,Amount"]
    for n, when in enumerate(dates):
        j = jdatetime.date.fromgregorian(date=when)
        assert j.togregorian() == when
        width = 2 if padded else 1
        text = separator.join([str(j.year), f"{j.month:0{width}d}", f"{j.day:0{width}d}"])
        if script != "ascii":
            text = text.translate(str.maketrans("0123456789", SCRIPTS[script]))
        lines.append(f"c{n},{text},1")
    result = import_file(db, write(tmp_path, "j.csv", "\n".join(lines) + "\n"), "J")
    assert result.preview.calendar == "jalali"
    assert result.rows_imported == len(dates), result.rejects
    assert list(stored(db, "J")["order_date"].dt.date) == dates
