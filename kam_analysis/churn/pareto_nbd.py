"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): the formulas.

While alive a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``
and dies after an exponential lifetime with rate ``mu ~ Gamma(s, beta)``.

The likelihood follows Fader & Hardie, "A Note on Deriving the Pareto/NBD Model and
Related Expressions" (2005), eq. (22), in logs: the Gaussian hypergeometric terms
``2F1(r+s+x, b; r+s+x+1; |alpha-beta| / (max(alpha, beta) + t))`` with ``b = s + 1``
if ``alpha >= beta`` else ``b = r + x``, so that the argument stays in ``[0, 1)``
(the same stable form as the ``lifetimes`` package). All functions take
``params = (r, alpha, s, beta)`` and float arrays in weeks, already checked.

**Homogeneous dropout.** For ``s > HOMOGENEOUS_SHAPE`` (the dropout rate's coefficient
of variation ``1 / sqrt(s)`` below 10 %) the functions evaluate the limit
``s -> infinity`` with ``mu = s / beta`` fixed: every customer's lifetime is
exponential with rate ``mu`` (where the hypergeometric terms lose their precision).
The dead-before-``T`` part of the likelihood, ``int_{t_x}^{T} mu exp(-mu tau)
(alpha + tau) ** -(r + x) dtau``, is the integral of ``(alpha + tau) ** -(r + x)``
(closed form) times the mean of ``mu exp(-mu tau)`` under it, by Gauss-Legendre
quadrature in the variable that makes ``(alpha + tau) ** -(r + x)`` uniform.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from kam_analysis.churn.grouping import Factorized

Params = tuple[float, float, float, float]
#: Above this dropout shape ``s`` the formulas evaluate the homogeneous limit.
HOMOGENEOUS_SHAPE = 100.0
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_NODES, _WEIGHTS = (_NODES + 1.0) / 2.0, _WEIGHTS / 2.0


