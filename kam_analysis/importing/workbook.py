"""The structure of an XLSX workbook (its sheets and where their XML lives) and the
checks that choose the sheet to read."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from kam_analysis.i18n import N_, t
from kam_analysis.importing import xlsx_zip as _zip
from kam_analysis.importing.errors import UnsupportedFile, _display_name, _refuse
from kam_analysis.importing.filetypes import detect_format
from kam_analysis.importing.xlsx_guard import _DTD, _classify_zip, _dtd_refusal
from kam_analysis.importing.xlsx_scan import _READER_PARTS, _scan_plain, _scan_sheet
from kam_analysis.importing.xlsx_zip import (
    _ZIP_MAGICS,
    MAX_SMALL_PART_BYTES,
    _member_chunks,
    _open_zip,
)


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of an XLSX workbook.

    Attributes
    ----------
    name : str
        The sheet name as shown in Excel.
    part : str or None
        The zip member holding the sheet XML (None if the workbook points nowhere).
    kind : str
        ``"worksheet"``, ``"chartsheet"``, ``"dialogsheet"`` or ``"other"``.
    hidden : bool
        True for hidden and very hidden sheets.
    parts : tuple of str
        Every zip member the sheet may be read from (readers resolve odd targets
        differently; all of them are scanned before reading). ``part`` is the first.
    """

    name: str
    part: str | None
    kind: str
    hidden: bool
    parts: tuple[str, ...] = ()


def _check_xlsx_path(path: Path, name: str) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.startswith(_ZIP_MAGICS):
        fmt = detect_format(path, name)  # raises with the precise reason for non-zip files
        raise _refuse(
            name,
            N_("a {fmt} file, not an Excel workbook"),
            N_("read it as {fmt}"),
            fmt=fmt.upper(),
        )
    _classify_zip(path, name)


def _parse_small_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Element:
    assert zf.fp is not None
    data = b"".join(_member_chunks(zf.fp, info, name, limit=MAX_SMALL_PART_BYTES))
    if _DTD.search(data):
        raise _dtd_refusal(name, info.filename)
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises several types, all mean "bad XML"
        raise _refuse(
            name,
            N_("a damaged XLSX file (part {part} is not valid XML)"),
            N_("open it in Excel and save it again"),
            part=info.filename,
        ) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# The relationship namespaces of a sheet's r:id, transitional first, then strict OOXML.
_NS_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)


def _workbook_sheets(zf: zipfile.ZipFile, name: str) -> list[SheetInfo]:
    workbook = _parse_small_xml(zf, zf.getinfo("xl/workbook.xml"), name)
    targets: dict[str, tuple[str, str]] = {}  # relationship id -> (target, kind)
    try:
        rels_info = zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        rels_info = None
    if rels_info is not None:
        rels = _parse_small_xml(zf, rels_info, name)
        for rel in rels:
            if _local(rel.tag) != "Relationship":
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            targets[rel.get("Id", "")] = (rel.get("Target", ""), kind)
    by_lower: dict[str, list[str]] = {}
    for member in zf.namelist():
        by_lower.setdefault(member.lower(), []).append(member)
    sheets: list[SheetInfo] = []
    seen: set[str] = set()
    for element in workbook.iter():
        if _local(element.tag) != "sheet":
            continue
        sheet_name = element.get("name", "")
        if sheet_name.lower() in seen:
            raise _refuse(
                name,
                N_("a damaged XLSX file (two sheets are named {sheet})"),
                N_("open it in Excel and save it again"),
                sheet=repr(sheet_name),
            )
        seen.add(sheet_name.lower())
        rid = next((v for ns in _NS_RELS if (v := element.get(f"{{{ns}}}id"))), "")
        target, kind = targets.get(rid, ("", "other"))
        parts = _target_parts(target, by_lower) if target else ()
        if kind not in ("worksheet", "chartsheet", "dialogsheet"):
            kind = "other"
        sheets.append(
            SheetInfo(
                name=sheet_name,
                part=parts[0] if parts else None,
                kind=kind,
                hidden=element.get("state", "visible") != "visible",
                parts=parts,
            )
        )
    return sheets


