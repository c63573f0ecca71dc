"""Concentration: how dependent the business is on its largest customers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kam_analysis.i18n import sentence_case, t, tn
from ui import calls, charts, errors, navigation, sidebar, tables
from ui import formatting as fmt

navigation.enter()
ctx = sidebar.require_context()
st.title(t("Concentration and dependency"))
result = calls.positive_analysis(ctx)
c = result.concentration

top = st.columns(3)
top[0].metric(t("HHI"), fmt.fmt_decimal(c.hhi, 0))
top[0].caption(t("{band}. Bands of the US 2023 Merger Guidelines for markets (≤ 1000 "
                 "unconcentrated, 1000-1800 moderately, > 1800 highly concentrated): an "
                 "antitrust yardstick, not a credit rule.",
                 band=sentence_case(fmt.label(c.hhi_band))))
top[1].metric(t("Gini"), fmt.fmt_decimal(c.gini, 3))
top[1].caption(t("0 = all customers equal, 1 = one customer has everything."))
top[2].metric(t("Largest customer"), fmt.fmt_pct(c.top_share),
              help=fmt.md_text(c.top_customer_name or c.top_customer_id or ""))
top[2].caption(fmt.md_text(c.top_customer_name or c.top_customer_id or ""))

cr = st.columns(6)
for col, (name, value) in zip(cr, [("CR1", c.cr1), ("CR3", c.cr3), ("CR5", c.cr5),
                                    ("CR10", c.cr10)], strict=False):
    col.metric(name, fmt.fmt_pct(value), help=tn("Share of the largest {k} customer.",
                                                "Share of the largest {k} customers.",
                                                int(name[2:]), k=fmt.fmt_count(int(name[2:]))))
cr[4].metric("N50", fmt.fmt_count(c.n50), help=t("Customers that make 50 % of the value."))
cr[5].metric("N80", fmt.fmt_count(c.n80), help=t("Customers that make 80 % of the value."))

st.subheader(t("Single-customer dependency"))
thresholds = [
    ("major_customer", t("≥ 10 % of the total: major customer - the disclosure line of "
                         "IFRS 8.34 / ASC 280.")),
    ("critical_dependency", t("> 20 %: critical dependency.")),
    ("mono_client", t("> 70 %: mono-client business.")),
]
for flag, text in thresholds:
    mark = (":red[:material/warning:]" if flag in c.flags
            else ":gray[:material/radio_button_unchecked:]")
    st.markdown(f"{mark} {text}")
if not c.flags:
    st.success(t("No customer reaches 10 % of the total."))

st.subheader(t("Value at risk"))
risk = st.columns(3)
for col, k in zip(risk, (1, 3, 5), strict=True):
    lost = c.revenue_at_risk.get(k, c.revenue_at_risk.get(str(k), 0.0))
    col.metric(tn("If the top {k} leave", "If the top {k} leave", k, k=fmt.fmt_count(k)),
               fmt.fmt_value(lost, ctx),
               help=t("{share} of the total", share=fmt.fmt_pct(lost / c.total if c.total else 0)))

st.subheader(t("Trend per quarter"))
with errors.guard():
    trend = calls.trend(ctx)
if trend.empty:
    st.caption(t("The window holds no complete quarter with sales."))
else:
    hhi_col, share_col = st.columns(2)
    with hhi_col:
        st.markdown(fmt.bold(t("HHI per quarter")))
        charts.show(charts.hhi_figure(trend), key="conc_trend")
    with share_col:
        st.markdown(fmt.bold(t("Share of the largest customers per quarter")))
        charts.show(charts.shares_figure(trend), key="conc_shares")
    tables.show(pd.DataFrame({
        t("Quarter"): charts.quarter_labels(trend),
        t("Customers"): trend["customers"],
        t("Total"): trend["total"],
        "HHI": trend["hhi"].round(0),
        t("Gini"): trend["gini"].round(3),
        "CR1": trend["cr1"] * 100, "CR3": trend["cr3"] * 100, "CR5": trend["cr5"] * 100,
    }), {t("Customers"): "count", t("Total"): "number", "HHI": "number",
         t("Gini"): "dec3",  # one precision: 0.520
         "CR1": "pct", "CR3": "pct", "CR5": "pct"},
        hide_index=True, key="conc_trend_table")

st.subheader(t("Top customers"))
ranked = result.customers[result.customers["rank"].notna()].head(10)
tables.show(pd.DataFrame({
    t("Rank"): ranked["rank"],
    t("Customer"): ranked["customer_name"].fillna(ranked["customer_id"]),
    t("Value"): ranked["value"].round(0),
    t("Share"): ranked["share"] * 100,
    t("Cumulative share"): ranked["cumulative_share"] * 100,
}), {t("Rank"): "count", t("Value"): "number", t("Share"): "pct",
     t("Cumulative share"): "pct"}, hide_index=True, key="conc_top_table")
