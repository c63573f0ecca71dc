"""Importing sales files: what a file is (:mod:`.filetypes`, with the XLSX safety
checks in :mod:`.xlsx_zip`, :mod:`.xlsx_guard` and :mod:`.xlsx_scan`), how it is read
(:mod:`.encoding`, :mod:`.sources`, :mod:`.workbook`, :mod:`.xlsx_read`), what its
columns mean (:mod:`.headers`, :mod:`.values`, :mod:`.preview`) and storing it
(:mod:`.importer`, with the SQL in :mod:`kam_analysis.db`)."""

from kam_analysis.importing.encoding import detect_encoding
from kam_analysis.importing.errors import ImportFailed, UnsupportedFile
from kam_analysis.importing.filetypes import MAX_UPLOAD_MB, detect_format, upload_limit_bytes
from kam_analysis.importing.headers import normalize_header, suggest_mapping, unique_headers
from kam_analysis.importing.importer import import_file
from kam_analysis.importing.options import ImportOptions
from kam_analysis.importing.preview import FilePreview, inspect_file
from kam_analysis.importing.results import ImportCounts, ImportResult
from kam_analysis.importing.workbook import SheetInfo, list_sheets, sheet_infos
from kam_analysis.importing.xlsx_read import iter_sheet_rows, read_sheet
from kam_analysis.importing.xlsx_zip import MAX_DECLARED_UNCOMPRESSED_BYTES, MAX_SHEET_CELLS

__all__ = [
    "MAX_DECLARED_UNCOMPRESSED_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_UPLOAD_MB",
    "FilePreview",
    "ImportCounts",
    "ImportFailed",
    "ImportOptions",
    "ImportResult",
    "SheetInfo",
    "UnsupportedFile",
    "detect_encoding",
    "detect_format",
    "import_file",
    "inspect_file",
    "iter_sheet_rows",
    "list_sheets",
    "normalize_header",
    "read_sheet",
    "sheet_infos",
    "suggest_mapping",
    "unique_headers",
    "upload_limit_bytes",
]
