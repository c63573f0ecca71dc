"""Concentration over P: HHI, Gini, CR1..CR10, N50/N80, dependency flags, key share,
and the Pareto and Lorenz curves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kam_analysis.analysis.params import EPS, ROUND
from kam_analysis.analysis.results import Concentration

_EMPTY: dict[str, Any] = {
    "customers": 0, "total": 0.0, "hhi": 0.0, "hhi_band": "unconcentrated", "gini": 0.0,
    "cr1": 0.0, "cr3": 0.0, "cr5": 0.0, "cr10": 0.0, "n50": 0, "n80": 0, "top20_share": 0.0,
    "customers_for_80": 0.0, "customers_for_80_k": 0, "top_share": 0.0,
}


def hhi_band(hhi: float) -> str:
    """unconcentrated (<= 1000), moderately concentrated (<= 1800), highly concentrated."""
    return ("unconcentrated" if hhi <= 1000 else
            "moderately concentrated" if hhi <= 1800 else "highly concentrated")


def concentration_figures(values_desc: np.ndarray) -> dict[str, Any]:
    """Figures over P from positive values sorted descending (ties already ordered)."""
    n = len(values_desc)
    if n == 0:
        return dict(_EMPTY)
    total = float(values_desc.sum())
    s = values_desc / total
    cum = np.round(np.cumsum(values_desc) / total, ROUND)
    cum[-1] = 1.0
    hhi = float(np.sum((100.0 * s) ** 2))
    asc = values_desc[::-1]
    i = np.arange(1, n + 1)
    gini = float(np.sum((2 * i - n - 1) * asc) / (n * asc.sum()))

    def cr(k: int) -> float:
        return float(cum[min(k, n) - 1])

    n50 = int(np.argmax(cum >= 0.5 - EPS)) + 1
    n80 = int(np.argmax(cum >= 0.8 - EPS)) + 1
    return {"customers": n, "total": total, "hhi": hhi, "hhi_band": hhi_band(hhi),
            "gini": max(0.0, gini), "cr1": cr(1), "cr3": cr(3), "cr5": cr(5), "cr10": cr(10),
            "n50": n50, "n80": n80, "top20_share": cr(-(-n // 5)),
            "customers_for_80": n80 / n, "customers_for_80_k": n80,
            "top_share": float(s[0])}


def _dependency_flags(top: float) -> tuple[str, ...]:
    return tuple(code for code, hit in (
        ("major_customer", top >= 0.10 - EPS),
        ("critical_dependency", top > 0.20 + EPS),
        ("mono_client", top > 0.70 + EPS),
    ) if hit)


def concentration(customers: pd.DataFrame) -> Concentration:
    """Concentration of a customers frame in rank order (ranked customers first)."""
    n_pos = int(customers["rank"].notna().sum())
    values = customers["value"].to_numpy(dtype=float)[:n_pos]
    fig = concentration_figures(values)
    total = fig.pop("total")
    key = customers["key_account"].to_numpy(dtype=bool)[:n_pos]
    key_share = float(values[key].sum()) / total if total > 0 else 0.0
    key_band = ("below" if key_share < 0.30 - EPS else
                "above" if key_share > 0.55 + EPS else "healthy")
    top_name = customers["customer_name"].iat[0] if n_pos else None
    return Concentration(
        **fig, total=total, key_share=key_share, key_share_band=key_band,
        top_customer_id=str(customers["customer_id"].iat[0]) if n_pos else None,
        top_customer_name=None if top_name is None or pd.isna(top_name) else str(top_name),
        flags=_dependency_flags(fig["top_share"]),
        revenue_at_risk={k: float(values[:k].sum()) for k in (1, 3, 5)},
    )


def pareto_curve(values_desc: np.ndarray) -> pd.DataFrame:
    """k, x = k / n, y = share of the k largest values (k = 0 .. n)."""
    n = len(values_desc)
    total = values_desc.sum()
    k = np.arange(n + 1)
    y = np.concatenate(([0.0], np.cumsum(values_desc) / total)) if n else np.array([0.0])
    if n:
        y[-1] = 1.0
    x = k / n if n else np.array([0.0])
    return pd.DataFrame({"k": k, "x": x, "y": y})


def lorenz_curve(values_desc: np.ndarray) -> pd.DataFrame:
    """x = share of customers from the smallest, y = their share of the total."""
    n = len(values_desc)
    if n == 0:
        return pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    asc = values_desc[::-1]
    y = np.concatenate(([0.0], np.cumsum(asc) / asc.sum()))
    y[-1] = 1.0
    return pd.DataFrame({"x": np.arange(n + 1) / n, "y": y})
