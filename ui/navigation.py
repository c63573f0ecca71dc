"""The page registry and the route of every page through ``app.py``.

``app.py`` registers the pages with ``st.navigation(registry())`` and runs the
chosen one with :func:`run`. Pages link to each other with the page objects of
this run's registry (``st.page_link(navigation.page("pareto"))``).

Streamlit treats an app with a ``pages/`` folder as an old-style multipage app
until ``st.navigation`` has run once in the process: the first request after a
server start that opens a page URL directly (a bookmark such as
``/concentration``) runs that page file alone - without the sign-in gate, the
sidebar and the wide layout. Every page therefore calls :func:`enter` first: a
page that was not started by ``app.py`` registers the app's pages itself with
``st.navigation`` (which ends the old-style mode for the process, as the
Streamlit docs say of calling ``st.navigation``) and reruns, so the same URL
comes back through ``app.py`` before the page has shown anything.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kam_analysis.i18n import N_, t
from ui import language

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

#: The registered pages per navigation section: (file stem, title, icon), English.
SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    N_("Analysis"): (
        ("overview", N_("Overview"), ":material/home:"),
        ("abc_xyz", N_("ABC-XYZ"), ":material/grid_view:"),
        ("pareto", N_("Pareto"), ":material/stacked_line_chart:"),
        ("concentration", N_("Concentration"), ":material/donut_large:"),
        ("key_accounts", N_("Key accounts"), ":material/star:"),
        ("dossier", N_("Account dossier"), ":material/contact_page:"),
    ),
    N_("Data"): (("data", N_("Data"), ":material/database:"),),
}
DEFAULT_PAGE = "overview"

K_PAGES = "ui_pages"        # this run's page objects by file stem (built by registry())
K_VIA_APP = "ui_via_app"    # True while app.py runs the chosen page
K_REROUTED = "ui_rerouted"  # a page asked for a rerun through app.py (once)


def registry() -> dict[str, list[st.Page]]:
    """Build this run's page registry (translated titles) for ``st.navigation``."""
    pages: dict[str, st.Page] = {}
    sections: dict[str, list[st.Page]] = {}
    for section, entries in SECTIONS.items():
        sections[t(section)] = [
            pages.setdefault(stem, st.Page(PAGES_DIR / f"{stem}.py", title=t(title), icon=icon,
                                           default=stem == DEFAULT_PAGE))
            for stem, title, icon in entries
        ]
    st.session_state[K_PAGES] = pages
    return sections


def page(stem: str) -> st.Page:
    """Return the registered page object of ``pages/<stem>.py`` (for ``st.page_link``)."""
    pages = st.session_state.get(K_PAGES)
    if not isinstance(pages, dict) or stem not in pages:
        registry()
        pages = st.session_state[K_PAGES]
    return pages[stem]


def run(chosen: st.Page) -> None:
    """Run the page ``st.navigation`` chose (``app.py`` only)."""
    st.session_state.pop(K_REROUTED, None)
    st.session_state[K_VIA_APP] = True
    try:
        chosen.run()
    finally:
        st.session_state.pop(K_VIA_APP, None)


def enter() -> None:
    """Make sure this page runs inside ``app.py`` (every page calls it first).

    A page started by ``app.py`` goes on at once. A page Streamlit started
    alone (the first request of a fresh server opened its URL) registers the
    app's pages and reruns: the rerun goes through ``app.py`` with the same
    URL. A page run on its own as the main script (tests) goes on after that
    one rerun and draws the sidebar itself.
    """
    if st.session_state.get(K_VIA_APP):
        return
    language.choose()  # a page run on its own sets the session's language itself
    if st.session_state.pop(K_REROUTED, False):
        return
    st.session_state[K_REROUTED] = True
    st.navigation(registry())
    st.rerun()
