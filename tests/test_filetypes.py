"""File-type detection from the content and the upload limit."""

from __future__ import annotations

import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.importing import (
    UnsupportedFile,
    detect_format,
    filetypes,
    read_sheet,
    upload_limit_bytes,
)
from tests.filetypes_samples import (
    PDF,
    _cfb,
    _sales_workbook,
    _zip,
)

# ---------------------------------------------------------------------------
# detect_format
# ---------------------------------------------------------------------------


def test_detects_real_xlsx_csv_and_parquet(tmp_path: Path) -> None:
    xlsx = _sales_workbook(tmp_path / "upload.bin")
    assert detect_format(xlsx) == "xlsx"

    csv = tmp_path / "sales.xlsx"  # name lies; content decides
    csv.write_text("customer;date;revenue\n00017;05.01.2024;1 234,50\n", encoding="cp1251")
    assert detect_format(csv) == "csv"

    parquet = tmp_path / "sales.csv"
    pq.write_table(pa.table({"customer": ["00017"], "revenue": [1.5]}), parquet)
    assert detect_format(parquet) == "parquet"


def test_utf16_text_with_bom_is_csv(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("Kunde\tUmsatz\nMüller\t12,50\n".encode("utf-16"))  # BOM + NUL bytes
    assert detect_format(path) == "csv"


def test_only_delimiters_and_long_emoji_headers_are_text(tmp_path: Path) -> None:
    delims = tmp_path / "d.csv"
    delims.write_text(";;;;\n;;;;\n", encoding="utf-8")
    assert detect_format(delims) == "csv"
    header = tmp_path / "h.csv"
    header.write_text(("😀" + "x" * 300) + ",b\n1,2\n", encoding="utf-8")
    assert detect_format(header) == "csv"


@pytest.mark.parametrize("name", ["report.csv", "report.xlsx"])
def test_pdf_is_refused_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "upload.tmp"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match=rf"^{name.replace('.', '[.]')}: a PDF document"):
        detect_format(path, filename=name)


def test_message_uses_path_name_without_filename(tmp_path: Path) -> None:
    path = tmp_path / "scan.csv"
    path.write_bytes(PDF)
    with pytest.raises(UnsupportedFile, match=r"^scan\.csv: a PDF document\. Export"):
        detect_format(path)


