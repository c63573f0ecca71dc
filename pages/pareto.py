"""Pareto: how few customers bring most of the value, and the Lorenz curve with Gini."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from kam_analysis.i18n import N_, t, tn
from ui import calls, charts, navigation, sidebar, state
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
                                   "positive value ({pct}).",
                                   k=fmt.fmt_count(c.customers_for_80_k),
                                   n=fmt.fmt_count(c.customers),
                                   pct=fmt.fmt_pct(c.customers_for_80)))
m = st.columns(4)
m[0].metric(t("Top 20 % of customers bring"), fmt.fmt_pct(c.top20_share))
m[1].metric(t("Customers for 80 %"), fmt.fmt_count(c.customers_for_80_k),
            help=fmt.fmt_pct(c.customers_for_80))
m[2].metric(t("Gini"), fmt.fmt_decimal(c.gini, 3),
            help=t("0 = every customer buys the same, 1 = one customer buys everything."))
non_positive = int(result.customers["non_positive"].sum())
m[3].metric(t("Customers with positive value"), fmt.fmt_count(c.customers),
            help=tn("The curves are over these customers; {n} customer with sales in the "
                    "window has no positive value.",
                    "The curves are over these customers; {n} customers with sales in the "
                    "window have no positive value.", non_positive,
                    n=fmt.fmt_count(non_positive)))

# ---- Pareto curve and the ranked top list -------------------------------------
TOP_DEFAULT = 30


def _top_from_url(text: str | None) -> int | None:
    """The top N from the address (``top=``): a whole number from 5 to 100, else None."""
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value if 5 <= value <= 100 else None


ranked = result.customers[result.customers["rank"].notna()]
st.subheader(t("Pareto curve"))
charts.show(charts.pareto_figure(result.pareto, c.customers_for_80, c.customers_for_80_k,
                                 c.customers), key="par_curve")
st.subheader(t("Top customers"))
state.choice_from_url("par_top_n", "top", _top_from_url)
st.session_state.setdefault("par_top_n", TOP_DEFAULT)
top_n = int(st.number_input(t("Customers shown"), min_value=5, max_value=100, step=5,
                            key="par_top_n"))
state.choice_to_url("top", top_n, default=TOP_DEFAULT)
shown = ranked.head(top_n)
rest = ranked.iloc[top_n:]
charts.show(charts.top_bars(shown, ctx, [fmt.fmt_value(v, ctx) for v in shown["value"]]),
            key="par_bars")
if len(rest):
    st.caption(tn("The other {n} customer brings {value} ({share}).",
                  "The other {n} customers bring {value} ({share}).", len(rest),
                  n=fmt.fmt_count(len(rest)),
                 value=fmt.fmt_value(float(rest["value"].sum()), ctx),
                 share=fmt.fmt_pct(float(rest["share"].sum()))))

# ---- Lorenz curve ----------------------------------------------------------------
st.subheader(t("Lorenz curve"))
lx, ly = charts.thin_curve(result.lorenz["x"].to_numpy(dtype=float),
                           result.lorenz["y"].to_numpy(dtype=float))
lz = go.Figure()
lz.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": "#aaaaaa"},
               name=t("Perfect equality"), hoverinfo="skip")
lz.add_scatter(x=lx, y=ly, mode="lines", fill="tonexty", name=t("Lorenz curve"),
               line={"color": "#1f77b4"}, customdata=charts.share_hover(
                   lx, ly, N_("the smallest {x} of customers bring {y} of the value")),
               hovertemplate="%{customdata}<extra></extra>")
charts.percent_axis(lz, "xaxis", dtick=0.1, title=t("Share of customers, smallest first"))
charts.percent_axis(lz, "yaxis", dtick=0.2, title=t("Cumulative share of the value"),
                    top=1.02)
lz.update_layout(height=380, margin={"t": 40, "r": 20}, legend=charts.LEGEND_ABOVE)
charts.show(lz, key="par_lorenz")
st.caption(t("Gini = {g}: the further the curve from the diagonal, the more "
             "unequal the customers.", g=fmt.fmt_decimal(c.gini, 3)))
