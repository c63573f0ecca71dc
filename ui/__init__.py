"""The Streamlit helpers of the app, beside ``pages/`` (which holds only the pages).

* :mod:`ui.navigation` - the page registry (``st.Page`` objects) and the route
  of every page run through ``app.py``;
* :mod:`ui.calls` - the shared database and the cached engine calls;
* :mod:`ui.errors` - :func:`~ui.errors.guard` and :func:`~ui.errors.report_exception`;
* :mod:`ui.formatting` - numbers, money, percentages and the labels of codes;
* :mod:`ui.state` - session-state keys, :class:`~ui.state.Context`, URL parameters;
* :mod:`ui.sidebar` - the shared sidebar (dataset, period, measure, filters);
* :mod:`ui.settings` - the page settings shared by every page;
* :mod:`ui.access` - the sign-in gate and roles;
* :mod:`ui.masking` - pseudonyms instead of customer names (one Masker per session).
* :mod:`ui.churn` - P(alive) and expected purchases: table columns, explanation, chart.

Every user-facing text goes through :func:`kam_analysis.i18n.t`.
"""
