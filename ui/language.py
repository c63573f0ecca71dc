"""The session's language: chosen once per session, set for every script run.

The order on a session's first run: ``?lang=`` in the address (a shared link opens
in its sender's language), the browser's language (``st.context.locale``), then the
server's default (``$KAM_LANG``, else English). Afterwards the sidebar's selector
decides, and the address keeps the choice. The language is set for this run's
context only (:func:`kam_analysis.i18n.set_language`), never for the process.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kam_analysis.formatting import fmt_date
from kam_analysis.i18n import (
    LANGUAGES,
    default_language,
    get_language,
    is_rtl,
    normalize_language,
    set_language,
    t,
)

K_LANGUAGE = "ui_language"        # the session's language (not a widget key: it survives
K_SELECT = "sb_language_select"   # runs that stop before the sidebar draws the selector)
QUERY_LANG = "lang"

#: Where the Persian font is served from (``static/``, ``server.enableStaticServing``): the
#: Arabic-script glyphs of DejaVu Sans (subset, 19 KB each), so they need no network.
FONT_URL = "app/static/persian{weight}.woff"
#: The Unicode ranges of the Persian font: other characters keep the app's own font.
_ARABIC_RANGE = "U+0600-06FF, U+200C-200F, U+FB50-FDFF, U+FE70-FEFF"
_FONT = "KamPersian, 'Source Sans Pro', 'Source Sans 3', sans-serif"


def rtl_stylesheet() -> str:
    """The stylesheet of right-to-left languages (Persian).

    Streamlit has no right-to-left mode; the least it takes: the page's direction
    (``direction: rtl`` on the app's container puts the sidebar on the right and runs
    text, columns and widgets right to left), text aligned right, and the Persian
    font for Arabic-script characters only (``unicode-range``). Charts stay left to
    right (their axes assume it); the data grid follows the page (first column on the
    right); numbers inside right-to-left text are ordered by the browser's bidi rules.
    """
    faces = "".join(
        f'@font-face{{font-family:"KamPersian";src:url("{FONT_URL.format(weight=suffix)}") '
        f'format("woff");font-weight:{weight};unicode-range:{_ARABIC_RANGE};}}'
        for suffix, weight in (("", 400), ("-bold", 700)))
    rtl = '[data-testid="stAppViewContainer"],[data-testid="stMain"],[data-testid="stSidebar"]'
    text = ":is(p,li,h1,h2,h3,h4,h5,h6,label,input,textarea,button,summary,span,div)"
    return (
        f"<style>{faces}"
        f"{rtl}{{direction:rtl;}}"
        f'[data-testid="stMain"],[data-testid="stSidebar"]{{font-family:{_FONT};}}'
        f':is([data-testid="stMain"],[data-testid="stSidebar"]) {text}'
        # Icons keep their icon font: every Streamlit icon's test id names it an icon
        # (stIconMaterial, stExpanderIcon); the expander's showed "picture_as_pdf".
        f':not([class*="material"]):not([data-testid*="Icon"]){{font-family:{_FONT};}}'
        ':is([data-testid="stMarkdownContainer"],[data-testid="stCaptionContainer"],'
        '[data-testid="stMetric"],[data-testid="stAlert"]){text-align:right;}'
        ':is([data-testid="stPlotlyChart"],[data-testid="stArrowVegaLiteChart"])'
        "{direction:ltr;}"
        # Persian digits run wider: a metric's full amount still fits a quarter row.
        '[data-testid="stMetricValue"]{font-size:1.9rem;}'
        "</style>"
    )


def apply_direction() -> None:
    """Inject the right-to-left stylesheet when this run's language needs it."""
    if is_rtl():
        st.html(rtl_stylesheet())


def jalali_note(value: date | None) -> None:
    """Show a date input's day in the Iranian calendar under it (Persian only: the data's
    dates, so date inputs, stay Gregorian)."""
    if value and get_language() == "fa":
        st.caption(t("In the Iranian calendar: {date}", date=fmt_date(value)))


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
    apply_direction()
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
