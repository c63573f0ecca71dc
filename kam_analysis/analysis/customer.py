"""One customer's views: sums per period, ABC class history, products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from kam_analysis.analysis.abc import class_of
from kam_analysis.analysis.params import DEFAULT_PARAMS, AnalysisParams
from kam_analysis.analysis.snapshot import read_snapshot
from kam_analysis.analysis.window import (
    period_start,
    period_starts,
    quarter_end,
    quarter_label,
    trailing_year_start,
)
from kam_analysis.db import Database, queries

_HISTORY_COLUMNS = ["quarter", "label", "abc", "share", "rank"]


def customer_periods(db: Database, dataset: str, customer_id: str,
                     params: AnalysisParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """One customer's sums per period of the window, zero periods included.

    Parameters
    ----------
    db, dataset, params
        As for :func:`kam_analysis.analysis.analyze` (window, period, filters).
    customer_id : str
        The customer.

    Returns
    -------
    DataFrame
        period (date of period start), revenue, margin, quantity, rows.
    """
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        values = queries.customer_period_values(snap.cur, snap.info.dataset_id,
                                                str(customer_id), window[0], window[1],
                                                params.period, snap.filters)
    return _fill_periods(values, window, params.period)


def _fill_periods(values: pd.DataFrame, window: tuple[date, date], period: str) -> pd.DataFrame:
    """One customer's sums on every period of the window (zero where it had no rows)."""
    values = values.drop(columns="customer_id", errors="ignore")
    values["period"] = pd.to_datetime(values["period"]).dt.date
    frame = pd.DataFrame({"period": period_starts(window, period)})
    out = frame.merge(values, on="period", how="left")
    for col in ("revenue", "margin", "quantity"):
        out[col] = out[col].astype(float).fillna(0.0)
    out["rows"] = out["rows"].fillna(0).astype(int)
    return out[["period", "revenue", "margin", "quantity", "rows"]]


def customers_periods(db: Database, dataset: str, customer_ids: Sequence[str],
                      params: AnalysisParams = DEFAULT_PARAMS) -> dict[str, pd.DataFrame]:
    """:func:`customer_periods` of several customers from one query.

    Returns
    -------
    dict
        customer id (as text) -> its frame (period, revenue, margin, quantity, rows).
    """
    ids = [str(c) for c in customer_ids]
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        values = queries.customers_period_values(snap.cur, snap.info.dataset_id, ids,
                                                 window[0], window[1], params.period,
                                                 snap.filters)
    values["period"] = pd.to_datetime(values["period"])
    parts = dict(tuple(values.groupby("customer_id"))) if len(values) else {}
    empty = values.iloc[:0]
    return {c: _fill_periods(parts.get(c, empty).copy(), window, params.period) for c in ids}


