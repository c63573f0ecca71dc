"""Key accounts (the key rule and its reasons) and account types (computed and hand-set)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.params import EPS, ROUND, KeyRule
from kam_analysis.analysis.ranking import Ranking
from kam_analysis.vocabulary import ACCOUNT_TYPES, KEY_REASONS, MANUAL_TAGS

#: A customer whose first purchase lies within this many days of the window end is new.
PERSPECTIVE_DAYS = 180
#: A breadwinner brings at least this share of the margin (or revenue without margin).
BREADWINNER_SHARE = 0.10


def key_reasons(r: Ranking, abc_idx: np.ndarray, window: tuple[date, date], rule: KeyRule
                ) -> dict[str, np.ndarray]:
    """One mask per code of ``vocabulary.KEY_REASONS`` (all False when that rule is off).

    Only customers in P (value > 0) can be key accounts.
    """
    n = len(r.values)
    off = np.zeros(n, dtype=bool)
    window_days = (window[1] - window[0]).days + 1
    bits = {
        "share": off if rule.min_share is None
        else np.round(r.share, ROUND) >= float(rule.min_share) - EPS,
        "cumulative": off if rule.cum_before is None
        else np.nan_to_num(r.cum_before, nan=2.0) < float(rule.cum_before) - EPS,
        "annual_value": off if rule.annual_value is None
        else r.values * 365.0 / window_days >= float(rule.annual_value),
        "top_n": off if rule.top_n is None else np.arange(1, n + 1) <= int(rule.top_n),
        "class_a": (abc_idx == 0) if rule.class_a else off,
    }
    return {code: bits[code] & r.positive for code in KEY_REASONS}


def key_account(reasons: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Whether any key reason holds."""
    return np.logical_or.reduce(list(reasons.values())) if n else np.zeros(n, dtype=bool)


def account_types(base: np.ndarray, first_purchase: np.ndarray, customer_ids: Any,
                  abc_idx: np.ndarray, positive: np.ndarray, end: date,
                  tags: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """One mask per code of ``vocabulary.ACCOUNT_TYPES``.

    Parameters
    ----------
    base : array of float
        Margin per customer (revenue if the dataset has no margin).
    first_purchase : array of datetime64[D]
    customer_ids : Arrow array of str
    abc_idx : array of int
        ABC class index (0 = A, 1 = B, 2 = C).
    positive : array of bool
        Customers in P.
    end : date
        The window end.
    tags : dict
        customer_id -> hand-set account types.
    """
    n = len(base)
    off = np.zeros(n, dtype=bool)
    base_total = float(base[base > 0].sum())
    recent_first = first_purchase > np.datetime64(end - timedelta(days=PERSPECTIVE_DAYS), "D")
    bits = {
        "breadwinner": ((base > 0) & (base >= BREADWINNER_SHARE * base_total * (1 - EPS))
                        if base_total > 0 else off),
        "perspective": recent_first & (abc_idx <= 1) & positive,
    }
    for tag in MANUAL_TAGS:
        tagged = [cid for cid, codes in tags.items() if tag in codes]
        bits[tag] = (
            pc.is_in(customer_ids, value_set=pa.array(tagged, pa.large_string()))
            .to_numpy(zero_copy_only=False).astype(bool) if tagged and n else off)
    return {code: bits[code] for code in ACCOUNT_TYPES}
