"""The analysis itself: read snapshot -> per-customer facts -> classification -> figures."""

from __future__ import annotations

from kam_analysis.analysis.classify import classify
from kam_analysis.analysis.concentration import concentration, lorenz_curve, pareto_curve
from kam_analysis.analysis.facts import customer_facts
from kam_analysis.analysis.key_accounts import capacity_note
from kam_analysis.analysis.params import DEFAULT_PARAMS, AnalysisParams
from kam_analysis.analysis.results import Analysis
from kam_analysis.analysis.snapshot import read_snapshot
from kam_analysis.analysis.xyz import abc_xyz_matrix
from kam_analysis.db import Database, datasets, notes, queries


def analyze(db: Database, dataset: str, params: AnalysisParams = DEFAULT_PARAMS) -> Analysis:
    """Classify every customer of a dataset and compute the portfolio figures.

    Parameters
    ----------
    db : Database
        The database.
    dataset : str
        Dataset name.
    params : AnalysisParams
        Measure, window, filters, ABC/XYZ settings, key rule, lost/at-risk settings.

    Returns
    -------
    Analysis
        ``customers`` (one row per customer with rows in the window: ranked
        customers first, then the non-positive ones by id), the 9-cell ABC-XYZ
        matrix, limits used, concentration, Pareto and Lorenz curves.

    Raises
    ------
    kam_analysis.db.DatasetNotFoundError
        If the dataset does not exist.
    ValueError
        For invalid parameters.
    """
    with read_snapshot(db, dataset, params) as snap:
        info, window = snap.info, snap.window
        stats = customer_facts(snap.cur, info, params, window)
        tags = notes.account_tags_in(snap.cur)
    df, abc_limits, computed, wanted = classify(stats, params, window, tags, info.has_margin)
    conc = concentration(df)
    ranked_values = df["value"].to_numpy(dtype=float)[: conc.customers]
    note = capacity_note(wanted, int(df["key_account"].sum()), params.key_rule.capacity,
                         ranked_values)
    return Analysis(
        dataset=info, params=params, window=window, customers=df,
        matrix=abc_xyz_matrix(df, conc.total), abc_limits=abc_limits, computed_limits=computed,
        concentration=conc, pareto=pareto_curve(ranked_values),
        lorenz=lorenz_curve(ranked_values), has_margin=info.has_margin,
        key_wanted=wanted, capacity_note=note,
    )


def filter_values(db: Database, dataset: str) -> dict[str, list[str]]:
    """Sorted distinct non-null values of region, manager, category, product.

    ``db`` and ``dataset`` are as for :func:`analyze`; the result maps each field
    name to its values. Raises :class:`~kam_analysis.db.DatasetNotFoundError` for an unknown
    dataset.
    """
    with db.read() as cur:
        info = datasets.dataset_in(cur, dataset)
        return queries.distinct_filter_values(cur, info.dataset_id)
