"""Temporary shim: the importer moved to :mod:`kam_analysis.importing` (removed after the merge)."""

from kam_analysis.importing import (
    FilePreview,
    ImportFailed,
    ImportOptions,
    ImportResult,
    detect_encoding,
    import_file,
    inspect_file,
    normalize_header,
    suggest_mapping,
    unique_headers,
)

__all__ = [
    "FilePreview",
    "ImportFailed",
    "ImportOptions",
    "ImportResult",
    "detect_encoding",
    "import_file",
    "inspect_file",
    "normalize_header",
    "suggest_mapping",
    "unique_headers",
]
