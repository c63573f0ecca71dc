"""Issue 14, finding 5: small hostile files are refused (or read) with bounded work:
the workbook's archive check runs a fixed number of times whatever the number of
sheets, and a CSV file's column limit is checked before header cells are scored."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_filetypes import many_sheets
from kam_analysis.db.import_sources import IMPORT_MAX_COLUMNS
from kam_analysis.importing import ImportFailed, inspect_file, sources, workbook


def _archive_checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = workbook._classify_zip

    def counted(path: Path, name: str) -> None:
        calls.append(path)
        real(path, name)

    monkeypatch.setattr(workbook, "_classify_zip", counted)
    return calls


def test_archive_check_count_does_not_grow_with_the_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _archive_checks(monkeypatch)
    counts = []
    for sheets in (2, 60):
        calls.clear()
        preview = inspect_file(many_sheets(tmp_path / f"s{sheets}.xlsx", sheets))
        assert preview.sheet == f"S{sheets - 1}"
        counts.append(len(calls))
    assert counts[0] == counts[1] <= 3


def test_column_limit_is_checked_before_header_cells_are_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[int] = []
    real = sources._header_matches

    def counted(cells: list[str]) -> int:
        scored.append(len(cells))
        return real(cells)

    monkeypatch.setattr(sources, "_header_matches", counted)
    n = IMPORT_MAX_COLUMNS + 3000
    path = tmp_path / "wide.csv"
    path.write_text(";".join(f"c{i}" for i in range(n)) + "\n"
                    + ";".join("1" for _ in range(n)) + "\n")
    with pytest.raises(ImportFailed, match=rf"too many columns \({n}\)"):
        inspect_file(path)
    assert all(width <= IMPORT_MAX_COLUMNS for width in scored)
