"""Concentration per calendar quarter inside the window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.concentration import concentration_figures
from kam_analysis.analysis.params import DEFAULT_PARAMS, AnalysisParams
from kam_analysis.analysis.snapshot import read_snapshot
from kam_analysis.analysis.window import period_starts, quarter_label
from kam_analysis.db import Database, queries

_TREND_COLUMNS = ["quarter", "label", "customers", "total", "hhi", "gini", "cr1", "cr3", "cr5"]


def concentration_trend(db: Database, dataset: str,
                        params: AnalysisParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """Concentration per calendar quarter inside the window.

    Parameters
    ----------
    db : Database
    dataset : str
    params : AnalysisParams
        As for :func:`kam_analysis.analysis.analyze`; only the measure, the
        window and the filters are used.

    Returns
    -------
    DataFrame
        quarter (date of quarter start), label ("2025 Q1"), customers, total, hhi,
        gini, cr1, cr3, cr5; one row per quarter overlapping the window (quarters
        at the window's edges count only their days inside it).
    """
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        values = queries.analysis_period_amounts(
            snap.cur, snap.info.dataset_id, params.measure, window[0], window[1], "quarter",
            snap.filters)
    rows = []
    # Days, not Python dates: comparing 300,000 date objects cost 0.15 s.
    period = pc.cast(values.column("period"), pa.date32()).to_numpy().astype("datetime64[D]")
    amounts = pc.cast(values.column("value"), pa.float64()).to_numpy().round(6)
    for q in period_starts(window, "quarter"):
        vals = amounts[period == np.datetime64(q, "D")]
        # Ties do not change any of these figures, so no id order is needed.
        fig = concentration_figures(np.sort(vals[vals > 0])[::-1])
        rows.append({"quarter": q, "label": quarter_label(q),
                     **{k: fig[k] for k in _TREND_COLUMNS[2:]}})
    return pd.DataFrame(rows, columns=_TREND_COLUMNS)
