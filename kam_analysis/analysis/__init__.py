"""The analysis engine: ABC/XYZ, key accounts, concentration, Pareto, Lorenz, migration.

Every figure follows ``docs/definitions.md`` (the project's specification,
with a figure index naming the function and the test of each figure). Sums run
in DuckDB (the analysis queries of :mod:`kam_analysis.db.queries`); this package
ranks and classifies the per-customer results with pandas/numpy. Each public
function reads in one ``db.read()`` snapshot
(:func:`~kam_analysis.analysis.snapshot.read_snapshot`).

Module map (each module imports only the ones above it):

=================  ==================================================================
``params``         AnalysisParams, Filters, KeyRule, ABC/XYZ presets, validation, EPS
``results``        Analysis, CapacityNote, Concentration, Migration, CUSTOMER_COLUMNS
``window``         the analysis window, whole-month arithmetic, period starts
``snapshot``       the read prelude: snapshot, dataset, validated params, window
``ranking``        rank order of P, shares and cumulative shares
``abc_computed``   computed ABC limits (Ultsch & Lötsch effort/yield points)
``abc``            the ABC class rule (fixed and computed limits), ABC sensitivity
``xyz``            XYZ metric and classes, the ABC-XYZ matrix, recommendations
``recency``        short history, lost and at-risk customers
``key_accounts``   the key rule, its reasons and capacity, account types
``concentration``  HHI, Gini, CR, N50/N80, dependency flags, Pareto and Lorenz curves
``facts``          the per-customer facts of the window (from the database)
``classify``       the customers frame: every per-customer definition put together
``engine``         ``analyze`` (snapshot -> facts -> classification), filter values
``trend``          concentration per quarter
``migration``      ABC migration between two windows, revenue x margin classes
``customer``       one customer's periods, class history and products
``comparison``     the window against the previous period and a year earlier
``tags``           hand-set account types
``churn``          P(alive) and expected purchases (Pareto/NBD, BG/NBD) per customer
=================  ==================================================================
"""

from __future__ import annotations

from kam_analysis.analysis.abc import abc_sensitivity
from kam_analysis.analysis.churn import ChurnResult, churn, with_churn
from kam_analysis.analysis.comparison import (
    Comparison,
    WindowValues,
    compare,
    comparison_windows,
    customer_flow,
    headline_changes,
    movers,
    window_values,
)
from kam_analysis.analysis.customer import (
    TrailingValues,
    class_history,
    customer_class_histories,
    customer_class_history,
    customer_periods,
    customer_products,
    customers_periods,
    customers_products,
    trailing_values,
)
from kam_analysis.analysis.engine import analyze, filter_values
from kam_analysis.analysis.key_accounts import capacity_text
from kam_analysis.analysis.migration import migration, revenue_margin_matrix
from kam_analysis.analysis.params import (
    ABC_PRESETS,
    XYZ_PRESETS,
    AnalysisParams,
    Filters,
    KeyRule,
)
from kam_analysis.analysis.results import CUSTOMER_COLUMNS as CUSTOMER_COLUMNS
from kam_analysis.analysis.results import Analysis, CapacityNote, Concentration, Migration
from kam_analysis.analysis.tags import get_tags, set_tags
from kam_analysis.analysis.trend import concentration_trend
from kam_analysis.analysis.xyz import RECOMMENDATIONS
from kam_analysis.vocabulary import MANUAL_TAGS

__all__ = [
    "ABC_PRESETS",
    "MANUAL_TAGS",
    "RECOMMENDATIONS",
    "XYZ_PRESETS",
    "Analysis",
    "AnalysisParams",
    "CapacityNote",
    "ChurnResult",
    "Comparison",
    "Concentration",
    "Filters",
    "KeyRule",
    "Migration",
    "TrailingValues",
    "WindowValues",
    "abc_sensitivity",
    "analyze",
    "capacity_text",
    "churn",
    "class_history",
    "compare",
    "comparison_windows",
    "concentration_trend",
    "customer_class_histories",
    "customer_class_history",
    "customer_flow",
    "customer_periods",
    "customer_products",
    "customers_periods",
    "customers_products",
    "filter_values",
    "get_tags",
    "headline_changes",
    "migration",
    "movers",
    "revenue_margin_matrix",
    "set_tags",
    "trailing_values",
    "window_values",
    "with_churn",
]