def _quarter_grid(values: pd.DataFrame, quarters: list[date]
                  ) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Customers x quarters: summed values, whether any rows, and the customer ids."""
    codes, ids = pd.factorize(values["customer_id"].astype(str))
    starts = pd.to_datetime(values["period"])  # quarter starts: count quarters from the first
    first = quarters[0]
    cols = ((starts.dt.year - first.year) * 4
            + (starts.dt.month - first.month) // 3).to_numpy(dtype=np.int64)
    amounts = np.zeros((len(ids), len(quarters)))
    present = np.zeros((len(ids), len(quarters)), dtype=bool)
    np.add.at(amounts, (codes, cols), values["value"].to_numpy(dtype=float))
    present[codes, cols] = True
    return amounts, present, ids


def customer_class_history(db: Database, dataset: str, customer_id: str,
                           params: AnalysisParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """The customer's ABC class over the trailing 12 months at each quarter end in the window.

    Parameters
    ----------
    db, dataset, params
        As for :func:`kam_analysis.analysis.analyze` (measure, window, filters, ABC).
    customer_id : str
        The customer.

    Returns
    -------
    DataFrame
        quarter (quarter end date), label, abc, share, rank (Int64; <NA> and
        class C when the customer's trailing value is not positive; rows for
        quarters in which the customer had no trailing rows are left out).
    """
    return class_history(trailing_values(db, dataset, params), customer_id, params)


def customer_class_histories(db: Database, dataset: str, customer_ids: Sequence[str],
                             params: AnalysisParams = DEFAULT_PARAMS) -> dict[str, pd.DataFrame]:
    """:func:`customer_class_history` of several customers from one query.

    Returns
    -------
    dict
        customer id (as text) -> its class history frame.
    """
    basis = trailing_values(db, dataset, params)
    return {str(c): class_history(basis, c, params) for c in customer_ids}


@dataclass(frozen=True)
class TrailingValues:
    """Every customer's value over the trailing 12 months at each quarter end of a
    window: what any one customer's class history is read from
    (:func:`class_history`), so a page that switches customers reads it once.

    Attributes
    ----------
    ids : pandas.Index
        Customer ids (text), the rows of ``present``.
    present : numpy.ndarray
        Customers x quarters: whether the customer has rows in the quarter.
    trailing : dict
        Quarter end -> (index of its first trailing quarter, of its last, every
        customer's trailing value rounded to 6 decimals).
    """

    ids: pd.Index
    present: np.ndarray
    trailing: dict[date, tuple[int, int, np.ndarray]]


def trailing_values(db: Database, dataset: str,
                    params: AnalysisParams = DEFAULT_PARAMS) -> TrailingValues:
    """The trailing 12-month values of every customer at each quarter end in the window
    (one query of the values per customer and quarter)."""
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        ends = [quarter_end(q) for q in period_starts(window, "quarter")]
        ends = [e for e in ends if window[0] <= e <= window[1]]
        if not ends:
            return TrailingValues(pd.Index([], dtype=str), np.zeros((0, 0), dtype=bool), {})
        span = (trailing_year_start(ends[0]), ends[-1])
        values = queries.analysis_period_values(snap.cur, snap.info.dataset_id,
                                                params.measure, span[0], span[1], "quarter",
                                                snap.filters)
    quarters = period_starts(span, "quarter")
    amounts, present, ids = _quarter_grid(values, quarters)
    trailing = {}
    for qe in ends:
        j = quarters.index(period_start(qe, "quarter"))
        lo = max(0, j - 3)  # the 4 quarters ending at qe = the trailing 12 months
        trailing[qe] = (lo, j, amounts[:, lo: j + 1].sum(axis=1).round(6))
    return TrailingValues(ids, present, trailing)


def class_history(basis: TrailingValues, customer_id: str,
                  params: AnalysisParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """One customer's class history (as :func:`customer_class_history`) from the
    trailing values of its window; ``params`` gives the ABC settings."""
    if not basis.trailing:
        return pd.DataFrame(columns=_HISTORY_COLUMNS)
    at = int(basis.ids.get_indexer([str(customer_id)])[0])
    return _history(at if at >= 0 else None, basis.present, basis.ids, basis.trailing, params)


def _history(me: int | None, present: np.ndarray, ids: pd.Index,
             trailing: dict[date, tuple[int, int, np.ndarray]],
             params: AnalysisParams) -> pd.DataFrame:
    rows = []
    for qe, (lo, j, values) in trailing.items():
        if me is None or not present[me, lo: j + 1].any():
            continue
        abc, share, rank = class_of(values, ids, me, params)
        rows.append({"quarter": qe, "label": quarter_label(qe), "abc": abc,
                     "share": share, "rank": rank})
    out = pd.DataFrame(rows, columns=_HISTORY_COLUMNS)
    out["rank"] = out["rank"].astype("Int64")
    return out


def customer_products(db: Database, dataset: str, customer_id: str,
                      params: AnalysisParams = DEFAULT_PARAMS) -> pd.DataFrame:
    """The customer's products in the window, by value (the analysis measure) descending.

    ``db``, ``dataset`` and ``params`` (measure, window, filters) are as for
    :func:`kam_analysis.analysis.analyze`.

    Returns
    -------
    DataFrame
        category, product, value, quantity, rows, last_purchase.
    """
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        out = queries.customer_product_values(snap.cur, snap.info.dataset_id,
                                              str(customer_id), params.measure, window[0],
                                              window[1], snap.filters)
    return _product_frame(out)


def _product_frame(out: pd.DataFrame) -> pd.DataFrame:
    out = out.drop(columns="customer_id", errors="ignore")
    out["last_purchase"] = pd.to_datetime(out["last_purchase"]).dt.date
    out["rows"] = out["rows"].astype(int)
    return out


def customers_products(db: Database, dataset: str, customer_ids: Sequence[str],
                       params: AnalysisParams = DEFAULT_PARAMS) -> dict[str, pd.DataFrame]:
    """:func:`customer_products` of several customers from one query.

    Returns
    -------
    dict
        customer id (as text) -> its products frame, by value descending.
    """
    ids = [str(c) for c in customer_ids]
    with read_snapshot(db, dataset, params) as snap:
        window = snap.window
        values = queries.customers_product_values(snap.cur, snap.info.dataset_id, ids,
                                                  params.measure, window[0], window[1],
                                                  snap.filters)
    parts = dict(tuple(values.groupby("customer_id", sort=False))) if len(values) else {}
    empty = values.iloc[:0]
    return {c: _product_frame(parts.get(c, empty).reset_index(drop=True)) for c in ids}
