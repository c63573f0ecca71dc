"""Temporary shim: file-type detection and XLSX reading moved to
:mod:`kam_analysis.importing` (removed after the merge)."""

from kam_analysis.importing import (
    MAX_DECLARED_UNCOMPRESSED_BYTES,
    MAX_SHEET_CELLS,
    MAX_UPLOAD_MB,
    SheetInfo,
    UnsupportedFile,
    detect_format,
    iter_sheet_rows,
    list_sheets,
    read_sheet,
    sheet_infos,
    upload_limit_bytes,
)

__all__ = [
    "MAX_DECLARED_UNCOMPRESSED_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_UPLOAD_MB",
    "SheetInfo",
    "UnsupportedFile",
    "detect_format",
    "iter_sheet_rows",
    "list_sheets",
    "read_sheet",
    "sheet_infos",
    "upload_limit_bytes",
]
