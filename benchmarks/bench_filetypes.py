"""Measure the cost of the XLSX safety scan against the reader itself, and how fast
hostile files are refused.

Run: ``python benchmarks/bench_filetypes.py [rows]`` (default 200,000 rows x 10 columns).
Prints seconds for: building the sample, detect_format, the full read_sheet (scan +
calamine + conversion), a second read_sheet (verdict remembered, no scan), calamine
alone, and the scan alone, plus the scan's share of the read; the peak traced Python
memory of streaming the rows with iter_sheet_rows; then refusal time and peak traced
memory for a zip bomb, a far-away cell, an absurd dimension and billion laughs;
and (issue 14) the time to inspect a workbook of 1,000 sheets and to refuse CSV files
of 5,000 and 20,000 columns, next to the times measured before the fix.

``python benchmarks/bench_filetypes.py --hostile-only`` runs only the issue-14 cases.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import python_calamine
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam_analysis import importing
from kam_analysis.importing import xlsx_scan

T = TypeVar("T")


def build(path: Path, rows: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sales")
    fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    ws.write_row(0, 0, ["customer", "name", "date", "product", "category", "region",
                        "manager", "qty", "revenue", "margin"])
    start = date(2023, 1, 1)
    for r in range(1, rows + 1):
        ws.write_string(r, 0, f"{r % 5000:05d}")
        ws.write_string(r, 1, f"Customer {r % 5000}")
        ws.write_datetime(r, 2, start + timedelta(days=r % 700), fmt)
        ws.write_string(r, 3, f"P{r % 800}")
        ws.write_string(r, 4, f"Cat {r % 12}")
        ws.write_string(r, 5, f"Region {r % 7}")
        ws.write_string(r, 6, f"Mgr {r % 20}")
        ws.write_number(r, 7, r % 17 + 1)
        ws.write_number(r, 8, (r % 1000) * 1.25)
        ws.write_number(r, 9, (r % 300) * 0.5)
    wb.close()


def timed(label: str, fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    print(f"{label:<42} {elapsed:8.3f} s")
    return result, elapsed


def attempt(read: Callable[[Path], object], path: Path, refusal_error: type[Exception],
            accepted: str) -> tuple[str, float]:
    """Read ``path``; return "refused" (on ``refusal_error``) or ``accepted``, and the seconds."""
    t0 = time.perf_counter()
    try:
        read(path)
        outcome = accepted
    except refusal_error:
        outcome = "refused"
    return outcome, time.perf_counter() - t0


def refusal(label: str, path: Path) -> None:
    tracemalloc.start()
    outcome, elapsed = attempt(importing.read_sheet, path, importing.UnsupportedFile,
                               "NOT REFUSED")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<42} {elapsed:8.3f} s  peak {peak / 1024**2:7.1f} MB  {outcome}")


#: Seconds measured before the fix (issue 14), printed as the baseline.
BASELINES = {"xlsx 1,000 sheets (416 KB)": 34.9, "csv 5,000 columns": 9.9,
             "csv 20,000 columns": 18.3}
TARGET_SECONDS = 2.0


def many_sheets(path: Path, sheets: int) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for i in range(sheets):
        ws = wb.add_worksheet(f"S{i}")
    ws.write_row(0, 0, ["Customer", "Date", "Revenue"])
    ws.write_row(1, 0, ["A", "2024-01-01", 5])
    wb.close()
    return path


def wide_csv(path: Path, columns: int, rows: int = 50) -> Path:
    line = ";".join(str(i) for i in range(columns))
    path.write_text(";".join(f"col{i}" for i in range(columns)) + "\n"
                    + "\n".join(line for _ in range(rows)) + "\n")
    return path


def bounded(label: str, path: Path) -> None:
    """Inspect a hostile file; print the time, whether it was refused and the baseline."""
    outcome, elapsed = attempt(importing.inspect_file, path, importing.ImportFailed, "read")
    verdict = "ok" if elapsed < TARGET_SECONDS else f"OVER {TARGET_SECONDS:.0f} s"
    print(f"{label:<42} {elapsed:8.3f} s  {outcome:<8} baseline {BASELINES[label]:6.1f} s  "
          f"{verdict}")


def hostile_sizes(tmp: str) -> None:
    bounded("xlsx 1,000 sheets (416 KB)", many_sheets(Path(tmp) / "sheets.xlsx", 1000))
    bounded("csv 5,000 columns", wide_csv(Path(tmp) / "w5k.csv", 5000))
    bounded("csv 20,000 columns", wide_csv(Path(tmp) / "w20k.csv", 20000))


def main() -> None:
    if "--hostile-only" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            hostile_sizes(tmp)
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        timed(f"build {rows:,} x 10 with xlsxwriter", lambda: build(path, rows))
        print(f"file size {path.stat().st_size / 1024**2:.1f} MB")
        timed("detect_format", lambda: importing.detect_format(path))
        _, full = timed("read_sheet (scan + calamine + convert)",
                        lambda: importing.read_sheet(path))
        _, warm = timed("read_sheet again (file already checked)",
                        lambda: importing.read_sheet(path))
        tracemalloc.start()
        count = sum(1 for _ in importing.iter_sheet_rows(path))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"iter_sheet_rows: {count:,} rows, peak traced Python memory {peak / 1024**2:.1f} MB")

        def calamine_only() -> list[list[object]]:
            wb = python_calamine.CalamineWorkbook.from_path(str(path))
            return wb.get_sheet_by_name("Sales").to_python(skip_empty_area=False)

        _, cal = timed("calamine to_python alone", calamine_only)

        def scan_only() -> None:
            budget = importing.MAX_DECLARED_UNCOMPRESSED_BYTES
            with zipfile.ZipFile(path) as zf:
                assert zf.fp is not None
                for info in zf.infolist():
                    if info.filename.startswith("xl/worksheets/"):
                        xlsx_scan._scan_sheet(zf.fp, info, path.name, budget)
                    elif info.filename.lower() in xlsx_scan._READER_PARTS:
                        xlsx_scan._scan_plain(zf.fp, info, path.name, budget)

        _, scan = timed("safety scan alone (all parts the reader loads)", scan_only)
        print(f"scan / calamine ratio {scan / cal:.2f}; "
              f"scan share of read_sheet {scan / full:.0%}; "
              f"second read / first read {warm / full:.2f}")

        bomb = Path(tmp) / "bomb.xlsx"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in ("[Content_Types].xml", "xl/workbook.xml"):
                zf.writestr(name, "<x/>")
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                block = bytes(1024**2)
                for _ in range(1024):
                    member.write(block)
        refusal("zip bomb (1 GiB of zeros)", bomb)

        head = '<?xml version="1.0"?><worksheet xmlns="' + NS + '">'
        far = hostile(Path(tmp) / "far.xlsx", head + '<sheetData><row r="1"><c r="A1"><v>1</v>'
                      '</c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
                      "</sheetData></worksheet>")
        refusal("far-away cell XFD1048576 (reader would abort)", far)
        dim = hostile(Path(tmp) / "dim.xlsx", head + '<dimension ref="A1:XFD1048576"/>'
                      '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>')
        refusal("dimension A1:XFD1048576", dim)
        lol = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
               + "".join(f'<!ENTITY a{i} "{"&a" + (str(i - 1) if i > 1 else "") + ";"}'
                         f'{"&a" + (str(i - 1) if i > 1 else "") + ";"}">' for i in range(1, 40))
               + ']><sst xmlns="' + NS + '"><si><t>&a39;</t></si></sst>')
        laughs = hostile(Path(tmp) / "lol.xlsx", head + '<sheetData><row r="1"><c r="A1" t="s">'
                         "<v>0</v></c></row></sheetData></worksheet>",
                         {"xl/sharedStrings.xml": lol})
        refusal("billion laughs in sharedStrings", laughs)
        hostile_sizes(tmp)


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def hostile(path: Path, sheet: str, extra: dict[str, str] | None = None) -> Path:
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    members = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": f'<workbook xmlns="{NS}" xmlns:r="{rel}"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
        f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
        **(extra or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


if __name__ == "__main__":
    main()
