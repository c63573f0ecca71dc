"""The read prelude of every public function: one snapshot, the dataset, checked params."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from kam_analysis.analysis.params import AnalysisParams, validate
from kam_analysis.analysis.window import resolve_window
from kam_analysis.db import Database, DatasetInfo, datasets


@dataclass(frozen=True)
class Snapshot:
    """A read cursor, the dataset it sees and the checked parameters.

    Attributes
    ----------
    cur : cursor
        The ``db.read()`` cursor (one consistent snapshot).
    info : DatasetInfo
        The dataset.
    params : AnalysisParams
        Validated against ``info``.
    """

    cur: Any
    info: DatasetInfo
    params: AnalysisParams

    @property
    def window(self) -> tuple[date, date]:
        """The inclusive analysis window (ValueError if the dataset has no dates)."""
        return resolve_window(self.params, self.info)

    @property
    def filters(self) -> dict[str, tuple[str, ...]]:
        """The row filters as storage queries take them."""
        return self.params.filters.as_dict()


@contextmanager
def read_snapshot(db: Database, dataset: str, params: AnalysisParams) -> Iterator[Snapshot]:
    """Open a read snapshot, load the dataset and validate ``params`` against it.

    Raises :class:`~kam_analysis.db.DatasetNotFoundError` for an unknown dataset and
    ValueError for parameters the dataset cannot take.
    """
    with db.read() as cur:
        info = datasets.dataset_in(cur, dataset)
        validate(params, info)
        yield Snapshot(cur, info, params)
