"""Property: the same sales written in any supported CSV dialect import to the same totals."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.db import Database
from kam_analysis.importing import ImportOptions, import_file
from tests.import_helpers import totals_by_customer

HEADERS = {
    "en": ("Customer ID", "Customer", "Invoice date", "Net sales", "Quantity"),
    "de": ("Kundennummer", "Kunde", "Rechnungsdatum", "Nettoumsatz", "Menge"),
    "ru": ("Код клиента", "Контрагент", "Дата", "Сумма продаж", "Количество"),
}
NAMES = {"en": "Client {}", "de": "Müller & Söhne {}", "ru": "ООО Ёлка {}"}
DATE_FORMATS = {  # strftime format, date order to pass
    "iso": ("%Y-%m-%d", None),
    "dmy_dot": ("%d.%m.%Y", None),
    "dmy_slash": ("%d/%m/%Y", "DMY"),
    "mdy_slash": ("%m/%d/%Y", "MDY"),
    "compact": ("%Y%m%d", None),
    "iso_time": ("%Y-%m-%d %H:%M:%S", None),
}
SEPARATORS = {  # decimal -> thousands separators that can go with it
    ",": (".", " ", "\u00a0", "'", ""),
    ".": (",", " ", "'", ""),
}

sale = st.tuples(
    st.integers(min_value=0, max_value=7),                  # customer
    st.integers(min_value=0, max_value=700),                # day offset
    st.integers(min_value=-5_000_000, max_value=90_000_000),  # cents
)


@st.composite
def dialects(draw: st.DrawFn) -> dict[str, object]:
    language = draw(st.sampled_from(sorted(HEADERS)))
    encodings = {"en": ["utf-8", "utf-8-sig", "utf-16", "cp1252", "cp1251"],
                 "de": ["utf-8", "utf-8-sig", "utf-16", "cp1252"],
                 "ru": ["utf-8", "utf-8-sig", "utf-16", "cp1251"]}[language]
    decimal = draw(st.sampled_from(sorted(SEPARATORS)))
    return {
        "language": language,
        "encoding": draw(st.sampled_from(encodings)),
        "delimiter": draw(st.sampled_from([";", ",", "\t", "|"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        "decimal": decimal,
        "thousands": draw(st.sampled_from(SEPARATORS[decimal])),
        "dates": draw(st.sampled_from(sorted(DATE_FORMATS))),
        "negative": draw(st.sampled_from(["minus", "parentheses"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
    }


def _amount(cents: int, decimal: str, thousands: str, negative: str) -> str:
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}".replace(",", thousands)
    text = f"{digits}{decimal}{frac:02d}"
    if cents < 0:
        return f"({text})" if negative == "parentheses" else f"-{text}"
    return text


def _write(path: Path, sales: list[tuple[int, int, int]], d: dict[str, object]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=str(d["delimiter"]), quoting=int(d["quoting"]),
                        lineterminator=str(d["newline"]))
    language = str(d["language"])
    writer.writerow(HEADERS[language])
    fmt = DATE_FORMATS[str(d["dates"])][0]
    for customer, day, cents in sales:
        when = date(2023, 1, 1) + timedelta(days=day)
        writer.writerow([
            f"{customer:05d}", NAMES[language].format(customer),
            when.strftime(fmt) if "%H" not in fmt else when.strftime("%Y-%m-%d") + " 13:45:00",
            _amount(cents, str(d["decimal"]), str(d["thousands"]), str(d["negative"])),
            str(1 + customer),
        ])
    path.write_bytes(out.getvalue().encode(str(d["encoding"])))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sales=st.lists(sale, min_size=1, max_size=40), dialect=dialects(), data=st.data())
def test_any_dialect_imports_to_the_same_customer_totals(
    db: Database, tmp_path: Path, sales: list[tuple[int, int, int]],
    dialect: dict[str, object], data: st.DataObject,
) -> None:
    shuffled = data.draw(st.permutations(sales))
    path = tmp_path / "sales.csv"
    _write(path, shuffled, dialect)
    order = DATE_FORMATS[str(dialect["dates"])][1]
    result = import_file(db, path, "Property", ImportOptions(date_order=order))
    expected: dict[str, int] = {}
    for customer, _day, cents in sales:
        expected[f"{customer:05d}"] = expected.get(f"{customer:05d}", 0) + cents
    assert result.rows_imported == len(sales), result.reject_lines()
    assert result.rows_rejected == 0
    assert totals_by_customer(db, "Property") == {k: v / 100 for k, v in expected.items()}
    assert round(result.imported_revenue_total * 100) == sum(expected.values())
