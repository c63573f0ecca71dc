"""Probabilistic churn: is this customer still alive?

Pareto/NBD (default) and BG/NBD fitted by maximum likelihood with SciPy, per-customer
``P(alive)`` and expected purchases, in weeks. Pure functions over numpy arrays and
pandas frames; no database, no Streamlit. Definitions: ``docs/definitions.md``
("Churn probability").
"""

from kam_analysis.churn.fitting import (
    DEFAULT_HORIZON_WEEKS,
    DEFAULT_MODEL,
    HOMOGENEOUS_S,
    MIN_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    MODELS,
    BGNBDFit,
    ChurnFit,
    FitFailed,
    ModelName,
    ParetoNBDFit,
    expected_purchases,
    fit_bg_nbd,
    fit_model,
    fit_pareto_nbd,
    p_alive,
    value_at_risk,
)
from kam_analysis.churn.summary import DAYS_PER_WEEK, check_inputs, customer_summary, to_weeks

__all__ = [
    "DAYS_PER_WEEK",
    "DEFAULT_HORIZON_WEEKS",
    "DEFAULT_MODEL",
    "HOMOGENEOUS_S",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MODELS",
    "BGNBDFit",
    "ChurnFit",
    "FitFailed",
    "ModelName",
    "ParetoNBDFit",
    "check_inputs",
    "customer_summary",
    "expected_purchases",
    "fit_bg_nbd",
    "fit_model",
    "fit_pareto_nbd",
    "p_alive",
    "to_weeks",
    "value_at_risk",
]
