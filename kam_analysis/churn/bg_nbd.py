"""BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
the formulas.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``;
after each purchase the customer drops out with probability ``p ~ Beta(a, b)``. A
customer without a repeat purchase is therefore alive for sure. All functions take
``params = (r, alpha, a, b)`` and float arrays in weeks, already checked.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from kam_analysis.churn.grouping import Factorized

Params = tuple[float, float, float, float]


def log_likelihood(params: Params, data: Factorized) -> np.ndarray:
    """Log-likelihood of each row's ``(x, t_x, T)`` (paper, eq. 6).

    Each special function is evaluated once per distinct value (see
    :mod:`kam_analysis.churn.grouping`; ``factorize(x, t_x, T)`` for plain arrays).

    Parameters
    ----------
    params : tuple of float
        ``(r, alpha, a, b)``, all positive.
    data : Factorized
        The customers or their distinct triples.

    Returns
    -------
    numpy.ndarray
        One log-likelihood per row (not yet weighted).
    """
    r, alpha, a, b = params
    xv, xi = data.x_values, data.x_index
    per_x = (gammaln(r + xv) - gammaln(r) + gammaln(a + b) + gammaln(b + xv) - gammaln(b)
             - gammaln(a + b + xv))
    dropout = np.full_like(xv, -np.inf)
    repeat = xv > 0
    dropout[repeat] = np.log(a) - np.log(b + xv[repeat] - 1.0)
    log_alpha_t = np.log(alpha + data.t_values)
    alive = -(r + data.x) * log_alpha_t[data.age_index]
    dropped = dropout[xi] - (r + data.x) * log_alpha_t[data.recency_index]
    return per_x[xi] + r * np.log(alpha) + np.logaddexp(alive, dropped)


def _log_death_odds(params: Params, x: np.ndarray, t_x: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    """``log`` of the odds of having dropped out after the last purchase (x > 0)."""
    r, alpha, a, b = params
    return (np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0)
            + (r + x) * np.log((alpha + T) / (alpha + t_x)))


def p_alive(params: Params, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Probability that each customer is still alive at the end of the window.

    Parameters
    ----------
    params : tuple of float
        ``(r, alpha, a, b)``.
    x, t_x, T : numpy.ndarray
        Repeat purchases, recency and age in weeks.

    Returns
    -------
    numpy.ndarray
        ``P(alive | x, t_x, T)`` per customer; exactly 1 without a repeat purchase.
    """
    return np.where(x == 0, 1.0, expit(-_log_death_odds(params, x, t_x, T)))


def expected_purchases(params: Params, t: float, x: np.ndarray, t_x: np.ndarray,
                       T: np.ndarray) -> np.ndarray:
    """Expected purchases of each customer in the next ``t`` weeks (paper, eq. 10).

    Parameters
    ----------
    params : tuple of float
        ``(r, alpha, a, b)``; ``a != 1``.
    t : float
        Horizon in weeks, ``>= 0``.
    x, t_x, T : numpy.ndarray
        Repeat purchases, recency and age in weeks.

    Returns
    -------
    numpy.ndarray
        ``E[Y(t) | x, t_x, T]`` per customer.
    """
    r, alpha, a, b = params
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_hyp = np.log(hyp2f1(r + x, b + x, c, z))
        # Euler's transformation where the direct series overflows.
        log_hyp_alt = (np.log(hyp2f1(a + b - 1.0 - r, a - 1.0, c, z))
                       + (a - 1.0 - r - x) * np.log1p(-z))
    log_hyp = np.where(np.isfinite(log_hyp), log_hyp, log_hyp_alt)
    growth = -np.expm1(log_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
    denominator = 1.0 + np.where(x > 0, np.exp(_log_death_odds(params, x, t_x, T)), 0.0)
    return c / (a - 1.0) * growth / denominator
