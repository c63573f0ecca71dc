"""Probabilistic churn of a dataset: the fitted model and each customer's P(alive).

:func:`churn` reads the per-customer summary (repeat purchases, recency, age) up to
the window's end in one snapshot, fits Pareto/NBD (default) or BG/NBD
(:mod:`kam_analysis.churn`) and scores every customer. When the model cannot be
fitted the result says why and carries no probabilities; the pages then show the
rule-based flags (lost, at risk) only. Definitions: ``docs/definitions.md``,
"Churn probability".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.params import DEFAULT_PARAMS, AnalysisParams
from kam_analysis.analysis.snapshot import read_snapshot
from kam_analysis.churn import (
    DEFAULT_HORIZON_WEEKS,
    ChurnFit,
    FitFailed,
    expected_purchases,
    fit_model,
    p_alive,
    to_weeks,
    value_at_risk,
)
from kam_analysis.db import Database, DatasetInfo
from kam_analysis.db.churn_sql import churn_customer_summary
from kam_analysis.formatting import fmt_count, fmt_number, fmt_percent
from kam_analysis.i18n import N_, t
from kam_analysis.vocabulary import CHURN_STATUSES

#: The model names of the CLI and the app -> the names of :mod:`kam_analysis.churn`.
MODEL_NAMES: dict[str, str] = {"pareto-nbd": "pareto_nbd", "bg-nbd": "bg_nbd"}
DEFAULT_CHURN_MODEL = "pareto-nbd"
#: P(alive) at or above this is "likely still active", below it "probably lost".
ALIVE_THRESHOLD = 0.5
#: Columns of :attr:`ChurnResult.customers`, in order.
CHURN_COLUMNS: tuple[str, ...] = (
    "customer_id", "frequency", "recency", "T", "value_last_6m", "p_alive",
    "expected_purchases_13w", "value_at_risk", "churn_status",
)
#: The churn columns a customers frame gains from :func:`with_churn`.
ADDED_COLUMNS: tuple[str, ...] = ("p_alive", "expected_purchases_13w", "value_at_risk",
                                  "churn_status")


@dataclass(frozen=True)
class ChurnResult:
    """Result of :func:`churn`.

    Attributes
    ----------
    dataset : DatasetInfo
        The dataset.
    window : tuple of date
        The analysis window; the figures are as of its end.
    model : str
        ``"pareto-nbd"`` or ``"bg-nbd"``.
    fit : ParetoNBDFit, BGNBDFit or None
        The fitted model; None when it cannot be fitted.
    message : str or None
        Why the model cannot be fitted (None when it was).
    customers : pandas.DataFrame
        :data:`CHURN_COLUMNS`, one row per customer with a purchase up to the
        window's end (within the filters); ``frequency``, ``recency`` and ``T``
        in days. Without a fit, ``p_alive``, ``expected_purchases_13w`` and
        ``value_at_risk`` are NaN and ``churn_status`` is empty.
    """

    dataset: DatasetInfo
    window: tuple[date, date]
    model: str
    fit: ChurnFit | None
    message: str | None
    customers: pd.DataFrame = field(repr=False)

    @property
    def fitted(self) -> bool:
        """Whether the model was fitted (and the probabilities exist)."""
        return self.fit is not None

    @property
    def note(self) -> str | None:
        """A sentence on the fit when it is the homogeneous dropout limit (every
        customer drops out at the same rate), else None."""
        if self.fit is None or not self.fit.homogeneous_dropout:
            return None
        rate = float(self.fit.params[2] / self.fit.params[3])
        return t("The purchase histories show no difference between customers in how "
                 "quickly they stop buying, so the model gives every customer the same "
                 "dropout rate: {rate} per week (an average customer lifetime of "
                 "{years} years).", rate=fmt_percent(rate, 3), years=fmt_number(1.0 / rate / 52.0))

    def to_dict(self) -> dict[str, Any]:
        """The fitted parameters as a JSON-ready dict.

        Keys ``model``, ``time_unit`` (``"week"``), ``params`` (``r, alpha, s,
        beta`` or ``r, alpha, a, b``), ``customers``, ``log_likelihood``,
        ``homogeneous_dropout`` (the fit is the limit of one dropout rate for every
        customer, ``mu = s / beta``), and the window as ISO dates; ``message``
        instead of the figures when not fitted.
        """
        out: dict[str, Any] = {"model": self.model, "time_unit": "week",
                               "window_start": self.window[0].isoformat(),
                               "window_end": self.window[1].isoformat()}
        if self.fit is None:
            return {**out, "params": None, "customers": len(self.customers),
                    "log_likelihood": None, "message": self.message}
        names = ("r", "alpha", "s", "beta") if self.fit.model == "pareto_nbd" else (
            "r", "alpha", "a", "b")
        params = dict(zip(names, (float(v) for v in self.fit.params), strict=True))
        return {**out, "params": params, "customers": int(self.fit.customers),
                "log_likelihood": float(self.fit.log_likelihood),
                "homogeneous_dropout": bool(self.fit.homogeneous_dropout)}


#: Why a churn model cannot be fitted, in words (see :class:`FitFailed`).
FIT_FAILURES: dict[str, str] = {
    "few_customers": N_("only {customers} customers, at least {needed} are needed"),
    "few_repeaters": N_("only {repeaters} of {customers} customers bought more than once, "
                        "at least {needed} are needed"),
    "not_converged": N_("the model does not settle on these purchase histories"),
    "not_determined": N_("these purchase histories do not determine the model's "
                         "parameters"),
}


def fit_failure(exc: FitFailed) -> str:
    """Why the churn model cannot be fitted, as a phrase in this context's language."""
    return t(FIT_FAILURES[exc.reason], **{k: fmt_count(v) for k, v in exc.values.items()})


