"""Exports in the user's language (issue 11, "Exports"): translated headers, sheet names and
words, a Parameters sheet a person reads, and CSV in the form the locale's Excel opens in
columns (list separator, decimal sign, UTF-8 with BOM), numbers staying numbers.

The expectations are written by hand from the catalogues (texts translated already);
texts added with this change are compared through ``t`` until they are translated.
"""

from __future__ import annotations

import contextvars
import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kam_analysis.analysis import analyze, migration
from kam_analysis.cli import main
from kam_analysis.db import Database, open_database
from kam_analysis.export import EXPORT_COLUMNS, csv_bytes, deferred, workbook_bytes, write_table
from kam_analysis.export_sheets import column_label
from kam_analysis.i18n import language, t
from kam_analysis.importing import ImportOptions, import_file
from tests.analysis_fixtures import PORTFOLIO, store
from tests.import_helpers import totals_by_customer

BOM = b"\xef\xbb\xbf"

#: Per language: CSV separator and decimal sign, headers of customer_id, customer_name,
#: value, share, rank, flags, key_reasons, account_types; the sheet names; the words.
EXPECTED = {
    "de": {
        "sep": ";", "decimal": ",",
        "headers": ["Kunden-ID", "Kundenname", "Wert", "Anteil", "Rang", "Kennzeichen",
                    "Warum Key Account", "Kundentypen"],
        "sheets": ["Key Accounts", "Alle Kunden", "ABC-XYZ-Matrix", "Konzentration",
                   "Parameter", "Migration"],
        "flags": "kurze Historie, verloren", "reasons": "Anteil ≥ Grenze, erste Hälfte des Werts",
        "types": "Ernährer", "non_positive": "kein positiver Wert",
        "params": {"Datensatz": "t", "Kennzahl": "Umsatz", "Periode": "Monat"},
        "rule": "Key-Account-Regel", "or": " oder ", "ten_percent": "10,0\u00a0%",
        "table": "Kunden",
    },
    "ru": {
        "sep": ";", "decimal": ",",
        "headers": ["ID клиента", "Название клиента", "Значение", "Доля", "Ранг", "Признаки",
                    "Почему ключевой", "Типы клиентов"],
        "sheets": ["Ключевые клиенты", "Все клиенты", "Матрица ABC-XYZ", "Концентрация",
                   "Параметры", "Миграция"],
        "flags": "короткая история, потерян",
        "reasons": "доля ≥ порога, первая половина объёма", "types": "кормилец",
        "non_positive": "нет положительного значения",
        "params": {"Набор данных": "t", "Показатель": "Выручка", "Период": "Месяц"},
        "rule": "Правило ключевого клиента", "or": " или ", "ten_percent": "10,0\u00a0%",
        "table": "Клиенты",
    },
    "fa": {
        "sep": ",", "decimal": ".",
        "headers": ["شناسه مشتری", "نام مشتری", "ارزش", "سهم", "رتبه", "هشدارها",
                    "دلیل کلیدی بودن", "نوع مشتری"],
        "sheets": ["مشتریان کلیدی", "همه مشتریان", "ماتریس ABC-XYZ", "تمرکز", "پارامترها",
                   "جابه\u200cجایی گروه\u200cها"],
        "flags": "سابقه کوتاه، از دست\u200cرفته", "reasons": "سهم ≥ حد، نیمه اول ارزش",
        "types": "مشتری نان\u200cآور", "non_positive": "بدون ارزش مثبت",
        "params": {"مجموعه داده": "t", "شاخص": "درآمد", "دوره": "ماه"},
        "rule": "قاعده مشتری کلیدی", "or": " یا ", "ten_percent": "۱۰٫۰",
        "table": "مشتریان",
    },
    "en": {
        "sep": ",", "decimal": ".",
        "headers": ["Customer ID", "Customer name", "Value", "Share", "Rank", "Flags",
                    "Why key", "Account types"],
        "sheets": ["Key accounts", "All customers", "ABC-XYZ matrix", "Concentration",
                   "Parameters", "Migration"],
        "flags": "short history, lost", "reasons": "share ≥ limit, first half of the value",
        "types": "breadwinner", "non_positive": "no positive value",
        "params": {"Dataset": "t", "Measure": "Revenue", "Period": "Month"},
        "rule": "Key-account rule", "or": " or ", "ten_percent": "10.0%",
        "table": "Customers",
    },
}
LANGS = list(EXPECTED)
#: Python text that must never reach a reader.
PYTHON_TEXT = ("KeyRule(", "Filters(", "=", "None", "True", "False", "nan", "abc_limit",
               "key_rule", "lost_after_days")


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": ["007", "=x"],
        "customer_name": ["Müller; Söhne", "Ъ, ی"],
        "value": [1234.5, -2.25],
        "share": [0.5, 0.125],
        "rank": pd.array([1, None], dtype="Int64"),
        "flags": ["short_history,lost", ""],
        "key_reasons": ["share,cumulative", ""],
        "account_types": ["breadwinner", ""],
        "first_purchase": [date(2024, 1, 31), date(2024, 12, 1)],
        "key_account": [True, False],
    })


