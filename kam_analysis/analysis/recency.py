"""Recency flags: short history, lost and at-risk customers."""

from __future__ import annotations

from datetime import date

import numpy as np

from kam_analysis.analysis.params import EPS, AnalysisParams

#: Fewer periods than this is a short history (XYZ class Z).
SHORT_HISTORY = 3
#: A drop of the last 6 months' value by at least this share of the 6 before is at risk.
AT_RISK_DROP = 0.30


def short_history(periods: np.ndarray) -> np.ndarray:
    """Whether each customer's history has fewer than :data:`SHORT_HISTORY` periods."""
    return periods < SHORT_HISTORY


def recency(last_purchase: np.ndarray, median_gap: np.ndarray, value_last_6m: np.ndarray,
            value_prev_6m: np.ndarray, end: date, params: AnalysisParams
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since the last purchase (to the window end), lost and at-risk masks.

    Lost: more days than both ``lost_after_days`` and ``lost_gap_factor`` times
    the median gap. At risk: not lost, and the last 6 months fell by
    :data:`AT_RISK_DROP` or more against the 6 months before.
    """
    days_since = (np.datetime64(end, "D") - last_purchase).astype(np.int64)
    threshold = np.maximum(float(params.lost_after_days),
                           np.nan_to_num(params.lost_gap_factor * median_gap, nan=0.0))
    lost = days_since > threshold
    last6, prev6 = value_last_6m, value_prev_6m
    at_risk = ~lost & (prev6 > 0) & (last6 <= (1 - AT_RISK_DROP) * prev6 + EPS * np.abs(prev6))
    return days_since, lost, at_risk
