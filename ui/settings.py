"""The page settings shared by every page (ABC/XYZ limits, key-account rule, lost
thresholds), kept in session state (``set_`` keys) so all pages show the same figures."""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from kam_analysis.analysis import AnalysisParams

K_SETTINGS = "set_analysis"  # dict of page settings shared by all pages

_SETTING_FIELDS = ("abc_method", "abc_limits", "xyz_metric", "xyz_limits", "period",
                   "key_rule", "lost_after_days", "lost_gap_factor")


def settings() -> dict[str, Any]:
    """Return the page settings shared by all pages (defaults from ``AnalysisParams``)."""
    defaults = AnalysisParams()
    stored = st.session_state.get(K_SETTINGS, {})
    return {f: stored.get(f, getattr(defaults, f)) for f in _SETTING_FIELDS}


def update_settings(**values: Any) -> None:
    """Store page settings (validated by building ``AnalysisParams``); raise ValueError."""
    unknown = set(values) - set(_SETTING_FIELDS)
    if unknown:
        raise ValueError(f"Unknown settings: {', '.join(sorted(unknown))}")
    merged = {**settings(), **values}
    AnalysisParams(**merged)  # the engine validates when analysing; this checks the types
    st.session_state[K_SETTINGS] = merged


def apply_settings(params: AnalysisParams) -> AnalysisParams:
    """Return ``params`` with the shared page settings applied."""
    return dataclasses.replace(params, **settings())