def _number(cell: str, decimal: str) -> float:
    assert "'" not in cell and " " not in cell and "\u00a0" not in cell, cell
    other = "." if decimal == "," else ","
    assert other not in cell, f"{cell!r}: no thousands separator, no foreign decimal sign"
    return float(cell.replace(decimal, "."))


@pytest.mark.parametrize("lang", LANGS)
def test_csv_opens_in_columns_in_the_locales_excel(lang: str) -> None:
    want = EXPECTED[lang]
    with language(lang):
        data = csv_bytes(_table())
        yes, no = t("yes"), t("no")
        first_purchase = column_label("first_purchase")
    assert data.startswith(BOM)
    text = data[len(BOM):].decode("utf-8")
    sep, decimal = want["sep"], want["decimal"]
    assert text.split("\r\n")[0].split(sep)[:8] == want["headers"]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    header, first, second = rows[0], rows[1], rows[2]
    assert len(header) == len(first) == len(second) == 10
    col = dict(zip(["id", "name", "value", "share", "rank", "flags", "reasons", "types",
                    "first", "key"], range(10), strict=True))
    # Numbers: the locale's decimal sign, unquoted, no thousands separators, minus kept.
    assert _number(first[col["value"]], decimal) == 1234.5
    assert _number(second[col["value"]], decimal) == -2.25
    assert _number(first[col["share"]], decimal) == 0.5
    assert first[col["rank"]] == "1" and second[col["rank"]] == ""
    assert f"{sep}1234{decimal}5{sep}" in text and f"{sep}-2{decimal}25{sep}" in text
    # Text: formula-safe, separators inside a cell quoted; ids keep leading zeros.
    assert (first[col["id"]], second[col["id"]]) == ("007", "'=x")
    assert (first[col["name"]], second[col["name"]]) == ("Müller; Söhne", "Ъ, ی")
    # Dates ISO; codes in words.
    assert first[col["first"]] == "2024-01-31"
    assert first[col["flags"]] == want["flags"] and second[col["flags"]] == ""
    assert first[col["reasons"]] == want["reasons"]
    assert first[col["types"]] == want["types"]
    assert (first[col["key"]], second[col["key"]]) == (yes, no)
    assert header[col["first"]] == first_purchase != "first_purchase"


def test_csv_codes_is_the_stable_machine_form() -> None:
    with language("de"):
        text = csv_bytes(_table(), codes=True).decode("utf-8-sig")
    assert text.startswith("customer_id,customer_name,value,share,rank,flags,")
    back = pd.read_csv(io.StringIO(text), dtype={"customer_id": str}, keep_default_na=False)
    assert list(back["value"]) == [1234.5, -2.25]
    assert list(back["flags"]) == ["short_history,lost", ""]
    assert list(back["key_account"]) == [True, False]


@pytest.mark.parametrize("lang", LANGS)
def test_workbook_in_the_users_language(db: Database, lang: str) -> None:
    want = EXPECTED[lang]
    store(db, PORTFOLIO)
    res = analyze(db, "t")
    with language(lang):
        wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res, migration(db, "t"))))
    assert wb.sheetnames == want["sheets"]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    ws = wb[want["sheets"][1]]
    header = [c.value for c in ws[1]]
    codes = ("customer_id", "customer_name", "value", "share", "rank", "flags", "key_reasons",
             "account_types")
    assert [header[EXPORT_COLUMNS.index(c)] for c in codes] == want["headers"]
    assert not set(EXPORT_COLUMNS) & set(header)  # no code names as headers
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    value, share = EXPORT_COLUMNS.index("value"), EXPORT_COLUMNS.index("share")
    flags, reasons = EXPORT_COLUMNS.index("flags"), EXPORT_COLUMNS.index("key_reasons")
    assert rows["A1"][value] == 50 and rows["G7"][value] == -3  # numeric cells
    assert rows["A1"][share] == pytest.approx(0.5)
    assert isinstance(rows["A1"][EXPORT_COLUMNS.index("last_purchase")], datetime)
    comma = "، " if lang == "fa" else ", "  # the Persian comma in Persian
    assert rows["G7"][flags] == f'{want["non_positive"]}{comma}{want["flags"].split(comma)[0]}'
    assert want["reasons"].split(", ")[0] in rows["A1"][reasons]
    assert "%" in ws.cell(row=2, column=share + 1).number_format
    _check_parameters(wb[want["sheets"][4]], want)
    _check_pairs_are_readable(wb[want["sheets"][3]])


