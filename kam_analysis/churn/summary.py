"""Per-customer purchase summary for the churn models: repeat purchases, recency, age.

The summary is built from a frame with one row per customer and purchase day
(``customer_id``, ``order_date``) and the end of the analysis window. Times are
whole days here; the models work in weeks (:func:`to_weeks`).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from kam_analysis.vocabulary import FIELD_BY_NAME

#: Days per model time unit (the models work in weeks).
DAYS_PER_WEEK = 7.0

CUSTOMER_COLUMN = FIELD_BY_NAME["customer_id"].name
DATE_COLUMN = FIELD_BY_NAME["order_date"].name
SUMMARY_COLUMNS: tuple[str, ...] = ("frequency", "recency", "T")


def customer_summary(
    frame: pd.DataFrame,
    end: date | datetime | pd.Timestamp,
    *,
    customer_col: str = CUSTOMER_COLUMN,
    date_col: str = DATE_COLUMN,
) -> pd.DataFrame:
    """Build frequency, recency and age (in days) per customer.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer and purchase (several rows on the same day count as
        one purchase day); columns ``customer_col`` and ``date_col``.
    end : date, datetime or pandas.Timestamp
        Last day of the analysis window (inclusive). Purchases after it are ignored;
        customers whose first purchase is after it are left out.
    customer_col, date_col : str
        Column names of the customer and the purchase date.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (sorted), with integer columns

        * ``frequency``: repeat purchases, the distinct purchase days after the
          first one, up to ``end``;
        * ``recency``: days from the first to the last purchase (0 without a
          repeat purchase);
        * ``T``: age, days from the first purchase to ``end``.

    Raises
    ------
    ValueError
        If a column is missing, or a customer or date is empty or not a date.
    """
    missing = [c for c in (customer_col, date_col) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"customer_summary needs the columns {customer_col!r} and {date_col!r}; "
            f"missing: {missing}, present: {list(frame.columns)}"
        )
    if frame[customer_col].isna().any():
        raise ValueError(f"customer_summary: {int(frame[customer_col].isna().sum())} rows "
                         f"have no {customer_col!r}")
    try:
        days = pd.to_datetime(frame[date_col]).dt.normalize()
        end_day = pd.Timestamp(end).normalize()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"customer_summary: {date_col!r} or end={end!r} is not a date: "
                         f"{exc}") from exc
    if days.isna().any():
        raise ValueError(f"customer_summary: {int(days.isna().sum())} rows have no "
                         f"{date_col!r}")
    kept = pd.DataFrame({"customer": frame[customer_col].to_numpy(), "day": days.to_numpy()})
    kept = kept[kept["day"] <= end_day].drop_duplicates()
    grouped = kept.groupby("customer", sort=True)["day"]
    first, last, count = grouped.min(), grouped.max(), grouped.size()
    summary = pd.DataFrame(
        {
            "frequency": (count - 1).astype("int64"),
            "recency": (last - first).dt.days.astype("int64"),
            "T": (end_day - first).dt.days.astype("int64"),
        }
    )
    summary.index.name = customer_col
    return summary


def to_weeks(days: np.ndarray | pd.Series | float) -> np.ndarray:
    """Convert days to the models' time unit, weeks (``days / 7``).

    Parameters
    ----------
    days : array_like
        Durations in days.

    Returns
    -------
    numpy.ndarray
        The same durations in weeks, as floats.
    """
    return np.asarray(days, dtype=float) / DAYS_PER_WEEK


def check_inputs(
    frequency: np.ndarray | pd.Series,
    recency: np.ndarray | pd.Series,
    T: np.ndarray | pd.Series,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert per-customer frequency, recency and age.

    Parameters
    ----------
    frequency : array_like
        Repeat purchases per customer (non-negative whole numbers).
    recency : array_like
        Time from the first to the last purchase, ``0 <= recency <= T``, and 0 when
        ``frequency`` is 0.
    T : array_like
        Age, time from the first purchase to the end of the window.

    Returns
    -------
    tuple of numpy.ndarray
        ``(frequency, recency, T)`` as one-dimensional float arrays.

    Raises
    ------
    ValueError
        If the lengths differ, a value is not finite, or the rules above are broken;
        the message names the first offending customer's values.
    """
    x = np.atleast_1d(np.asarray(frequency, dtype=float))
    t_x = np.atleast_1d(np.asarray(recency, dtype=float))
    age = np.atleast_1d(np.asarray(T, dtype=float))
    if not (x.shape == t_x.shape == age.shape) or x.ndim != 1:
        raise ValueError(f"frequency, recency and T must be 1-D of equal length; got shapes "
                         f"{x.shape}, {t_x.shape}, {age.shape}")
    rules = (
        (~(np.isfinite(x) & np.isfinite(t_x) & np.isfinite(age)), "values must be finite"),
        ((x < 0) | (x != np.round(x)), "frequency must be a non-negative whole number"),
        (t_x < 0, "recency must not be negative"),
        (t_x > age, "recency must not exceed T"),
        ((x == 0) & (t_x != 0), "recency must be 0 without a repeat purchase"),
    )
    for bad, rule in rules:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{rule}: {int(bad.sum())} customers, first at position {i} "
                             f"(frequency={x[i]}, recency={t_x[i]}, T={age[i]})")
    return x, t_x, age
