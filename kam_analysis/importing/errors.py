"""The two refusals of the import: an unsupported or unsafe file, and a file that
cannot be imported (with the file, line and column where possible)."""

from __future__ import annotations

from pathlib import Path

from kam_analysis.i18n import sentence_case, t


class UnsupportedFile(ValueError):
    """The file cannot be read as CSV, XLSX or Parquet, or is unsafe to parse.

    The message names the file, says what it really is and what to do.
    """


class ImportFailed(ValueError):
    """The file cannot be imported; the message names file, line and column where possible."""


def _display_name(path: Path, filename: str | None) -> str:
    return filename if filename else path.name


def _refuse(name: str, what: str, todo: str, **values: object) -> UnsupportedFile:
    """Build the refusal "<file>: <what it is>. <What to do>." (both parts translated)."""
    what_text = t(what, **values)
    todo_text = t(todo, **values)
    return UnsupportedFile(
        t(
            "{name}: {what}. {todo}.",
            name=name,
            what=what_text,
            todo=sentence_case(todo_text),
        )
    )