def _check_parameters(ws, want: dict) -> None:
    params = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True)}
    for name, value in want["params"].items():
        assert params[name] == value, name
    rule = params[want["rule"]]
    assert want["or"] in rule and want["ten_percent"] in rule, rule
    assert datetime(2024, 1, 10) in params.values()  # the window as real dates
    _check_pairs_are_readable(ws)


def _check_pairs_are_readable(ws) -> None:
    for name, value in ws.iter_rows(min_row=2, values_only=True):
        assert isinstance(name, str) and "_" not in name, name
        assert value is None or isinstance(value, int | float | datetime | str), (name, value)
        if isinstance(value, str):
            assert not any(bad in value for bad in PYTHON_TEXT), (name, value)
            assert "_" not in value, (name, value)


@pytest.mark.parametrize("lang", LANGS)
def test_xlsx_table_in_the_users_language(tmp_path: Path, lang: str) -> None:
    with language(lang):
        write_table(_table(), tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert ws.title == EXPECTED[lang]["table"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0][:8]) == EXPECTED[lang]["headers"]
    assert rows[1][2] == 1234.5 and rows[2][2] == -2.25 and rows[1][4] == 1
    assert rows[1][5] == EXPECTED[lang]["flags"] and rows[2][0] == "=x"


@pytest.mark.parametrize("lang", ["de", "ru", "fa"])
def test_localised_csv_reimports_by_its_own_headers(tmp_path: Path, lang: str) -> None:
    frame = pd.DataFrame({"customer_id": ["001", "002", "001"],
                          "order_date": [date(2024, 1, 2), date(2024, 2, 3), date(2024, 3, 4)],
                          "revenue": [1234.56, -0.5, 1000000.25]})
    path = tmp_path / f"{lang}.csv"
    with language(lang):
        path.write_bytes(csv_bytes(frame))
        mapping = {col: column_label(col) for col in frame.columns}
    db = open_database(tmp_path / "again.duckdb")
    try:
        result = import_file(db, path, "again", ImportOptions(mapping=mapping))
        assert result.rows_imported == 3
        got = {k: round(v, 2) for k, v in totals_by_customer(db, "again").items()}
        assert got == {"001": 1001234.81, "002": -0.5}
    finally:
        db.close()


def test_deferred_download_keeps_the_sessions_language() -> None:
    with language("de"):
        build = deferred(lambda: t("Customers").encode())
    with language("ru"):
        assert build() == b"Kunden"


def _classify(tmp_path: Path, out: str, *extra: str) -> Path:
    path = tmp_path / "cli.duckdb"
    if not path.exists():
        db = open_database(path)
        store(db, PORTFOLIO, "Sales 2024")
        db.close()
    target = tmp_path / out
    argv = ["classify", "--db", str(path), "--dataset", "Sales 2024", "--out", str(target),
            "--all", *extra]
    # main() sets the language of its context: run it in a copy, so no test after it
    # inherits the language.
    assert contextvars.copy_context().run(main, argv) == 0
    return target


def test_cli_classify_lang_and_kam_lang(tmp_path: Path, monkeypatch, capsys) -> None:
    text = _classify(tmp_path, "de.csv", "--lang", "de").read_bytes()
    assert text.startswith(BOM + ";".join(EXPECTED["de"]["headers"][:2]).encode())
    assert ";50,0;0,5;" in text.decode("utf-8-sig")  # value 50 (a float), share 0.5
    monkeypatch.setenv("KAM_LANG", "ru")
    text = _classify(tmp_path, "ru.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith(";".join(EXPECTED["ru"]["headers"][:2]))
    ws = openpyxl.load_workbook(_classify(tmp_path, "fa.xlsx", "--lang", "fa")).active
    assert ws.title == EXPECTED["fa"]["table"]
    assert [c.value for c in ws[1]][:2] == EXPECTED["fa"]["headers"][:2]
    text = _classify(tmp_path, "codes.csv", "--codes").read_text(encoding="utf-8-sig")
    assert text.startswith(",".join(EXPORT_COLUMNS))
    capsys.readouterr()
