"""Overview: the headline figures of the selected dataset and window, in plain words."""

from __future__ import annotations

import streamlit as st

from kam_analysis.i18n import t
from ui import calls, navigation, sidebar
from ui import formatting as fmt

navigation.enter()
ctx = sidebar.require_context()
st.title(t("Overview"))
st.caption(t("{dataset}: {start} to {end}, {measure}", dataset=fmt.md_text(ctx.dataset.name),
             start=ctx.params.start or ctx.dataset.first_date,
             end=ctx.params.end or ctx.dataset.last_date,
             measure=fmt.measure_label(ctx.params.measure)))

result = calls.positive_analysis(ctx)
c = result.concentration

key_count = int(result.customers["key_account"].sum())
row1, row2 = st.columns(3), st.columns(3)
cols = [*row1, *row2]
cols[0].metric(t("Customers"), f"{c.customers:,}",
               help=t("Customers with a positive value in the window."))
cols[1].metric(t("Total"), fmt.fmt_value(c.total, ctx))
cols[2].metric(t("Key accounts"), f"{key_count:,}")
cols[3].metric(t("Key accounts' share"), fmt.fmt_pct(c.key_share),
               help=t("Share of the total held by the key accounts; a healthy figure is "
                      "30-55 %."))
cols[3].caption(fmt.label(c.key_share_band))
cols[4].metric(t("Largest customer"), fmt.fmt_pct(c.top_share),
               help=fmt.md_text(c.top_customer_name or c.top_customer_id or ""))
cols[4].caption(", ".join(fmt.label(f) for f in c.flags) or t("no dependency flag"))
cols[5].metric(t("HHI"), f"{c.hhi:,.0f}",
               help=t("Herfindahl-Hirschman index over customer shares (US 2023 Merger "
                      "Guidelines market bands: an antitrust yardstick, not a credit rule)."))
cols[5].caption(fmt.label(c.hhi_band))

st.subheader(t("In short"))
sentences = [
    t("{pct} of customers ({k} of {n}) bring 80 % of {measure}.",
      pct=fmt.fmt_pct(c.customers_for_80), k=c.customers_for_80_k, n=c.customers,
      measure=fmt.measure_label(ctx.params.measure).lower()),
    t("The top 20 % of customers bring {share}.", share=fmt.fmt_pct(c.top20_share)),
]
top_name = fmt.md_text(c.top_customer_name or c.top_customer_id or t("unknown"))
worst = next((f for f in ("mono_client", "critical_dependency", "major_customer")
              if f in c.flags), None)
if worst:
    sentences.append(t("The largest customer, {name}, is {share} of {measure}: {flag}.",
                       name=top_name, share=fmt.fmt_pct(c.top_share),
                       measure=fmt.measure_label(ctx.params.measure).lower(),
                       flag=fmt.label(worst)))
else:
    sentences.append(t("The largest customer, {name}, is {share} of {measure}: no single-"
                       "customer dependency.", name=top_name, share=fmt.fmt_pct(c.top_share),
                       measure=fmt.measure_label(ctx.params.measure).lower()))
sentences.append(t("{n} key accounts hold {share} of the total ({band}).", n=key_count,
                   share=fmt.fmt_pct(c.key_share), band=fmt.label(c.key_share_band)))
sentences.append(t("Customer concentration: {band} (HHI {hhi:,.0f}).", band=fmt.label(c.hhi_band),
                   hhi=c.hhi))
lost = int(result.customers["lost"].sum())
at_risk = int(result.customers["at_risk"].sum())
if lost or at_risk:
    sentences.append(t("{lost} customers look lost and {risk} are at risk.", lost=lost,
                       risk=at_risk))
st.markdown("\n".join(f"- {s}" for s in sentences))

st.subheader(t("Go deeper"))
links = st.columns(3)
for column, stem, text in (
    (0, "abc_xyz", t("ABC-XYZ: classes and what to do")),
    (0, "pareto", t("Pareto and Lorenz curves")),
    (1, "concentration", t("Concentration and dependency")),
    (1, "key_accounts", t("Key accounts, lost and at risk")),
    (2, "dossier", t("Account dossier")),
    (2, "data", t("Import data")),
):
    target = navigation.page(stem)
    links[column].page_link(target, label=text, icon=target.icon)
