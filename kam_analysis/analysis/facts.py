"""The per-customer facts of the window, read from DuckDB as numpy and Arrow arrays."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.params import AnalysisParams
from kam_analysis.db import DatasetInfo, queries

_STAT_FLOATS = ("value", "revenue", "margin", "mean", "sd", "median_gap", "value_last_6m",
                "value_prev_6m")
_STAT_SUMS = ("value", "revenue", "margin", "value_last_6m", "value_prev_6m")
_STAT_INTS = ("periods", "active_periods", "id_order")
_STAT_DATES = ("first_purchase", "last_purchase")
_STAT_TEXTS = ("customer_id", "customer_name", "region", "manager")


def _use_precomputed(cur: Any, info: DatasetInfo, params: AnalysisParams,
                     window: tuple[date, date]) -> bool:
    return (
        not params.filters.active
        and info.first_date is not None
        and window[0] <= info.first_date
        and window[1] == info.last_date
        and queries.has_analysis_aggregates(cur, info.dataset_id)
    )


def customer_facts(cur: Any, info: DatasetInfo, params: AnalysisParams,
                   window: tuple[date, date]) -> dict[str, Any]:
    """Per-customer sums as numpy arrays (numbers, dates) and Arrow arrays (texts).

    Sums are rounded to 6 decimals so that the order rows were summed in (float
    noise) never changes a tie or a rank.
    """
    facts = not params.filters.active and queries.has_analysis_aggregates(cur, info.dataset_id)
    at_end = window[1] == info.last_date
    table = queries.analysis_customer_stats(
        cur, info.dataset_id, params.measure, window[0], window[1], params.period,
        params.filters.as_dict(), precomputed=facts and at_end and _use_precomputed(
            cur, info, params, window),
        precomputed_gaps=facts and at_end,
    )
    stats: dict[str, Any] = {}
    for col in _STAT_FLOATS:
        arr = pc.cast(table.column(col), pa.float64())
        stats[col] = pc.fill_null(arr, np.nan).to_numpy()
    for col in _STAT_SUMS:
        stats[col] = np.round(np.nan_to_num(stats[col], nan=0.0), 6)
    for col in _STAT_INTS:
        stats[col] = pc.fill_null(pc.cast(table.column(col), pa.int64()), 0).to_numpy()
    for col in _STAT_DATES:
        stats[col] = pc.cast(table.column(col), pa.date32()).to_numpy().astype("datetime64[D]")
    for col in _STAT_TEXTS:
        stats[col] = pc.cast(table.column(col), pa.large_string())
    return stats