def test_encrypted_workbook_is_refused_as_password_protected(tmp_path: Path) -> None:
    path = _cfb(tmp_path / "x.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    with pytest.raises(UnsupportedFile, match="password-protected") as info:
        detect_format(path, filename="Budget.xlsx")
    assert str(info.value).startswith("Budget.xlsx: ")
    assert "Remove the password in Excel" in str(info.value)


def test_legacy_xls_is_refused_with_save_as_advice(tmp_path: Path) -> None:
    path = _cfb(tmp_path / "old.xls", ["Workbook", "\x05SummaryInformation"])
    with pytest.raises(UnsupportedFile, match=r"old Excel \.xls format.*save it as \.xlsx or CSV"):
        detect_format(path)


def test_xlsb_is_refused(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "b.xlsx",
        {"[Content_Types].xml": "<Types/>", "xl/workbook.bin": b"\x83\x01\x00"},
    )
    with pytest.raises(UnsupportedFile, match=r"Excel binary workbook \(\.xlsb\).*\.xlsx or CSV"):
        detect_format(path)


def test_docx_ods_and_plain_zip_are_refused_by_kind(tmp_path: Path) -> None:
    docx = _zip(
        tmp_path / "a.xlsx",
        {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"},
    )
    with pytest.raises(UnsupportedFile, match=r"Word document"):
        detect_format(docx)
    ods = _zip(
        tmp_path / "b.xlsx",
        {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
    )
    with pytest.raises(UnsupportedFile, match=r"OpenDocument spreadsheet \(\.ods\)"):
        detect_format(ods)
    plain = _zip(tmp_path / "c.csv", {"sales.csv": "a,b\n1,2\n"})
    with pytest.raises(UnsupportedFile, match=r"zip archive.*Extract it"):
        detect_format(plain)


def test_images_gzip_empty_and_garbage_are_refused(tmp_path: Path) -> None:
    cases = {
        "png": (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        "jpg": (b"\xff\xd8\xff\xe0" + bytes(100), "JPEG image"),
        "gif": (b"GIF89a" + bytes(100), "GIF image"),
        "gz": (b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
        "empty": (b"", "empty"),
        "garbage": (bytes(range(256)) * 64, "binary data"),
    }
    for key, (content, expected) in cases.items():
        path = tmp_path / f"{key}.csv"
        path.write_bytes(content)
        with pytest.raises(UnsupportedFile, match=expected):
            detect_format(path)


def test_truncated_zip_is_refused_as_damaged(tmp_path: Path) -> None:
    full = _sales_workbook(tmp_path / "full.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(UnsupportedFile, match="damaged or incomplete"):
        detect_format(cut)



# ---------------------------------------------------------------------------
# upload limit
# ---------------------------------------------------------------------------


def test_upload_limit_from_streamlit_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[server]\nmaxUploadSize = 50\n", encoding="utf-8")
    assert upload_limit_bytes(config) == 50 * 1024 * 1024
    config.write_text("[browser]\ngatherUsageStats = false\n", encoding="utf-8")
    assert upload_limit_bytes(config) == 200 * 1024 * 1024
    assert upload_limit_bytes(tmp_path / "missing.toml") == 200 * 1024 * 1024
    assert upload_limit_bytes() == filetypes.MAX_UPLOAD_MB * 1024 * 1024


def test_real_encrypted_workbook_is_refused(tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _sales_workbook(tmp_path / "plain.xlsx")
    encrypted = tmp_path / "secret.xlsx"
    with plain.open("rb") as src, encrypted.open("wb") as dst:
        OOXMLFile(src).encrypt("s3cret", dst)
    with pytest.raises(UnsupportedFile, match=r"^secret\.xlsx: a password-protected"):
        detect_format(encrypted)
    with pytest.raises(UnsupportedFile, match="password-protected"):
        read_sheet(encrypted)




def test_html_and_excel_2003_xml_exports_are_refused(tmp_path: Path) -> None:
    html = tmp_path / "report.xls"
    html.write_text("\ufeff<html><body><table><tr><td>1</td></tr></table></body></html>")
    with pytest.raises(UnsupportedFile, match=r"HTML page.*save it as \.xlsx or CSV"):
        detect_format(html)
    xml = tmp_path / "report2.xls"
    xml.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        "</Workbook>"
    )
    with pytest.raises(UnsupportedFile, match="Excel 2003 XML spreadsheet"):
        detect_format(xml)


def test_utf16_without_bom_is_text_but_nul_heavy_binary_is_not(tmp_path: Path) -> None:
    text = tmp_path / "u.csv"
    text.write_bytes("id;umsatz\n1;2,5\n".encode("utf-16-le") * 20)
    assert detect_format(text) == "csv"
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"id;x\n" + bytes(500) + b"1;2\n")
    with pytest.raises(UnsupportedFile, match="binary data"):
        detect_format(binary)


def test_truncated_parquet_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(UnsupportedFile, match="damaged or incomplete Parquet"):
        detect_format(cut)



_PLAIN_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Co", "Cn"), blacklist_characters="<")
    .filter(lambda ch: ch in "\t\r\n" or not (ord(ch) < 32 or 127 <= ord(ch) < 160)),
    min_size=1,
    max_size=300,
).filter(lambda s: not s.startswith(("%PDF", "PAR1", "PK", "GIF8", "\ufeff")))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_PLAIN_TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]))
def test_any_plain_text_is_detected_as_csv(tmp_path: Path, text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert detect_format(path) == "csv"


def test_text_starting_like_bzip2_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("BZh;Umsatz\n1;2\n", encoding="utf-8")
    assert detect_format(path) == "csv"
    real = tmp_path / "real.csv"
    import bz2

    real.write_bytes(bz2.compress(b"a,b\n1,2\n"))
    with pytest.raises(UnsupportedFile, match="bzip2"):
        detect_format(real)



def test_parquet_with_impossible_footer_length_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 20 + struct.pack("<I", 10**6) + b"PAR1")
    with pytest.raises(UnsupportedFile, match="damaged or incomplete Parquet"):
        detect_format(path)