def _log_dead_limit(r: float, alpha: float, mu: float, x: np.ndarray, t_x: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    """``log int_{t_x}^{T} mu exp(-mu tau) (alpha + tau) ** -(r + x) dtau``."""
    k = (r + x)[:, None]
    low = (alpha + t_x)[:, None]
    span = np.log((alpha + T) / (alpha + t_x))[:, None]  # >= 0
    one_k = 1.0 - k
    near_one = np.abs(one_k) < 1e-8
    safe = np.where(near_one, 1.0, one_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.expm1(safe * span)  # (high / low) ** (1 - k) - 1
        log_mass = one_k * np.log(low) + np.log(np.where(near_one, span, scaled / safe))
        w = low * np.where(near_one, np.exp(_NODES * span),
                           np.exp(np.log1p(_NODES * scaled) / safe))
    mean = np.log(np.exp(-mu * (w - alpha)) @ _WEIGHTS)
    return np.log(mu) + log_mass[:, 0] + mean


def _limit_parts(params: Params, x: np.ndarray, t_x: np.ndarray,
                 T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log`` of the alive-at-``T`` and dead-before-``T`` parts in the homogeneous
    limit (without the common factor ``Gamma(r + x) alpha**r / Gamma(r)``)."""
    r, alpha, s, beta = params
    mu = s / beta
    alive = -(r + x) * np.log(alpha + T) - mu * T
    return alive, _log_dead_limit(r, alpha, mu, x, t_x, T)


def log_hyp_term(params: Params, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``log(2F1(...) / (max(alpha, beta) + t) ** (r + s + x))``, one half of ``A_0``.

    Parameters
    ----------
    params : tuple of float
        ``(r, alpha, s, beta)``.
    x, t : numpy.ndarray
        Repeat purchases and a time (recency or age), in weeks.

    Returns
    -------
    numpy.ndarray
        The log term per element.
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        high, second = alpha, s + 1.0
    else:
        high, second = beta, r + x
    q = high + t
    return np.log(hyp2f1(rsx, second, rsx + 1.0, abs(alpha - beta) / q)) - rsx * np.log(q)


def log_a0(term_recency: np.ndarray, term_age: np.ndarray) -> np.ndarray:
    """``log(A_0) = log(exp(term_recency) - exp(term_age))``; ``-inf`` when equal.

    Parameters
    ----------
    term_recency, term_age : numpy.ndarray
        :func:`log_hyp_term` at the recency and at the age (never larger).

    Returns
    -------
    numpy.ndarray
        ``log(A_0)`` per customer.
    """
    gap = np.minimum(term_age - term_recency, 0.0)
    with np.errstate(divide="ignore"):
        return term_recency + np.log(-np.expm1(gap))


def _log_alive_ratio(params: Params, x: np.ndarray, T: np.ndarray,
                     log_a0_: np.ndarray) -> np.ndarray:
    """``log`` of (dead-before-T part / alive-at-T part) of the likelihood."""
    r, alpha, s, beta = params
    return (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T) + log_a0_)


def log_likelihood(params: Params, data: Factorized) -> np.ndarray:
    """Log-likelihood of each row (Fader & Hardie 2005, eq. 22), not yet weighted.

    As :func:`kam_analysis.churn.bg_nbd.log_likelihood`, with ``params = (r, alpha, s,
    beta)``, all positive.
    """
    r, alpha, s, beta = params
    if s > HOMOGENEOUS_SHAPE:
        alive, dead = _limit_parts(params, data.x, data.t_values[data.recency_index],
                                   data.t_values[data.age_index])
        return (gammaln(r + data.x) - gammaln(r) + r * np.log(alpha)
                + np.logaddexp(alive, dead))
    xv, xi = data.x_values, data.x_index
    per_x = gammaln(r + xv) - gammaln(r)
    log_rsx = np.log(r + s + xv)
    log_alpha_t, log_beta_t = np.log(alpha + data.t_values), np.log(beta + data.t_values)
    alive = -(r + data.x) * log_alpha_t[data.age_index] - s * log_beta_t[data.age_index]
    terms = log_hyp_term(params, data.pair_x, data.pair_t)
    dead = (np.log(s) - log_rsx[xi]
            + log_a0(terms[data.pair_recency], terms[data.pair_age]))
    return per_x[xi] + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, dead)


def p_alive(params: Params, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``P(alive | x, t_x, T)`` per customer, in ``[0, 1]``.

    As :func:`kam_analysis.churn.bg_nbd.p_alive`, with ``params = (r, alpha, s, beta)``.
    """
    if params[2] > HOMOGENEOUS_SHAPE:
        alive, dead = _limit_parts(params, x, t_x, T)
        return expit(alive - dead)
    log_a0_ = log_a0(log_hyp_term(params, x, t_x), log_hyp_term(params, x, T))
    return expit(-_log_alive_ratio(params, x, T, log_a0_))


def expected_purchases(params: Params, t: float, x: np.ndarray, t_x: np.ndarray,
                       T: np.ndarray) -> np.ndarray:
    """Expected purchases ``E[X(T, T + t) | x, t_x, T]`` of each customer in the next
    ``t`` weeks (Fader & Hardie 2005, eq. 41: ``P(alive)`` times the expected purchases
    of a customer alive at ``T``).

    As :func:`kam_analysis.churn.bg_nbd.expected_purchases`, with
    ``params = (r, alpha, s, beta)``.
    """
    r, alpha, s, beta = params
    log_ratio = np.log((beta + T) / (beta + T + t))  # <= 0
    if s > HOMOGENEOUS_SHAPE:  # exponential lifetime: E[min(lifetime, t)]
        lifetime_part = -np.expm1(-s / beta * t) * beta / s
    elif abs(s - 1.0) < 1e-9:
        lifetime_part = -(beta + T) * log_ratio
    else:
        lifetime_part = (beta + T) * -np.expm1((s - 1.0) * log_ratio) / (s - 1.0)
    return p_alive(params, x, t_x, T) * (r + x) / (alpha + T) * lifetime_part
