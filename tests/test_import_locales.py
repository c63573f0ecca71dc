"""Exports of each locale import without a mapping: Iranian (Persian headers and
digits, Jalali dates, rials), Vietnamese (dong), Azerbaijani (manat), SAP (English
and German labels, trailing minus, MM/DD/YYYY) and a German ERP/DATEV export. The
files are written here; totals and dates are checked exactly."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import jdatetime
import pytest
import xlsxwriter

from kam_analysis.db import Database
from kam_analysis.importing import import_file, inspect_file, suggest_mapping
from tests.import_helpers import stored, totals_by_customer, write

PERSIAN = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")
ARABIC_INDIC = str.maketrans("0123456789,.", "٠١٢٣٤٥٦٧٨٩٬٫")


def _dates(db: Database, dataset: str) -> list[date]:
    return list(stored(db, dataset)["order_date"].dt.date)


# --- Iran -----------------------------------------------------------------------------

IRAN_HEADERS = ["ردیف", "شماره فاکتور", "تاریخ فاکتور", "کد مشتری", "نام مشتری",
                "نام کالا", "تعداد", "مبلغ (ریال)", "سود"]
IRAN_ROWS = [  # (invoice, Jalali date, customer code, name, rials, profit)
    ("1001", "1403/01/01", "501", "شرکت آلفا", "125,000,000", "12,500,000"),
    ("1002", "1375/10/12", "502", "فروشگاه بتا", "3,450,000", "450,000"),
    ("1003", "1402/12/29", "501", "شرکت آلفا", "98,000,000", "9,800,000"),
    ("1004", "1403/12/30", "503", "بازرگانی گاما", "1,000,000", "0"),
    ("1005", "1399/06/31", "502", "فروشگاه بتا", "-450,000", "-45,000"),
]
IRAN_DATES = [date(2024, 3, 20), date(1997, 1, 1), date(2024, 3, 19), date(2025, 3, 20),
              date(2020, 9, 21)]
IRAN_TOTALS = {"501": 223_000_000.0, "502": 3_000_000.0, "503": 1_000_000.0}


def _iran_cells() -> list[list[str]]:
    rows = []
    for n, (invoice, when, code, name, rials, profit) in enumerate(IRAN_ROWS, start=1):
        # Persian digits with ٬ thousands; some rows in Arabic-Indic digits, some in
        # ASCII digits with comma thousands.
        table = (PERSIAN, ARABIC_INDIC, None)[n % 3]
        cells = [str(n), invoice, when, code, name, "کالای " + str(n), "2", rials, profit]
        if table is not None:
            cells = [c.translate(table) for c in cells]
        rows.append(cells)
    return rows


def _write_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("فروش")
    for r, cells in enumerate([headers, *rows]):
        for c, value in enumerate(cells):
            sheet.write_string(r, c, value)
    workbook.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_iranian_export(db: Database, tmp_path: Path, kind: str) -> None:
    rows = _iran_cells()
    if kind == "csv":
        lines = [",".join(f'"{c}"' for c in cells) for cells in [IRAN_HEADERS, *rows]]
        path = write(tmp_path, "فروش.csv", "\r\n".join(lines) + "\r\n")
    else:
        path = tmp_path / "فروش.xlsx"
        _write_xlsx(path, IRAN_HEADERS, rows)
    result = import_file(db, path, "Iran")
    assert result.rows_rejected == 0, result.rejects
    assert result.preview.mapping["order_date"] == "تاریخ فاکتور"
    assert result.preview.mapping["revenue"] == "مبلغ (ریال)"
    assert result.preview.mapping["margin"] == "سود"
    assert result.preview.calendar == "jalali"
    assert result.dataset.summary["calendar"] == "jalali"
    assert any("Jalali" in w for w in result.warnings)
    assert totals_by_customer(db, "Iran") == IRAN_TOTALS
    assert _dates(db, "Iran") == IRAN_DATES
    frame = stored(db, "Iran")
    assert list(frame["document_id"]) == ["1001", "1002", "1003", "1004", "1005"]
    assert frame["margin"].sum() == 22_705_000


def test_jalali_dates_checked_against_known_days(db: Database, tmp_path: Path) -> None:
    known = {  # Jalali -> Gregorian (Nowruz, 1 January 1997, 11 February 1979, ...)
        "1375/10/12": date(1997, 1, 1), "1403/01/01": date(2024, 3, 20),
        "1404/01/01": date(2025, 3, 21), "1300/01/01": date(1921, 3, 21),
        "1399/12/30": date(2021, 3, 20), "1357/11/22": date(1979, 2, 11),
        "1403/05/12 14:30": date(2024, 8, 2),
    }
    text = "تاریخ;کد مشتری;مبلغ\n" + "".join(
        f"{j.translate(PERSIAN)};c{n};{n}\n" for n, j in enumerate(known))
    # 1402 has no 30 Esfand, and no month has 32 days: rejected, not moved
    text += "۱۴۰۲/۱۲/۳۰;bad;1\n1403/01/32;bad;1\n"
    result = import_file(db, write(tmp_path, "j.csv", text), "J")
    assert _dates(db, "J") == list(known.values())
    assert result.rows_rejected == 2
    assert list(result.rejects["source_line"]) == [9, 10]


# --- Vietnam, Azerbaijan --------------------------------------------------------------

VIETNAM = (
    "Số chứng từ,Ngày chứng từ,Mã khách hàng,Tên khách hàng,Tên hàng,Số lượng,"
    "Doanh thu,Lợi nhuận\n"
    "HD001,15/01/2025,KH01,Công ty TNHH Ánh Dương,Gạo,10,\"1.250.000\",\"250.000\"\n"
    "HD002,03/02/2025,KH02,Cửa hàng Minh Đức,Cà phê,5,\"12.500.000\",\"1.500.000\"\n"
    "HD003,28/02/2025,KH01,Công ty TNHH Ánh Dương,Trà,1,\"750.000\",\"-50.000\"\n"
    "HD004,01/03/2025,KH03,Tập đoàn Hòa Bình,Gạo,2,\"-1.250.000\",\"0\"\n"
)


@pytest.mark.parametrize("form", ["NFC", "NFD", "no tones"])
def test_vietnamese_export(db: Database, tmp_path: Path, form: str) -> None:
    header, body = VIETNAM.split("\n", 1)
    if form == "no tones":
        header = "".join(c for c in unicodedata.normalize("NFD", header)
                         if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")
    else:
        header = unicodedata.normalize(form, header)
    result = import_file(db, write(tmp_path, "doanhthu.csv", f"{header}\n{body}"), "VN")
    assert result.rows_rejected == 0, result.rejects
    assert set(result.preview.mapping) == {"customer_id", "customer_name", "order_date",
                                           "revenue", "margin", "quantity", "product",
                                           "document_id"}
    assert totals_by_customer(db, "VN") == {"KH01": 2_000_000.0, "KH02": 12_500_000.0,
                                            "KH03": -1_250_000.0}
    assert _dates(db, "VN") == [date(2025, 1, 15), date(2025, 2, 3), date(2025, 2, 28),
                                date(2025, 3, 1)]
    assert stored(db, "VN")["margin"].sum() == 1_700_000


AZERBAIJAN = (
    "Sənəd nömrəsi;Tarix;Müştəri kodu;Müştəri adı;Məhsul;Miqdar;Məbləğ (AZN);Mənfəət\n"
    "Q-1;05.01.2025;M001;Azər Ticarət MMC;Çay;3;1 250,50;125,05\n"
    "Q-2;17.01.2025;M002;Şəki İpək ASC;Xalça;1;1.250,50;300,00\n"
    "Q-3;02.02.2025;M001;Azər Ticarət MMC;Çay;2;12\u00a0345,67;1.234,57\n"
    "Q-4;28.02.2025;M003;Gəncə Üzüm;Üzüm;1;-99,99;-9,99\n"
    "Q-5;01.03.2025;M002;Şəki İpək ASC;Xalça;1;1.000.000,00;0\n"
)


@pytest.mark.parametrize("spelling", ["as written", "upper case", "without ə ü ş"])
def test_azerbaijani_export(db: Database, tmp_path: Path, spelling: str) -> None:
    header, body = AZERBAIJAN.split("\n", 1)
    if spelling == "upper case":
        header = header.replace("i", "İ").upper()
    elif spelling == "without ə ü ş":
        header = header.translate(str.maketrans("əüşğöçıƏÜŞĞÖÇ", "eusgociEUSGOC"))
    result = import_file(db, write(tmp_path, "satis.csv", f"{header}\n{body}"), "AZ")
    assert result.rows_rejected == 0, result.rejects
    assert len(result.preview.mapping) == 8
    assert totals_by_customer(db, "AZ") == {"M001": 13_596.17, "M002": 1_001_250.5,
                                            "M003": -99.99}
    assert _dates(db, "AZ")[1] == date(2025, 1, 17)
    assert round(stored(db, "AZ")["margin"].sum(), 2) == 1_649.63


# --- SAP, German ERP / DATEV ----------------------------------------------------------

SAP_EN = (
    "Billing Document\tBilling Date\tSold-to party\tName 1\tMaterial\tBilled Quantity\t"
    "Net Value\tDocument Currency\n"
    "90000001\t01/15/2025\t100017\tAcme Corp.\tM-01\t10\t1,234.56\tUSD\n"
    "90000002\t01/31/2025\t100018\tGlobex Ltd\tM-02\t1\t150.00\tUSD\n"
    "90000003\t02/03/2025\t100017\tAcme Corp.\tM-01\t1\t150.00-\tUSD\n"
    "90000004\t02/04/2025\t100018\tGlobex Ltd\tM-03\t2\t2,500.00\tUSD\n"
    "90000005\t03/12/2025\t100017\tAcme Corp.\tM-02\t1\t1,000.00-\tUSD\n"
)


def test_sap_english_export(db: Database, tmp_path: Path) -> None:
    result = import_file(db, write(tmp_path, "VF05.txt", SAP_EN), "SAP")
    assert result.rows_rejected == 0, result.rejects
    assert result.preview.mapping["customer_id"] == "Sold-to party"
    assert result.preview.mapping["customer_name"] == "Name 1"
    assert result.preview.mapping["revenue"] == "Net Value"
    assert result.preview.mapping["quantity"] == "Billed Quantity"
    assert totals_by_customer(db, "SAP") == {"100017": 84.56, "100018": 2_650.0}
    # month first: 01/31 says so, so 02/03 is the 3rd of February
    assert _dates(db, "SAP") == [date(2025, 1, 15), date(2025, 1, 31), date(2025, 2, 3),
                                 date(2025, 2, 4), date(2025, 3, 12)]


def test_sap_german_export(db: Database, tmp_path: Path) -> None:
    text = (
        "Faktura;Fakturadatum;Auftraggeber;Name des Auftraggebers;Material;"
        "Fakturierte Menge;Nettowert;Währung\n"
        "90000001;15.01.2025;100017;Müller GmbH;M-01;10;1.234,56;EUR\n"
        "90000002;03.02.2025;100017;Müller GmbH;M-01;1;1.234,56-;EUR\n"
        "90000003;04.02.2025;100020;Schäfer AG;M-02;2;12.000,00;EUR\n"
        "90000004;05.02.2025;100020;Schäfer AG;M-02;1;150,00-;EUR\n"
    )
    result = import_file(db, write(tmp_path, "VF05.csv", text, "cp1252"), "SAPDE")
    assert result.rows_rejected == 0, result.rejects
    assert totals_by_customer(db, "SAPDE") == {"100017": 0.0, "100020": 11_850.0}
    assert _dates(db, "SAPDE")[1] == date(2025, 2, 3)


def test_german_erp_datev_export(db: Database, tmp_path: Path) -> None:
    text = (
        "Umsatz (ohne Soll/Haben-Kz);Belegdatum;Belegfeld 1;Kundennummer;Kunde;Kost 1\n"
        "1.190,00;31.01.2025;RE-1;10001;Bäckerei Groß;100\n"
        "-190,00;01.02.2025;GS-1;10001;Bäckerei Groß;100\n"
        "25.000,50;13.02.2025;RE-2;10002;Öko Höfe eG;200\n"
    )
    result = import_file(db, write(tmp_path, "EXTF_Buchungsstapel.csv", text), "DATEV")
    assert result.rows_rejected == 0, result.rejects
    assert result.preview.mapping["revenue"] == "Umsatz (ohne Soll/Haben-Kz)"
    assert result.preview.mapping["document_id"] == "Belegfeld 1"
    assert totals_by_customer(db, "DATEV") == {"10001": 1_000.0, "10002": 25_000.5}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Kundennummer", "Debitor", "Belegdatum", "Umsatz"],
         {"customer_id": "Kundennummer", "order_date": "Belegdatum", "revenue": "Umsatz"}),
        (["Customer", "Name 1", "Billing Date", "Net Value"],
         {"customer_id": "Customer", "customer_name": "Name 1", "order_date": "Billing Date",
          "revenue": "Net Value"}),
        (["كد مشتري", "نام\u200cمشتری", "تاريخ", "مبلغ"],  # Arabic ي/ك, ZWNJ
         {"customer_id": "كد مشتري", "customer_name": "نام\u200cمشتری",
          "order_date": "تاريخ", "revenue": "مبلغ"}),
        (["MA KH", "TEN KH", "NGAY", "THANH TIEN (VND)"],
         {"customer_id": "MA KH", "customer_name": "TEN KH", "order_date": "NGAY",
          "revenue": "THANH TIEN (VND)"}),
        (["Musteri kodu", "Mablag", "Tarix", "Qazanc"],
         {"customer_id": "Musteri kodu", "order_date": "Tarix", "revenue": "Mablag",
          "margin": "Qazanc"}),
        (["Код контрагента", "Контрагент", "Дата документа", "Сумма без НДС"],
         {"customer_id": "Код контрагента", "customer_name": "Контрагент",
          "order_date": "Дата документа", "revenue": "Сумма без НДС"}),
    ],
)
def test_erp_and_locale_headers(headers: list[str], expected: dict[str, str]) -> None:
    assert suggest_mapping(headers) == expected


def test_gregorian_dates_in_persian_digits_stay_gregorian(tmp_path: Path,
                                                          db: Database) -> None:
    text = "Customer;Date;Amount\nA;۲۰۲۴-۰۳-۲۰;۱۲۳٫۵\nB;٢٠٢٥-٠١-٠١;٧٬٠٠٠\n"
    path = write(tmp_path, "g.csv", text)
    assert inspect_file(path).calendar == "gregorian"
    import_file(db, path, "G")
    assert _dates(db, "G") == [date(2024, 3, 20), date(2025, 1, 1)]
    assert totals_by_customer(db, "G") == {"A": 123.5, "B": 7000.0}


def test_every_jalali_day_converts_like_jdatetime(db: Database, tmp_path: Path) -> None:
    """Every day of the Jalali years read (1300-1499), against jdatetime."""
    day = jdatetime.date(1300, 1, 1)
    lines, expected = ["تاریخ,کد مشتری,مبلغ"], []
    while day.year < 1500:
        lines.append(f"{day.year}/{day.month:02d}/{day.day:02d},c,1")
        expected.append(day.togregorian())
        day += jdatetime.timedelta(days=1)
    result = import_file(db, write(tmp_path, "all.csv", "\n".join(lines)), "All")
    assert result.rows_imported == len(expected) > 73_000
    assert _dates(db, "All") == expected


@pytest.mark.parametrize("label", ["جمع کل", "Tổng cộng", "Cəmi", "Yekun:"])
def test_totals_rows_of_each_locale_are_dropped(db: Database, tmp_path: Path,
                                                label: str) -> None:
    text = f"Customer ID;Date;Amount\nA;2025-01-02;10\nB;2025-01-03;5\n{label};2025-01-31;15\n"
    result = import_file(db, write(tmp_path, "t.csv", text), "T")
    assert (result.rows_imported, result.totals_dropped) == (2, 1)


def test_ids_in_any_digits_and_normal_form_are_one_customer(db: Database,
                                                           tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Công ty Ánh Dương")
    text = ("Customer ID;Date;Amount\n۱۰۰۱;2025-01-02;10\n١٠٠١;2025-01-03;5\n1001;2025-01-04;1\n"
            f"Công ty Ánh Dương;2025-01-05;2\n{nfd};2025-01-06;3\nشركت;2025-01-07;4\n"
            "شرکت;2025-01-08;5\n")
    import_file(db, write(tmp_path, "ids.csv", text), "Ids")
    assert totals_by_customer(db, "Ids") == {"1001": 16.0, "Công ty Ánh Dương": 5.0,
                                             "شرکت": 9.0}