def _target_parts(target: str, by_lower: dict[str, list[str]]) -> tuple[str, ...]:
    """Existing zip members a relationship target may resolve to, most standard first."""
    stripped = target.lstrip("/")
    spellings = [
        stripped if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target)),
        posixpath.normpath(stripped),
        stripped,
        posixpath.normpath(posixpath.join("xl", stripped)),
    ]
    found: list[str] = []
    for spelling in spellings:
        for member in by_lower.get(spelling.lower(), []):
            if member not in found:
                found.append(member)
    return tuple(found)


def sheet_infos(path: str | Path, filename: str | None = None) -> tuple[SheetInfo, ...]:
    """Describe every sheet of an XLSX workbook, in workbook order.

    Parameters
    ----------
    path : str or Path
        The XLSX file.
    filename : str, optional
        The user's original file name, for messages.

    Returns
    -------
    tuple of SheetInfo
        All sheets including chart sheets and hidden sheets.

    Raises
    ------
    UnsupportedFile
        If the file is not a safe XLSX workbook.
    """
    path = Path(path)
    name = _display_name(path, filename)
    _check_xlsx_path(path, name)
    with _open_zip(path, name) as zf:
        return tuple(_workbook_sheets(zf, name))


def list_sheets(path: str | Path, filename: str | None = None) -> tuple[str, ...]:
    """Return the names of the worksheets of an XLSX workbook, in workbook order.

    Chart sheets (which hold no cells) are left out; hidden worksheets are included.
    ``path``, ``filename`` and the errors are those of :func:`sheet_infos`.
    """
    return tuple(s.name for s in sheet_infos(path, filename) if s.kind == "worksheet")


def _select_sheet(sheets: list[SheetInfo], sheet: str | None, name: str) -> list[SheetInfo]:
    worksheets = [s for s in sheets if s.kind == "worksheet"]
    if sheet is None:  # visible sheets first: a hidden helper sheet is rarely the data
        return [s for s in worksheets if not s.hidden] + [s for s in worksheets if s.hidden]
    for s in sheets:
        if s.name == sheet:
            if s.kind != "worksheet":
                raise UnsupportedFile(
                    t(
                        "{name}: sheet {sheet!r} is a chart sheet without data. "
                        "Available sheets: {sheets}.",
                        name=name,
                        sheet=sheet,
                        sheets=", ".join(repr(w.name) for w in worksheets) or t("none"),
                    )
                )
            return [s]
    raise UnsupportedFile(
        t(
            "{name}: there is no sheet {sheet!r}. Available sheets: {sheets}.",
            name=name,
            sheet=sheet,
            sheets=", ".join(repr(w.name) for w in worksheets) or t("none"),
        )
    )


def _check_and_choose(path: Path, sheet: str | None, name: str) -> SheetInfo | None:
    """All safety checks; the sheet to read (None: the workbook has no values)."""
    _check_xlsx_path(path, name)
    with _open_zip(path, name) as zf:
        sheets = _workbook_sheets(zf, name)
        candidates = _select_sheet(sheets, sheet, name)
        fh = zf.fp
        assert fh is not None
        budget = _zip.MAX_DECLARED_UNCOMPRESSED_BYTES
        for info in zf.infolist():
            if info.filename.lower() in _READER_PARTS:
                _scan_plain(fh, info, name, budget)
        chosen: SheetInfo | None = None
        for candidate in candidates:
            if candidate.part is None:
                if sheet is not None:
                    raise _refuse(
                        name,
                        N_("a damaged XLSX file (sheet {sheet} has no data part)"),
                        N_("open it in Excel and save it again"),
                        sheet=repr(candidate.name),
                    )
                continue
            has_values = False
            for part in candidate.parts:
                has_values |= _scan_sheet(fh, zf.getinfo(part), name, budget).has_values
            if has_values or sheet is not None:
                chosen = candidate
                break
    return chosen
