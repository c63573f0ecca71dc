"""The "Review pack" section of the Key accounts and Account dossier pages: format and
paper, a build button with a progress bar, and the download.

The pack follows the sidebar's dataset, window, measure and filters (the page's
:class:`~ui.state.Context`) and the session's masking.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import streamlit as st

from kam_analysis.i18n import t, tn
from kam_analysis.report import FORMATS, render_pack
from kam_analysis.report.build import build_pack
from ui import calls, errors, masking
from ui.formatting import fmt_count, fmt_percent, slug

if TYPE_CHECKING:
    from ui.state import Context

_MIME = {"pdf": "application/pdf",
         "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}
PAPERS = ("A4", "Letter")


def review_pack(ctx: Context, accounts: Sequence[str] | None, key: str) -> None:
    """Draw the review-pack section.

    Parameters
    ----------
    ctx : Context
        The sidebar's dataset and analysis parameters.
    accounts : sequence of str, optional
        Real customer ids, one page each; None: every key account.
    key : str
        Prefix of the widget keys (one section per page).
    """
    f1, f2, f3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    fmt = f1.radio(t("Format"), FORMATS, format_func=str.upper, horizontal=True,
                   key=f"{key}_format")
    paper = f2.radio(t("Paper"), PAPERS, horizontal=True, key=f"{key}_paper",
                     help=t("PDF page size; slides are always 16:9."))
    wanted = (ctx.dataset.dataset_id, ctx.params, tuple(accounts or ()), accounts is None, fmt,
              paper, masking.masking())
    if f3.button(t("Build review pack"), key=f"{key}_build", icon=":material/picture_as_pdf:",
                 disabled=accounts is not None and not accounts):
        bar = st.progress(0.0, text=t("Building the review pack..."))

        def step(done: float) -> None:
            bar.progress(min(1.0, done), text=t("Building the review pack... {pct}",
                                                pct=fmt_percent(min(1.0, done))))

        with errors.guard():  # computing is about 60 % of the time, rendering the rest
            pack = build_pack(calls.get_db(), ctx.dataset.name, ctx.params, accounts,
                              masker=masking.masker() if masking.masking() else None,
                              progress=lambda f: step(0.6 * f))
            data = render_pack(pack, fmt, paper, progress=lambda f: step(0.6 + 0.4 * f))
        bar.empty()
        st.session_state[f"{key}_pack"] = (wanted, data, len(pack.accounts))
    stored = st.session_state.get(f"{key}_pack")
    if stored is None or stored[0] != wanted:
        return
    _, data, pages = stored
    name = "review_pack" if masking.masking() else f"review_pack_{slug(ctx.dataset.name)}"
    st.download_button(tn("Download the review pack ({n} account page)",
                          "Download the review pack ({n} account pages)", pages,
                          n=fmt_count(pages)), data=data,
                       file_name=f"{name}_{date.today().isoformat()}.{fmt}", mime=_MIME[fmt],
                       key=f"{key}_download", icon=":material/download:")
