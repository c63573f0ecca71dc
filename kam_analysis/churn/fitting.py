"""Maximum-likelihood fit of the churn models and the per-customer figures.

Identical ``(frequency, recency, T)`` triples are grouped and the log-likelihood is
weighted by their counts; for Pareto/NBD the hypergeometric terms are evaluated
once per distinct ``(frequency, time)`` pair. The parameters are optimised in logs
with L-BFGS-B (SciPy). Everything is in weeks.

The optimiser works on ``(r, alpha, shape, mean)`` rather than the published
parameters: Pareto/NBD on ``(r, alpha, s, mu = s / beta)`` (``mu`` the mean dropout
rate), BG/NBD on ``(r, alpha, a, a / b)`` (the odds of the mean dropout
probability). When the data show no spread of the dropout between customers, the
likelihood keeps rising as the shape grows with the mean fixed: the limit in which
every customer has the same dropout rate (probability). The shape then runs to its
upper bound, :data:`LOG_BOUND`, where the mixing distribution's coefficient of
variation is ``exp(-LOG_BOUND / 2)`` (0.25 %): the fit accepts it as the homogeneous
dropout limit and says so (``homogeneous_dropout``); the figures evaluated there
equal the limit's to well under 0.1 % (tested). Any other parameter on a bound is
still refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import ClassVar, Literal

import numpy as np
from scipy.optimize import OptimizeResult, minimize

from kam_analysis.churn import bg_nbd, pareto_nbd
from kam_analysis.churn.grouping import Factorized, factorize
from kam_analysis.churn.summary import check_inputs

ModelName = Literal["pareto_nbd", "bg_nbd"]
MODELS: tuple[str, ...] = ("pareto_nbd", "bg_nbd")
DEFAULT_MODEL: ModelName = "pareto_nbd"
#: Fewest customers a fit accepts.
MIN_CUSTOMERS = 30
#: Fewest customers with at least one repeat purchase a fit accepts.
MIN_REPEAT_CUSTOMERS = 5
#: Default horizon of the expected purchases, in weeks (a quarter).
DEFAULT_HORIZON_WEEKS = 13.0
#: The log-parameters are kept in [-LOG_BOUND, LOG_BOUND]; an optimum on the bound
#: means the data do not determine the parameter.
LOG_BOUND = 12.0


@dataclass(frozen=True, kw_only=True)
class _Fit:
    """What every fitted churn model carries besides its parameters."""

    log_likelihood: float
    customers: int
    time_unit: str = "week"
    r: float
    alpha: float
    #: Whether the fit is the homogeneous dropout limit: the shape of the dropout
    #: distribution (``s`` or ``a``) ran to its upper bound with the mean fixed, i.e.
    #: every customer has (as good as) the same dropout rate or probability.
    homogeneous_dropout: bool = False
    #: The names of the four parameters, in the order of :attr:`params`.
    param_names: ClassVar[tuple[str, str, str, str]]

    @property
    def params(self) -> tuple[float, float, float, float]:
        """The four parameters in the order of :attr:`param_names`."""
        r, alpha, third, fourth = (float(getattr(self, n)) for n in self.param_names)
        return (r, alpha, third, fourth)


@dataclass(frozen=True, kw_only=True)
class ParetoNBDFit(_Fit):
    """Fitted Pareto/NBD model: purchase rate ~ Gamma(r, alpha), dropout rate ~
    Gamma(s, beta), in weeks.

    Attributes
    ----------
    r, alpha, s, beta : float
        Parameters.
    log_likelihood : float
        Total log-likelihood at the optimum.
    customers : int
        Number of customers fitted.
    homogeneous_dropout : bool
        True when ``s`` ran to its upper bound with ``s / beta`` fixed: every customer
        drops out at the same rate ``mu = s / beta`` (exponential lifetime).
    model : str
        ``"pareto_nbd"``.
    time_unit : str
        ``"week"``.
    """

    s: float
    beta: float
    model: str = "pareto_nbd"
    param_names: ClassVar[tuple[str, str, str, str]] = ("r", "alpha", "s", "beta")


@dataclass(frozen=True, kw_only=True)
class BGNBDFit(_Fit):
    """Fitted BG/NBD model: purchase rate ~ Gamma(r, alpha), dropout probability after
    each purchase ~ Beta(a, b), in weeks; otherwise as :class:`ParetoNBDFit`
    (``model`` is ``"bg_nbd"``)."""

    a: float
    b: float
    model: str = "bg_nbd"
    param_names: ClassVar[tuple[str, str, str, str]] = ("r", "alpha", "a", "b")


ChurnFit = ParetoNBDFit | BGNBDFit
_FIT_CLASSES: dict[str, type[ParetoNBDFit] | type[BGNBDFit]] = {
    "pareto_nbd": ParetoNBDFit, "bg_nbd": BGNBDFit,
}


def _formulas(model: str) -> ModuleType:
    """The module with the formulas of ``model``."""
    return pareto_nbd if model == "pareto_nbd" else bg_nbd


#: Names of the optimiser's coordinates (all in logs), per model.
_SEARCH_NAMES: dict[str, tuple[str, str, str, str]] = {
    "pareto_nbd": ("r", "alpha", "s", "mu"), "bg_nbd": ("r", "alpha", "a", "b"),
}
#: Index of the dropout shape ``s`` among the coordinates.
_SHAPE = 2
#: ``s`` of a homogeneous Pareto/NBD fit (``beta = s / mu``): the bound, ``exp(LOG_BOUND)``.
HOMOGENEOUS_S = float(np.exp(LOG_BOUND))


def _natural(model: str, log_params: np.ndarray) -> tuple[float, float, float, float]:
    """The model's parameters from the optimiser's log coordinates: ``(r, alpha, s,
    beta = s / mu)`` or ``(r, alpha, a, b)``."""
    r, alpha, third, fourth = (float(v) for v in np.exp(log_params))
    return (r, alpha, third, third / fourth) if model == "pareto_nbd" else (
        r, alpha, third, fourth)


def _minimize(objective: Callable[[np.ndarray], float], start: np.ndarray,
              bounds: list[tuple[float, float]]) -> OptimizeResult:
    return minimize(objective, start, method="L-BFGS-B", bounds=bounds,
                    options={"maxiter": 500, "ftol": 1e-10, "gtol": 1e-6})


def _coordinates_where(objective: Callable[[np.ndarray], float], log_params: np.ndarray,
                       names: tuple[str, ...], skip: int | None,
                       found: Callable[[float], bool]) -> list[str]:
    """The names of the coordinates (but ``skip``) with a neighbour, a factor ``e``
    either way inside the bounds, whose objective value is ``found``."""
    out = []
    for i in range(len(log_params)):
        if i == skip:
            continue
        for step in (-1.0, 1.0):
            moved = log_params.copy()
            moved[i] = np.clip(moved[i] + step, -LOG_BOUND, LOG_BOUND)
            if found(objective(moved)):
                out.append(names[i])
                break
    return out


def _walls(objective: Callable[[np.ndarray], float], log_params: np.ndarray,
           names: tuple[str, ...], skip: int | None) -> list[str]:
    """The coordinates next to the optimum (a factor ``e`` either way, inside
    the bounds) where the likelihood cannot be evaluated: an optimum against such a
    numerical wall is no maximum (the likelihood was still rising)."""
    return _coordinates_where(objective, log_params, names, skip, lambda v: v >= 1e10)


#: Smallest gain of the mean log-likelihood a step of a factor ``e`` must bring for the
#: estimate to count as no maximum (:func:`_still_rising`): far above the objective's
#: rounding (about 1e-15 of its value), far below any real slope.
RISING_GAIN = 1e-9


def _still_rising(objective: Callable[[np.ndarray], float], log_params: np.ndarray,
                  names: tuple[str, ...], skip: int | None) -> list[str]:
    """The coordinates along which the likelihood still rises a factor ``e`` away from
    the optimum (inside the bounds): the optimiser stopped on a slope so flat that its
    relative tolerance ended the search (data in which nobody drops out leave the
    dropout parameters a ridge towards the edge), so the data do not determine them.
    Whether the search ran on to the bound or stopped on the slope depends on the
    machine's rounding; this makes the answer the same everywhere."""
    here = objective(log_params)
    return _coordinates_where(objective, log_params, names, skip,
                              lambda v: v < here - RISING_GAIN)