def _model_name(model: str) -> str:
    if model in MODEL_NAMES:
        return model
    by_code = {code: name for name, code in MODEL_NAMES.items()}
    if model in by_code:
        return by_code[model]
    raise ValueError(t("Unknown churn model {model!r}; use one of {models}.", model=model,
                       models=", ".join(MODEL_NAMES)))


def status(alive: np.ndarray) -> np.ndarray:
    """The status code of each P(alive): ``likely_active`` at or above
    :data:`ALIVE_THRESHOLD`, else ``probably_lost`` (empty for NaN)."""
    alive = np.asarray(alive, dtype=float)
    active, lost = CHURN_STATUSES
    return np.where(np.isnan(alive), "", np.where(alive >= ALIVE_THRESHOLD, active, lost))


def score(summary: pd.DataFrame, model: str = DEFAULT_CHURN_MODEL
          ) -> tuple[ChurnFit | None, str | None, pd.DataFrame]:
    """Fit ``model`` to a per-customer summary and score every customer.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``customer_id``, ``frequency``, ``recency``, ``T`` (days) and
        ``value_last_6m``, as :func:`~kam_analysis.db.churn_sql.churn_customer_summary`
        returns.
    model : {"pareto-nbd", "bg-nbd"}
        The model.

    Returns
    -------
    tuple
        ``(fit, message, customers)``: the fit (None with the reason in
        ``message`` when it cannot be fitted) and the :data:`CHURN_COLUMNS` frame.
    """
    code = MODEL_NAMES[_model_name(model)]
    out = summary.reset_index(drop=True).copy()
    x = out["frequency"].to_numpy(dtype=float)
    t_x, age = to_weeks(out["recency"]), to_weeks(out["T"])
    try:
        fit: ChurnFit | None = fit_model(x, t_x, age, code)  # type: ignore[arg-type]
        message = None
    except FitFailed as exc:
        fit, message = None, t(
            "P(alive) cannot be estimated for this selection ({reason}). The rule-based "
            "flags (lost, at risk) are shown instead.", reason=fit_failure(exc))
    if fit is None:
        alive = expected = np.full(len(out), np.nan)
    else:
        alive = p_alive(fit, x, t_x, age)
        expected = expected_purchases(fit, x, t_x, age, DEFAULT_HORIZON_WEEKS)
    out["p_alive"] = alive
    out["expected_purchases_13w"] = expected
    out["value_at_risk"] = value_at_risk(out["value_last_6m"].to_numpy(dtype=float), alive)
    out["churn_status"] = status(alive)
    return fit, message, out[list(CHURN_COLUMNS)]


def churn(db: Database, dataset: str, params: AnalysisParams = DEFAULT_PARAMS,
          model: str = DEFAULT_CHURN_MODEL) -> ChurnResult:
    """Fit the churn model as of the window's end and score every customer.

    Parameters
    ----------
    db : Database
        The database, read in one snapshot for both the fit and the scores.
    dataset : str
        Name of the dataset to score.
    params : AnalysisParams
        Window (its end is the scoring date; history before its start counts),
        measure (of the value at risk) and filters.
    model : {"pareto-nbd", "bg-nbd"}
        Pareto/NBD (default) or BG/NBD; ``"pareto_nbd"`` and ``"bg_nbd"`` work too.

    Returns
    -------
    ChurnResult
        The fit (or why there is none) and the per-customer figures.

    Raises
    ------
    kam_analysis.db.DatasetNotFoundError
        If the dataset does not exist.
    ValueError
        For invalid parameters or an unknown model.
    """
    name = _model_name(model)
    with read_snapshot(db, dataset, params) as snap:
        info, window = snap.info, snap.window
        summary = churn_customer_summary(snap.cur, info.dataset_id, params.measure, window[1],
                                         snap.filters)
    fit, message, customers = score(summary, name)
    return ChurnResult(dataset=info, window=window, model=name, fit=fit, message=message,
                       customers=customers)


def with_churn(customers: pd.DataFrame, result: ChurnResult) -> pd.DataFrame:
    """Return ``customers`` (a frame with ``customer_id``) with :data:`ADDED_COLUMNS`.

    Customers the churn result does not score get NaN (and an empty status).
    """
    out = customers.drop(columns=[c for c in ADDED_COLUMNS if c in customers.columns])
    # Looked up by id with Arrow (a validated merge cost 0.15-0.25 s on every page run
    # at 100,000 customers; Arrow's hash lookup takes 20 ms).
    scored = result.customers
    ids = pa.array(scored["customer_id"].astype(str))
    if pc.count_distinct(ids).as_py() != len(ids):
        raise ValueError("The churn result lists a customer twice.")
    pos = pc.index_in(pa.array(out["customer_id"].astype(str)), value_set=ids)
    found = pos.is_valid().to_numpy(zero_copy_only=False)
    at = pos.fill_null(0).to_numpy()
    for col in ADDED_COLUMNS:
        values = scored[col].to_numpy(dtype=object if col == "churn_status" else float)
        taken = values[at] if len(values) else np.zeros(len(at), dtype=values.dtype)
        missing = "" if col == "churn_status" else np.nan
        out[col] = np.where(found, taken, missing)
    return out
