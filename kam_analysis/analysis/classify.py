"""Classification of every customer: rank, ABC, XYZ, recency, key accounts, account types,
assembled into the customers frame (columns :data:`~.results.CUSTOMER_COLUMNS`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kam_analysis.analysis.abc import resolve_abc
from kam_analysis.analysis.key_accounts import (
    account_types,
    apply_capacity,
    key_account,
    key_reasons,
)
from kam_analysis.analysis.params import AnalysisParams
from kam_analysis.analysis.ranking import Ranking, rank
from kam_analysis.analysis.recency import recency, short_history
from kam_analysis.analysis.results import CUSTOMER_COLUMNS
from kam_analysis.analysis.xyz import CELLS, xyz_classes
from kam_analysis.vocabulary import CUSTOMER_FLAGS

_STR_DTYPE = pd.Series(["x"]).dtype  # pandas' default string dtype


def code_strings(masks: dict[str, np.ndarray]) -> pa.Array:
    """Comma+space joined codes per row from boolean masks (code -> mask, in order)."""
    codes = list(masks)
    bits = list(masks.values())
    n = len(bits[0]) if bits else 0
    index = np.zeros(n, dtype=np.int32)
    for i, mask in enumerate(bits):
        index |= np.asarray(mask, dtype=np.int32) << i
    labels = [", ".join(c for i, c in enumerate(codes) if m >> i & 1)
              for m in range(1 << len(bits))]
    return pa.DictionaryArray.from_arrays(index, pa.array(labels, pa.large_string())).cast(
        pa.large_string())


def _letters(index: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        np.asarray(index, dtype=np.int32), pa.array(list(labels), pa.large_string())
    ).cast(pa.large_string())


def _text(arr: Any) -> pd.Series:
    return pd.Series(arr, dtype=_STR_DTYPE)


def _in_rank_order(stats: dict[str, Any], r: Ranking) -> dict[str, Any]:
    take = pa.array(r.order)
    return {k: (v.take(take) if isinstance(v, pa.ChunkedArray | pa.Array) else v[r.order])
            for k, v in stats.items()}


def classify(stats: dict[str, Any], params: AnalysisParams, window: tuple[date, date],
             tags: dict[str, tuple[str, ...]], has_margin: bool
             ) -> tuple[pd.DataFrame, tuple[float, float], dict | None, int]:
    """The customers frame in rank order, the ABC limits used, computed-limit points and
    how many key accounts the rule selected before the capacity.

    ``stats`` are the per-customer facts of :func:`~.facts.customer_facts`.
    """
    r = rank(stats["value"], stats["id_order"])
    s = _in_rank_order(stats, r)
    abc, abc_limits, computed = resolve_abc(r.values, r.positive, r.cum_before, r.cum_share,
                                            params)
    abc_idx = np.where(abc == "A", 0, np.where(abc == "B", 1, 2))
    short = short_history(s["periods"])
    metric, xyz_idx = xyz_classes(s["mean"], s["sd"], s["active_periods"], s["periods"],
                                  short, params)
    days_since, lost, at_risk = recency(s["last_purchase"], s["median_gap"],
                                        s["value_last_6m"], s["value_prev_6m"], window[1],
                                        params)
    reasons = key_reasons(r, abc_idx, window, params.key_rule)
    wanted = key_account(reasons, len(r.values))
    key, over = apply_capacity(wanted, r.share, params.key_rule.capacity)
    reasons = {code: mask & key for code, mask in reasons.items()}
    types = account_types(s["margin"] if has_margin else s["revenue"], s["first_purchase"],
                          s["customer_id"], abc_idx, r.positive, window[1], tags)
    flags = {"non_positive": ~r.positive, "short_history": short, "lost": lost,
             "at_risk": at_risk, "over_capacity": over}
    columns: dict[str, Any] = {
        "customer_id": _text(s["customer_id"]), "customer_name": _text(s["customer_name"]),
        "region": _text(s["region"]), "manager": _text(s["manager"]), "value": r.values,
        "revenue": s["revenue"], "margin": s["margin"],
        "share": r.share, "cum_before": r.cum_before, "cumulative_share": r.cum_share,
        "rank": r.rank, "abc": _text(_letters(abc_idx, ("A", "B", "C"))),
        "xyz": _text(_letters(xyz_idx, ("X", "Y", "Z"))),
        "abc_xyz": _text(_letters(abc_idx * 3 + xyz_idx, CELLS)), "cov": metric,
        "mean": s["mean"], "periods": s["periods"], "active_periods": s["active_periods"],
        "first_purchase": s["first_purchase"].astype(object),
        "last_purchase": s["last_purchase"].astype(object),
        "days_since_last": days_since, "median_gap": s["median_gap"],
        "value_last_6m": s["value_last_6m"], "value_prev_6m": s["value_prev_6m"],
        "key_account": key,
        "key_reasons": _text(code_strings(reasons)),
        "account_types": _text(code_strings(types)),
        "flags": _text(code_strings({code: flags[code] for code in CUSTOMER_FLAGS})),
        **{code: np.asarray(flags[code], dtype=bool) for code in CUSTOMER_FLAGS},
    }
    frame = pd.DataFrame(columns, columns=list(CUSTOMER_COLUMNS))
    return frame, abc_limits, computed, int(wanted.sum())