def _fit_homogeneous(data: Factorized, full: OptimizeResult) -> OptimizeResult:
    """Pareto/NBD in the limit ``s -> infinity``: ``(r, alpha, mu)`` by maximum
    likelihood from the full fit's values; ``x`` gets ``log s = LOG_BOUND`` back."""
    objective = _objective("pareto_nbd", data)

    def limit(log_params: np.ndarray) -> float:
        return objective(np.insert(log_params, _SHAPE, LOG_BOUND))

    result = _minimize(limit, np.delete(full.x, _SHAPE), [(-LOG_BOUND, LOG_BOUND)] * 3)
    result.x = np.insert(result.x, _SHAPE, LOG_BOUND)
    return result


def _objective(model: str, data: Factorized) -> Callable[[np.ndarray], float]:
    total = float(data.weights.sum())

    def negative_mean_log_likelihood(log_params: np.ndarray) -> float:
        params = _natural(model, log_params)
        with np.errstate(all="ignore"):
            log_likelihoods = _formulas(model).log_likelihood(params, data)
            value = -float(np.sum(data.weights * log_likelihoods)) / total
        return value if np.isfinite(value) else 1e10

    return negative_mean_log_likelihood


class FitFailed(ValueError):
    """A churn model cannot be fitted to the data.

    The message is for developers (English, with the estimates); ``reason`` is a code
    (``few_customers``, ``few_repeaters``, ``not_converged``, ``not_determined``) and
    ``values`` its figures, from which an interface words its own sentence.
    """

    def __init__(self, message: str, reason: str, **values: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


def _check_fit_data(model: str, x: np.ndarray) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown churn model {model!r}; choose one of {MODELS}")
    repeaters = int(np.count_nonzero(x > 0))
    if len(x) < MIN_CUSTOMERS:
        raise FitFailed(f"cannot fit {model}: {len(x)} customers, at least "
                        f"{MIN_CUSTOMERS} needed", "few_customers", customers=len(x),
                        needed=MIN_CUSTOMERS)
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise FitFailed(f"cannot fit {model}: {repeaters} of {len(x)} customers made a "
                        f"repeat purchase, at least {MIN_REPEAT_CUSTOMERS} needed",
                        "few_repeaters", repeaters=repeaters, customers=len(x),
                        needed=MIN_REPEAT_CUSTOMERS)


def fit_model(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    model: ModelName = DEFAULT_MODEL,
    *,
    group_identical: bool = True,
) -> ChurnFit:
    """Fit a churn model by maximum likelihood.

    Parameters
    ----------
    frequency, recency, T : array_like
        Per customer: repeat purchases, recency and age, in weeks (see
        :func:`kam_analysis.churn.summary.check_inputs`).
    model : {"pareto_nbd", "bg_nbd"}
        Which model; Pareto/NBD by default.
    group_identical : bool
        Group identical customers and weight by their counts (much faster, same
        optimum); ``False`` evaluates every customer (the benchmark's baseline).

    Returns
    -------
    ParetoNBDFit or BGNBDFit
        The parameters, the total log-likelihood and the number of customers.

    Raises
    ------
    ValueError
        If the inputs are invalid, there are fewer than :data:`MIN_CUSTOMERS`
        customers or fewer than :data:`MIN_REPEAT_CUSTOMERS` with a repeat purchase,
        or the optimiser does not converge (a parameter on its bound included, except
        the dropout shape on its upper bound: the homogeneous dropout limit, see the
        module's docstring), or the likelihood still rises a factor ``e`` away from
        the estimate.
    """
    x, t_x, age = check_inputs(frequency, recency, T)
    _check_fit_data(model, x)
    data = factorize(x, t_x, age, group=group_identical)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * 4
    if model == "pareto_nbd":  # beyond it: the homogeneous limit
        bounds[_SHAPE] = (-LOG_BOUND, float(np.log(pareto_nbd.HOMOGENEOUS_SHAPE)))
    result = _minimize(_objective(model, data), np.zeros(4), bounds)
    homogeneous = model == "pareto_nbd" and result.x[_SHAPE] >= bounds[_SHAPE][1] - 1e-6
    if homogeneous:
        result = _fit_homogeneous(data, result)
    params = _natural(model, result.x)
    names = _FIT_CLASSES[model].param_names
    shown = ", ".join(f"{n}={v:.4g}" for n, v in zip(names, params, strict=True))
    if not result.success or result.fun >= 1e10:
        raise FitFailed(f"cannot fit {model}: the optimiser did not converge "
                        f"({result.message}; {shown})", "not_converged")
    objective, skip = _objective(model, data), (_SHAPE if homogeneous else None)
    walls = _walls(objective, result.x, _SEARCH_NAMES[model], skip)
    if walls:
        raise FitFailed(f"cannot fit {model}: the likelihood cannot be evaluated near "
                        f"the estimate of {walls}, where it was still rising ({shown})",
                        "not_converged")
    on_bound = [name for i, (name, v) in enumerate(zip(_SEARCH_NAMES[model], result.x,
                                                       strict=True))
                if abs(v) >= LOG_BOUND - 1e-6 and i != skip]
    if on_bound:
        raise FitFailed(f"cannot fit {model}: the data do not determine {on_bound} "
                        f"(estimate ran to the bound; {shown})", "not_determined")
    rising = _still_rising(objective, result.x, _SEARCH_NAMES[model], skip)
    if rising:
        raise FitFailed(f"cannot fit {model}: the data do not determine {rising} (the "
                        f"likelihood still rises towards the edge; {shown})", "not_determined")
    log_likelihood = -float(result.fun) * float(data.weights.sum())
    values = dict(zip(names, params, strict=True))
    return _FIT_CLASSES[model](**values, log_likelihood=log_likelihood, customers=len(x),
                               homogeneous_dropout=bool(homogeneous))


def fit_pareto_nbd(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> ParetoNBDFit:
    """Fit Pareto/NBD; see :func:`fit_model` (same parameters and errors)."""
    fitted = fit_model(frequency, recency, T, "pareto_nbd")
    assert isinstance(fitted, ParetoNBDFit)
    return fitted


def fit_bg_nbd(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> BGNBDFit:
    """Fit BG/NBD; see :func:`fit_model` (same parameters and errors)."""
    fitted = fit_model(frequency, recency, T, "bg_nbd")
    assert isinstance(fitted, BGNBDFit)
    return fitted


def p_alive(fit: ChurnFit, frequency: np.ndarray, recency: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    """Probability that each customer is still alive at the end of the window.

    Parameters
    ----------
    fit : ParetoNBDFit or BGNBDFit
        A fitted model.
    frequency, recency, T : array_like
        Per customer, in weeks.

    Returns
    -------
    numpy.ndarray
        ``P(alive)`` per customer, in ``[0, 1]``.
    """
    x, t_x, age = check_inputs(frequency, recency, T)
    return _formulas(fit.model).p_alive(fit.params, x, t_x, age)


def expected_purchases(fit: ChurnFit, frequency: np.ndarray, recency: np.ndarray,
                       T: np.ndarray, t: float = DEFAULT_HORIZON_WEEKS) -> np.ndarray:
    """Expected purchases of each customer in the next ``t`` weeks.

    Parameters
    ----------
    fit, frequency, recency, T
        As in :func:`p_alive`.
    t : float
        Horizon in weeks (default 13, a quarter).

    Returns
    -------
    numpy.ndarray
        Expected purchases per customer, ``>= 0``.

    Raises
    ------
    ValueError
        If ``t`` is negative or not finite.
    """
    if not (np.isfinite(t) and t >= 0):
        raise ValueError(f"the horizon t must be a finite number of weeks >= 0, got {t!r}")
    x, t_x, age = check_inputs(frequency, recency, T)
    return _formulas(fit.model).expected_purchases(fit.params, float(t), x, t_x, age)


def value_at_risk(value: np.ndarray, p_alive_: np.ndarray) -> np.ndarray:
    """Expected value at risk: a customer's recent value times ``1 - P(alive)``.

    Parameters
    ----------
    value : array_like
        Each customer's value in the last 6 months.
    p_alive_ : array_like
        Each customer's ``P(alive)``.

    Returns
    -------
    numpy.ndarray
        ``value * (1 - p_alive)`` per customer.
    """
    return np.asarray(value, dtype=float) * (1.0 - np.asarray(p_alive_, dtype=float))
