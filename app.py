"""KAM Analysis - the Streamlit app: page registry, shared sidebar, first-start demo data.

Run with ``streamlit run app.py``; the database is ``$KAM_DB`` or ``data/kam.duckdb``.
"""

from __future__ import annotations

import streamlit as st

from kam_analysis.i18n import t
from kam_analysis.storage import StorageError
from pages import ui

ui.ensure_navigation()
st.set_page_config(page_title="KAM Analysis", page_icon=":material/monitoring:", layout="wide")
ui.gate()  # sign-in (stops the run until the user may see the app)

PAGES = {
    t("Analysis"): [
        st.Page("pages/overview.py", title=t("Overview"), icon=":material/home:", default=True),
        st.Page("pages/abc_xyz.py", title=t("ABC-XYZ"), icon=":material/grid_view:"),
        st.Page("pages/pareto.py", title=t("Pareto"), icon=":material/stacked_line_chart:"),
        st.Page("pages/concentration.py", title=t("Concentration"), icon=":material/donut_large:"),
        st.Page("pages/key_accounts.py", title=t("Key accounts"), icon=":material/star:"),
        st.Page("pages/dossier.py", title=t("Account dossier"), icon=":material/contact_page:"),
    ],
    t("Data"): [st.Page("pages/data.py", title=t("Data"), icon=":material/database:")],
}

page = st.navigation(PAGES)
try:
    ui.ensure_demo()
    ui.sidebar()
    ui.sidebar_footer()  # masking toggle, who is signed in, sign out
except StorageError as exc:
    st.error(str(exc))
    st.stop()

if page.url_path != "dossier" and "customer" in st.query_params:
    del st.query_params["customer"]  # the dossier's own URL parameter

try:
    page.run()
except Exception as exc:  # last line of defence: never show a traceback
    ui.report_exception(exc)
