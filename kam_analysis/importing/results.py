"""What an import counted and stored, in one shape: :class:`ImportCounts` (the
counters, and the one way to turn them into the summary stored with the dataset
and printed by the CLI) and :class:`ImportResult` (the counters plus the dataset,
the first rejects and the warnings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from kam_analysis.db import DatasetInfo
from kam_analysis.i18n import t
from kam_analysis.importing.preview import FilePreview


@dataclass(frozen=True)
class ImportCounts:
    """The counters of one import.

    Attributes
    ----------
    rows_read : int
        Non-blank data rows read (imported + rejected + totals).
    rows_imported, rows_rejected, totals_dropped : int
        What happened to them.
    blank_rows, header_rows : int
        Blank rows and repeated header rows skipped (not counted as read).
    file_revenue_total : float
        Sum of every readable revenue value in the data rows, imported or
        rejected (totals rows excluded).
    imported_revenue_total : float
        Sum of revenue over the imported rows.
    """

    rows_read: int
    rows_imported: int
    rows_rejected: int
    totals_dropped: int
    blank_rows: int
    header_rows: int
    file_revenue_total: float
    imported_revenue_total: float

    @classmethod
    def from_staged(cls, imported: tuple[int, float], staged: dict[str, tuple[int, float]],
                    engine_rejects: int, empty_lines: int = 0) -> ImportCounts:
        """Count from the imported rows' (count, revenue), the staged rows'
        status -> (count, revenue), the rows the CSV reader could not split and
        the empty lines it skipped (counted as blank rows)."""
        rows, revenue = imported
        rejected = staged["reject"][0] + engine_rejects
        return cls(
            rows_read=rows + rejected + staged["total"][0],
            rows_imported=rows,
            rows_rejected=rejected,
            totals_dropped=staged["total"][0],
            blank_rows=staged["blank"][0] + empty_lines,
            header_rows=staged["header"][0],
            file_revenue_total=revenue + staged["reject"][1],
            imported_revenue_total=revenue,
        )

    def as_summary(self, warnings: tuple[str, ...] | list[str], **facts: Any) -> dict[str, Any]:
        """Return ``facts``, the counters and the warnings as a JSON-ready dict: the
        summary stored with the dataset and printed by the CLI."""
        counters = {name: getattr(self, name) for name in ImportCounts.__dataclass_fields__}
        return {**facts, **counters, "warnings": list(warnings)}


@dataclass(frozen=True)
class ImportResult(ImportCounts):
    """What :func:`kam_analysis.importing.import_file` stored.

    Attributes
    ----------
    dataset : DatasetInfo
        The new dataset.
    rejects : DataFrame
        ``source_line, reason, raw`` (at most 10,000 rows; all are stored).
    warnings : tuple of str
        Things the user should know (blank rows skipped, approximations).
    preview : FilePreview, optional
        What was found in the file.

    The counters are those of :class:`ImportCounts`.
    """

    dataset: DatasetInfo
    rejects: pd.DataFrame
    warnings: tuple[str, ...]
    preview: FilePreview | None = None

    def summary(self) -> dict[str, Any]:
        """Return the import summary as a JSON-ready dict (dataset, customers, dates,
        counters, warnings)."""
        info = self.dataset
        return self.as_summary(
            self.warnings, dataset=info.name, customers=info.customer_count,
            first_date=str(info.first_date) if info.first_date else None,
            last_date=str(info.last_date) if info.last_date else None,
            calendar=self.preview.calendar if self.preview else "gregorian")

    def reject_lines(self, limit: int = 20) -> list[str]:
        """Return up to ``limit`` rejects as ``"line 57, column 'Umsatz': ..."`` texts."""
        return _reject_texts(self.rejects, limit)


def _reject_texts(rejects: pd.DataFrame, limit: int) -> list[str]:
    return [
        t("line {line}, {reason}", line=int(r.source_line), reason=r.reason)
        for r in rejects.head(limit).itertuples()
    ]


def nothing_imported(name: str, counts: ImportCounts, rejects: pd.DataFrame) -> str:
    """The message of an import that imported no row."""
    if counts.rows_read == 0:
        return t("{file}: the file has a header but no data rows.", file=name)
    return t("{file}: none of the {n} rows could be imported. {reasons}",
             file=name, n=counts.rows_read, reasons="; ".join(_reject_texts(rejects, 3)))
