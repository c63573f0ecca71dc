"""Pareto: how few customers bring most of the value, and the Lorenz curve with Gini."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from kam_analysis.i18n import t
from ui import calls, navigation, sidebar
from ui import formatting as fmt

navigation.enter()
ctx = sidebar.require_context()
st.title(t("Pareto analysis"))
result = calls.positive_analysis(ctx)
c = result.concentration

# ---- 80/20 in words ---------------------------------------------------------
if c.top20_share >= 0.8:
    verdict = t("The 80/20 rule holds: the top 20 % of customers bring {share} of the value.",
                share=fmt.fmt_pct(c.top20_share))
else:
    verdict = t("The 80/20 rule does not hold: the top 20 % of customers bring {share} of "
                "the value.", share=fmt.fmt_pct(c.top20_share))
st.markdown(f"**{verdict}** " + t("80 % of the value comes from {k} of the {n} customers with "
                                   "positive value ({pct}).", k=f"{c.customers_for_80_k:,}",
                                   n=f"{c.customers:,}", pct=fmt.fmt_pct(c.customers_for_80)))
m = st.columns(4)
m[0].metric(t("Top 20 % of customers bring"), fmt.fmt_pct(c.top20_share))
m[1].metric(t("Customers for 80 %"), f"{c.customers_for_80_k:,}",
            help=fmt.fmt_pct(c.customers_for_80))
m[2].metric(t("Gini"), f"{c.gini:.3f}",
            help=t("0 = every customer buys the same, 1 = one customer buys everything."))
m[3].metric(t("Customers with positive value"), f"{c.customers:,}",
            help=t("The curves are over these customers; {n} customers with sales in the "
                   "window have no positive value.",
                   n=f"{int(result.customers['non_positive'].sum()):,}"))

# ---- Bars + cumulative line ---------------------------------------------------
ranked = result.customers[result.customers["rank"].notna()]
top_n = int(st.number_input(t("Customers shown"), min_value=5, max_value=500, value=30,
                            step=5, key="par_top_n"))
shown = ranked.head(top_n)
names = [f"{int(r)}. {n if len(n) <= 18 else n[:17] + '…'}" for r, n in
         zip(shown["rank"], shown["customer_name"].fillna(shown["customer_id"]).astype(str),
             strict=True)]
values = shown["value"].tolist()
cum = (shown["cumulative_share"] * 100).tolist()
rest = ranked.iloc[top_n:]
if len(rest):
    names.append(t("Others ({n})", n=len(rest)))
    values.append(float(rest["value"].sum()))
    cum.append(100.0)
fig = make_subplots(specs=[[{"secondary_y": True}]])
fig.add_bar(x=names, y=values, name=fmt.measure_label(ctx.params.measure),
            marker_color=["#1f77b4"] * len(shown) + ["#aaaaaa"] * (len(names) - len(shown)))
fig.add_scatter(x=names, y=cum, name=t("Cumulative share, %"), mode="lines+markers",
                secondary_y=True, line={"color": "#d62728"})
fig.add_hline(y=80, line_dash="dot", secondary_y=True, annotation_text="80 %")
fig.update_yaxes(title=fmt.measure_label(ctx.params.measure), secondary_y=False)
fig.update_yaxes(title=t("Cumulative share, %"), range=[0, 105], secondary_y=True)
fig.update_xaxes(tickangle=-45, categoryorder="array", categoryarray=names)
fig.update_layout(height=460, legend={"orientation": "h"}, margin={"t": 30})
st.plotly_chart(fig, key="par_bars")

# ---- Pareto curve and Lorenz curve --------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader(t("Pareto curve"))
    pc = go.Figure()
    pc.add_scatter(x=result.pareto["x"] * 100, y=result.pareto["y"] * 100, mode="lines",
                   name=t("Customers, ranked"))
    pc.add_vline(x=20, line_dash="dot")
    pc.add_hline(y=80, line_dash="dot")
    pc.update_layout(xaxis_title=t("Share of customers, %"),
                     yaxis_title=t("Share of value, %"), height=380, margin={"t": 20})
    st.plotly_chart(pc, key="par_curve")
with right:
    st.subheader(t("Lorenz curve"))
    lz = go.Figure()
    lz.add_scatter(x=result.lorenz["x"] * 100, y=result.lorenz["y"] * 100, mode="lines",
                   fill="tonexty", name=t("Lorenz curve"))
    lz.add_scatter(x=[0, 100], y=[0, 100], mode="lines", line={"dash": "dash"},
                   name=t("Perfect equality"))
    lz.update_layout(xaxis_title=t("Share of customers (smallest first), %"),
                     yaxis_title=t("Share of value, %"), height=380, margin={"t": 20})
    st.plotly_chart(lz, key="par_lorenz")
    st.caption(t("Gini = {g:.3f}: the further the curve from the diagonal, the more "
                 "unequal the customers.", g=c.gini))
