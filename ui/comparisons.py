"""The comparison views shared by the pages: changes of the headline figures, the
movers and the customer flow per period (definitions: docs/definitions.md,
"Comparisons")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from kam_analysis.analysis import movers
from kam_analysis.formatting import fmt_change
from kam_analysis.i18n import N_, t
from ui import calls, tables
from ui import formatting as fmt

if TYPE_CHECKING:
    from ui.state import Context

#: The two comparison windows and their labels.
AGAINST = {"previous": N_("previous period"), "year": N_("a year earlier")}


def change_text(table: pd.DataFrame, figure: str, against: str) -> str:
    """The change of a headline figure against a comparison window, as text.

    The key accounts' share changes by percentage points; every other figure by a
    relative change; "not covered" when the data does not reach the window.
    """
    covered = not pd.isna(table.loc[figure, f"value_{against}"])
    change = table.loc[figure, f"change_{against}"]
    if figure == "key_share" and covered:
        sign = "+" if not pd.isna(change) and change >= 0 else ""
        return t("{points} points", points=sign + fmt.fmt_decimal(change * 100, 1))
    return fmt_change(change, covered)


def delta(table: pd.DataFrame, figure: str) -> str | None:
    """The ``st.metric`` delta: the change against the previous period (None when the
    data does not cover it or the change is undefined)."""
    text = change_text(table, figure, "previous")
    return None if text in (t("not covered"), "–") else text


def caption(table: pd.DataFrame, figure: str) -> str:
    """Both changes in one line, for the caption under a metric."""
    return t("vs previous period: {previous}; vs a year earlier: {year}",
             previous=change_text(table, figure, "previous"),
             year=change_text(table, figure, "year"))


def windows_caption(ctx: Context) -> str:
    """The two comparison windows and whether the data covers them."""
    found = calls.comparison(ctx)
    (p1, p2), (y1, y2) = found.previous, found.year_earlier
    dates = {"p1": fmt.fmt_date(fmt.as_date(p1)), "p2": fmt.fmt_date(fmt.as_date(p2)),
             "y1": fmt.fmt_date(fmt.as_date(y1)), "y2": fmt.fmt_date(fmt.as_date(y2))}
    sentence = {
        (True, True): N_("Compared with the previous period ({p1} to {p2}) and with a year "
                      "earlier ({y1} to {y2})."),
        (True, False): N_("Compared with the previous period ({p1} to {p2}) and with a year "
                       "earlier ({y1} to {y2}, not covered by the data)."),
        (False, True): N_("Compared with the previous period ({p1} to {p2}, not covered by the "
                       "data) and with a year earlier ({y1} to {y2})."),
        (False, False): N_("Compared with the previous period ({p1} to {p2}) and with a year "
                        "earlier ({y1} to {y2}): the data covers neither."),
    }[(bool(found.previous_covered), bool(found.year_covered))]
    return t(sentence, **dates)


def movers_view(ctx: Context, names: dict[str, str], key: str) -> None:
    """The customers whose value rose most and fell most (top 10 each)."""
    found = calls.comparison(ctx)
    against = st.segmented_control(t("Against"), list(AGAINST), default="previous",
                                   format_func=lambda a: t(AGAINST[a]), key=f"{key}_against")
    against = against or "previous"
    covered = found.previous_covered if against == "previous" else found.year_covered
    if not covered:
        st.info(t("The data does not cover the previous period.") if against == "previous"
                else t("The data does not cover a year earlier."))
        return
    rose, fell = movers(found, against, 10, names)
    left, right = st.columns(2)
    for column, frame, title, part in ((left, rose, t("Rose most"), "up"),
                                       (right, fell, t("Fell most"), "down")):
        column.markdown(f"**{title}**")
        if frame.empty:
            column.caption(t("No customer."))
            continue
        with column:
            tables.show(pd.DataFrame({
                t("Customer"): frame["customer_name"],
                t("ID"): frame["customer_id"],
                t("Value"): frame["value"].round(0),
                t("Before"): frame["value_before"].round(0),
                t("Difference"): frame["difference"].round(0),
                t("Change"): [fmt_change(c) for c in frame["change"]],
            }), {t("Value"): "number", t("Before"): "number", t("Difference"): "number"},
                hide_index=True, key=f"{key}_{part}")


def flow_view(ctx: Context, key: str) -> None:
    """New, returning, recovered and stopped customers per month or quarter."""
    period = st.segmented_control(t("Period"), ["month", "quarter"], default="month",
                                  format_func=fmt.period_label, key=f"{key}_period")
    flow = calls.flow(ctx, period or "month")
    tables.show(pd.DataFrame({
        t("Period"): [fmt.fmt_period(p, period or "month") for p in flow["period"]],
        t("New"): flow["new"], t("Returning"): flow["returning"],
        t("Recovered"): flow["recovered"], t("Stopped"): flow["stopped"],
        t("Active"): flow["active"],
    }), {c: "count" for c in (t("New"), t("Returning"), t("Recovered"), t("Stopped"),
                              t("Active"))}, hide_index=True, key=f"{key}_table")
    st.caption(t("New: first purchase ever in the period. Returning: bought in the period and "
                 "in the one before. Recovered: bought in the period, not in the one before, "
                 "but earlier. Stopped: bought in the period before, not in this one."))
