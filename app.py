"""KAM Analysis - the Streamlit app: page registry, shared sidebar, first-start demo data.

Run with ``streamlit run app.py``; the database is ``$KAM_DB`` or ``data/kam.duckdb``.
"""

from __future__ import annotations

import streamlit as st

from kam_analysis.db import StorageError
from ui import access, calls, errors, language, navigation, sidebar, uploads

st.set_page_config(page_title="KAM Analysis", page_icon=":material/monitoring:", layout="wide")
language.choose()  # this session's language, for this run only
# The registry, hidden, before the gate: a fresh server treats the pages/ folder as an
# old-style page list until st.navigation runs, and the gate may stop this run first.
st.navigation(navigation.registry(), position="hidden")
language.selector()  # in the sidebar, also before sign-in
access.gate()  # sign-in (stops the run until the user may see the app)

page = st.navigation(navigation.registry())
try:
    calls.ensure_demo()
    uploads.on_every_run()  # sweeps saved uploads at session start, marks this one in use
    sidebar.sidebar()
    access.sidebar_footer()  # masking toggle, who is signed in, sign out
except StorageError as exc:
    st.error(str(exc))
    st.stop()

if page.url_path != "dossier" and "customer" in st.query_params:
    del st.query_params["customer"]  # the dossier's own URL parameter

try:
    navigation.run(page)
except Exception as exc:  # last line of defence: never show a traceback
    errors.report_exception(exc)
