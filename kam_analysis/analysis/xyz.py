"""XYZ classes (coefficient of variation or purchase frequency) and the ABC-XYZ matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kam_analysis.analysis.params import EPS, AnalysisParams, xyz_limits
from kam_analysis.i18n import N_

#: The nine ABC-XYZ cells, row by row.
CELLS: tuple[str, ...] = tuple(a + x for a in "ABC" for x in "XYZ")

RECOMMENDATIONS: dict[str, str] = {
    "AX": N_("Key partner: secure long-term contracts, dedicated KAM, automate replenishment."),
    "AY": N_("Key account with swings: joint planning and regular forecast reviews."),
    "AZ": N_("Big but erratic: understand the project pipeline, manage capacity per deal."),
    "BX": N_("Steady mid-size: grow share of wallet with cross-selling and standard terms."),
    "BY": N_("Develop: regular contact, forecast together, targeted offers."),
    "BZ": N_("Irregular mid-size: watch each opportunity, avoid special terms without volume."),
    "CX": N_("Small but steady: serve efficiently (web shop, inside sales, standard prices)."),
    "CY": N_("Small with swings: low-cost service channels, bundle orders."),
    "CZ": N_("Occasional small buyer: serve on demand, minimum order values, no dedicated effort."),
}


def xyz_classes(mean: np.ndarray, sd: np.ndarray, active_periods: np.ndarray,
                periods: np.ndarray, short: np.ndarray, params: AnalysisParams
                ) -> tuple[np.ndarray, np.ndarray]:
    """The XYZ metric per customer and its class index (0 = X, 1 = Y, 2 = Z).

    A customer with no positive mean, a short history or no metric is Z.
    """
    x_lim, y_lim = xyz_limits(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        if params.xyz_metric == "cov":
            metric = np.where(mean > 0, sd / mean, np.nan)
            xyz_idx = np.where(metric <= x_lim + EPS, 0, np.where(metric <= y_lim + EPS, 1, 2))
        else:
            metric = active_periods / periods
            xyz_idx = np.where(metric >= x_lim - EPS, 0, np.where(metric >= y_lim - EPS, 1, 2))
    return metric, np.where((mean <= 0) | short | np.isnan(metric), 2, xyz_idx)


def abc_xyz_matrix(customers: pd.DataFrame, total: float) -> pd.DataFrame:
    """The 9 cells: abc, xyz, abc_xyz, customers, value, share (of ``total``)."""
    codes = pd.Categorical(customers["abc_xyz"], categories=list(CELLS)).codes
    counts = np.bincount(codes, minlength=9)
    values = np.bincount(codes, weights=customers["value"].to_numpy(dtype=float), minlength=9)
    return pd.DataFrame({
        "abc": [c[0] for c in CELLS], "xyz": [c[1] for c in CELLS], "abc_xyz": list(CELLS),
        "customers": counts.astype(int), "value": values,
        "share": values / total if total > 0 else np.zeros(9),
    })
