"""Header matching, header cleaning, encoding detection and value-shape decisions."""

from __future__ import annotations

import pytest

from kam_analysis.importing import (
    detect_encoding,
    normalize_header,
    suggest_mapping,
    unique_headers,
)
from kam_analysis.importing.values import _decide_dates, _decide_decimal


def test_normalize_header() -> None:
    assert normalize_header("  Кол-во, шт. ") == "кол во шт"
    assert normalize_header("Kunden-Nr.") == "kunden nr"
    assert normalize_header("CUSTOMER_ID") == "customer id"
    assert normalize_header("Ёлка") == "елка"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Customer ID", "Customer", "Invoice Date", "Net Sales", "Qty", "Gross Profit"],
         {"customer_id": "Customer ID", "customer_name": "Customer",
          "order_date": "Invoice Date", "revenue": "Net Sales", "quantity": "Qty",
          "margin": "Gross Profit"}),
        (["Kundennummer", "Kunde", "Rechnungsdatum", "Nettoumsatz", "Deckungsbeitrag",
          "Menge", "Artikel", "Warengruppe", "Vertreter", "Gebiet", "Belegnummer"],
         {"customer_id": "Kundennummer", "customer_name": "Kunde",
          "order_date": "Rechnungsdatum", "revenue": "Nettoumsatz",
          "margin": "Deckungsbeitrag", "quantity": "Menge", "product": "Artikel",
          "category": "Warengruppe", "manager": "Vertreter", "region": "Gebiet",
          "document_id": "Belegnummer"}),
        (["Код клиента", "Контрагент", "Период", "Сумма продаж", "Валовая прибыль",
          "Количество", "Номенклатура", "Менеджер", "Регион", "Документ"],
         {"customer_id": "Код клиента", "customer_name": "Контрагент",
          "order_date": "Период", "revenue": "Сумма продаж", "margin": "Валовая прибыль",
          "quantity": "Количество", "product": "Номенклатура", "manager": "Менеджер",
          "region": "Регион", "document_id": "Документ"}),
        (["Покупатель", "Дата", "Выручка"],
         {"customer_id": "Покупатель", "order_date": "Дата", "revenue": "Выручка"}),
        (["Debitor", "Datum", "Umsatz EUR", "Umsatz inkl. MwSt"],
         {"customer_id": "Debitor", "order_date": "Datum", "revenue": "Umsatz EUR"}),
        (["Client", "Date", "Сумма без НДС", "Сумма НДС"],
         {"customer_id": "Client", "order_date": "Date", "revenue": "Сумма без НДС"}),
        (["Kunde", "Kundenname", "Datum", "Umsatz"],
         {"customer_id": "Kunde", "customer_name": "Kundenname", "order_date": "Datum",
          "revenue": "Umsatz"}),
    ],
)
def test_suggest_mapping(headers: list[str], expected: dict[str, str]) -> None:
    assert suggest_mapping(headers) == expected


def test_unique_headers() -> None:
    assert unique_headers(["Sum", "sum", None, "", "Sum (2)", " A  b "]) == (
        "Sum", "sum (2)", "Column 3", "Column 4", "Sum (2) (2)", "A b")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Kunde;Straße\nMüller;1,5\n".encode(), "utf-8"),
        (b"\xef\xbb\xbfa;b\n", "utf-8-sig"),
        ("a\tb\n".encode("utf-16"), "utf-16"),
        ("Контрагент;Сумма\nООО Ромашка;1,5\n".encode("cp1251"), "cp1251"),
        ("Kunde;Straße\nMüller Größe;Bäckerei\n".encode("cp1252"), "cp1252"),
        ("Café;Crème brûlée\n".encode("latin-1"), "cp1252"),
        ("Code;Date\n".encode("utf-16-le"), "utf-16-le"),
        ("Code;Date\n".encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


@pytest.mark.parametrize(
    ("values", "default", "expected"),
    [
        (["1,5", "2"], ".", ","),
        (["1.5", "2"], ",", "."),
        (["1.234,50"], ".", ","),
        (["1,234.50"], ",", "."),
        (["1.234", "2.345.678"], ".", ","),
        (["1,234", "2,345,678"], ",", "."),
        (["1.234"], ",", ","),       # cannot tell: the file-level default decides
        (["1 234"], ".", "."),
    ],
)
def test_decide_decimal(values: list[str], default: str, expected: str) -> None:
    assert _decide_decimal(values, default) == expected


def test_decide_dates() -> None:
    shape = _decide_dates(["01/02/2024", "13/02/2024"], None)
    assert (shape.order, shape.ambiguous) == ("DMY", False)
    assert shape.formats[0] == "%d/%m/%Y"
    shape = _decide_dates(["01/02/2024", "02/13/2024"], None)
    assert (shape.order, shape.ambiguous) == ("MDY", False)
    assert _decide_dates(["01/02/2024", "03/04/2024"], None).ambiguous
    assert not _decide_dates(["01/02/2024"], "MDY").ambiguous
    assert _decide_dates(["01.02.2024"], None).order == "DMY"
    assert _decide_dates(["45323"], None).excel_serial
    assert _decide_dates(["2024-02-01"], None).formats == ("%Y-%m-%d",)
