"""The rank order of customers: P (value > 0) by value descending, ties by id text order,
then the non-positive ones by id; shares and cumulative shares in that order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.params import ROUND


@dataclass(frozen=True)
class Ranking:
    """Rank order of customers and the cumulative figures in that order."""

    order: np.ndarray        # positions into the input, in rank order
    values: np.ndarray       # values in rank order
    positive: np.ndarray     # value > 0, in rank order (a prefix)
    share: np.ndarray
    cum_before: np.ndarray   # NaN outside P
    cum_share: np.ndarray    # NaN outside P
    rank: pd.arrays.IntegerArray


def rank(values: np.ndarray, id_order: np.ndarray) -> Ranking:
    """P by value descending, ties by id text order (``id_order``), then the rest by id."""
    values = np.asarray(values, dtype=float)
    positive = values > 0
    # lexsort: the last key is the primary one.
    order = np.lexsort((id_order, np.where(positive, -values, 0.0), ~positive))
    values = values[order]
    positive = positive[order]
    n_pos = int(positive.sum())
    total = float(values[:n_pos].sum())
    share = values / total if total > 0 else np.zeros(len(values))
    cum_share = np.full(len(values), np.nan)
    cum_before = np.full(len(values), np.nan)
    if n_pos:
        cum = np.round(np.cumsum(values[:n_pos]) / total, ROUND)
        cum[-1] = 1.0
        cum_share[:n_pos] = cum
        cum_before[:n_pos] = np.concatenate(([0.0], cum[:-1]))
    ranks = pd.arrays.IntegerArray(np.arange(1, len(values) + 1, dtype="int64"), mask=~positive)
    return Ranking(order, values, positive, share, cum_before, cum_share, ranks)


def text_order(ids: Any) -> np.ndarray:
    """Position of each id in text order (for tie-breaking; equal ids in their order).

    Arrow ranks the texts by their UTF-8 bytes, which is the order of their code
    points, as Python sorts them: 30 ms for 100,000 ids, a third of two NumPy argsorts.
    """
    texts = pa.array(pd.Series(ids, copy=False).astype("str"))
    return pc.rank(texts, sort_keys="ascending", tiebreaker="first").to_numpy().astype(
        np.int64) - 1


def rank_frame(df: pd.DataFrame, value_col: str = "value") -> pd.DataFrame:
    """Sort ranked customers (P by value desc, id asc) first, then the rest by id.

    Adds share, cum_before, cumulative_share, rank (Int64).
    """
    r = rank(df[value_col].to_numpy(dtype=float), text_order(df["customer_id"]))
    out = df.iloc[r.order].reset_index(drop=True)
    out["share"] = r.share
    out["cum_before"] = r.cum_before
    out["cumulative_share"] = r.cum_share
    out["rank"] = r.rank
    return out
