"""The page settings shared by every page (ABC/XYZ limits, key-account rule, lost
thresholds), kept in session state (``set_`` keys) so all pages show the same figures.
The key-account rule is also kept in the address (``rule``), so a refresh keeps it."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import streamlit as st

from kam_analysis.analysis import AnalysisParams, KeyRule

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


# ---- The key-account rule in the address (``?rule=share:0.1,cum:0.5,cap:50``) -------------

#: The URL query parameter of the key-account rule (absent for the default rule).
QUERY_RULE = "rule"


def rule_to_query(rule: KeyRule) -> str:
    """Encode a key rule for the address: the rules that are on, then the capacity."""
    parts = []
    if rule.min_share is not None:
        parts.append(f"share:{float(rule.min_share)!r}")
    if rule.cum_before is not None:
        parts.append(f"cum:{float(rule.cum_before)!r}")
    if rule.annual_value is not None:
        parts.append(f"annual:{float(rule.annual_value)!r}")
    if rule.top_n is not None:
        parts.append(f"top:{int(rule.top_n)}")
    if rule.class_a:
        parts.append("a")
    parts.append(f"cap:{int(rule.capacity)}")
    return ",".join(parts)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise ValueError(text)
    return value


def _count(text: str, low: int) -> int:
    value = int(text)
    if value < low:
        raise ValueError(text)
    return value


def _amount(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(text)
    return value


_RULE_PARTS: dict[str, tuple[str, Any]] = {
    "share": ("min_share", _fraction),
    "cum": ("cum_before", _fraction),
    "annual": ("annual_value", _amount),
    "top": ("top_n", lambda text: _count(text, 1)),
    "cap": ("capacity", lambda text: _count(text, 0)),
}


def rule_from_query(text: str | None) -> KeyRule | None:
    """Decode :func:`rule_to_query`'s text; ``None`` when it is missing or invalid."""
    if not text:
        return None
    values: dict[str, Any] = {"min_share": None, "cum_before": None, "class_a": False}
    try:
        for part in text.split(","):
            name, _, raw = part.partition(":")
            if name == "a" and not raw:
                values["class_a"] = True
            elif name in _RULE_PARTS and raw:
                field, parse = _RULE_PARTS[name]
                values[field] = parse(raw)
            else:
                return None
    except ValueError:
        return None
    return KeyRule(**values)


def read_rule_from_url() -> None:
    """On a session's first run, take a valid key rule from the address."""
    rule = rule_from_query(st.query_params.get(QUERY_RULE))
    if rule is not None and "key_rule" not in st.session_state.get(K_SETTINGS, {}):
        update_settings(key_rule=rule)


def rule_query_value() -> str | None:
    """The address value of the current key rule (``None`` for the default rule)."""
    rule = settings()["key_rule"]
    return None if rule == KeyRule() else rule_to_query(rule)
