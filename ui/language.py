"""The session's language: chosen once per session, set for every script run.

The order on a session's first run: ``?lang=`` in the address (a shared link opens
in its sender's language), the browser's language (``st.context.locale``), then the
server's default (``$KAM_LANG``, else English). Afterwards the sidebar's selector
decides, and the address keeps the choice. The language is set for this run's
context only (:func:`kam_analysis.i18n.set_language`), never for the process.
"""

from __future__ import annotations

import streamlit as st

from kam_analysis.i18n import (
    LANGUAGES,
    default_language,
    get_language,
    normalize_language,
    set_language,
    t,
)

K_LANGUAGE = "ui_language"        # the session's language (not a widget key: it survives
K_SELECT = "sb_language_select"   # runs that stop before the sidebar draws the selector)
QUERY_LANG = "lang"


def _browser_language() -> str | None:
    try:
        return normalize_language(st.context.locale)
    except Exception:  # no browser context (a bare script run)
        return None


def choose() -> str:
    """Set this run's language from the session (first run: address, browser, server).

    Called first in every run (``app.py``, and pages run on their own).
    """
    state = st.session_state
    chosen = normalize_language(state.get(K_LANGUAGE))
    if chosen is None:
        chosen = (normalize_language(st.query_params.get(QUERY_LANG)) or _browser_language()
                  or default_language())
        state[K_LANGUAGE] = chosen
    set_language(chosen)
    if st.query_params.get(QUERY_LANG) != chosen:
        st.query_params[QUERY_LANG] = chosen
    return chosen


def _selected() -> None:
    choice = normalize_language(st.session_state.get(K_SELECT))
    if choice:
        st.session_state[K_LANGUAGE] = choice
        set_language(choice)
        st.query_params[QUERY_LANG] = choice


def selector() -> None:
    """Draw the language selector in the sidebar (each language in its own name)."""
    st.session_state[K_SELECT] = get_language()
    st.sidebar.selectbox(t("Language"), list(LANGUAGES), key=K_SELECT,
                         format_func=LANGUAGES.__getitem__, on_change=_selected)
