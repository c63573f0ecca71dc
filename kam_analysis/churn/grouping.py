"""Reduce the customers to what the likelihood needs to evaluate.

Many customers share the same ``(frequency, recency, T)``: the fit evaluates each
distinct triple once, weighted by its count. Within a triple, the expensive special
functions depend on fewer values still: ``gammaln(r + x)`` on the distinct
frequencies, ``log(alpha + t)`` on the distinct times, Pareto/NBD's hypergeometric
term on the distinct ``(frequency, time)`` pairs. :class:`Factorized` holds those
distinct values and the indices that map them back.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Factorized(NamedTuple):
    """Customers (or distinct triples) with their distinct values and index maps.

    Attributes
    ----------
    x, t_x, T : numpy.ndarray
        Frequency, recency and age per row, in weeks.
    weights : numpy.ndarray
        Customers per row (1 when not grouped).
    x_values, x_index : numpy.ndarray
        Distinct frequencies and, per row, the position of its frequency.
    t_values, recency_index, age_index : numpy.ndarray
        Distinct times (recency and age together) and, per row, the positions of
        its recency and its age.
    pair_x, pair_t, pair_recency, pair_age : numpy.ndarray
        Distinct ``(frequency, time)`` pairs and, per row, the positions of its
        ``(x, t_x)`` and ``(x, T)`` pairs.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    x_values: np.ndarray
    x_index: np.ndarray
    t_values: np.ndarray
    recency_index: np.ndarray
    age_index: np.ndarray
    pair_x: np.ndarray
    pair_t: np.ndarray
    pair_recency: np.ndarray
    pair_age: np.ndarray


def factorize(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *,
              group: bool = False) -> Factorized:
    """Index the distinct values of checked per-customer arrays.

    Parameters
    ----------
    x, t_x, T : numpy.ndarray
        Frequency, recency and age per customer (checked, same length).
    group : bool
        Merge identical ``(x, t_x, T)`` rows into one weighted row.

    Returns
    -------
    Factorized
        Rows (distinct triples if ``group``) with their index maps.
    """
    n = len(x)
    x_values, x_index = np.unique(x, return_inverse=True)
    t_values, t_index = np.unique(np.concatenate([t_x, T]), return_inverse=True)
    recency_index, age_index = t_index[:n], t_index[n:]
    weights = np.ones(n)
    if group:
        width = np.int64(len(t_values))
        key = (x_index.astype(np.int64) * width + recency_index) * width + age_index
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        x, t_x, T = x[first], t_x[first], T[first]
        x_index, recency_index, age_index = x_index[first], recency_index[first], age_index[first]
        weights = counts.astype(float)
    width = np.int64(len(t_values))
    rows = len(x)
    pair_keys, pair_index = np.unique(
        np.concatenate([x_index * width + recency_index, x_index * width + age_index]),
        return_inverse=True,
    )
    return Factorized(
        x, t_x, T, weights, x_values, x_index, t_values, recency_index, age_index,
        x_values[pair_keys // width], t_values[pair_keys % width],
        pair_index[:rows], pair_index[rows:],
    )
