"""Overview: the headline figures of the selected dataset and window, in plain words."""

from __future__ import annotations

import streamlit as st

from kam_analysis.i18n import mid_sentence, t, tn
from ui import calls, comparisons, navigation, sidebar
from ui import formatting as fmt

navigation.enter()
ctx = sidebar.require_context()
st.title(t("Overview"))
st.caption(t("{dataset}: {start} to {end}, {measure}", dataset=fmt.md_text(ctx.dataset.name),
             start=fmt.fmt_date(ctx.params.start or ctx.dataset.first_date),
             end=fmt.fmt_date(ctx.params.end or ctx.dataset.last_date),
             measure=fmt.measure_label(ctx.params.measure)))

result = calls.positive_analysis(ctx)
c = result.concentration
listed = result.customers
changes = calls.headline(ctx)

key_count = int(listed["key_account"].sum())
non_positive = int(listed["non_positive"].sum())
st.caption(comparisons.windows_caption(ctx))
row1, row2 = st.columns(4), st.columns(4)
cols = [*row1, *row2]
# Four columns: sums in their short form, the exact amount in the help.
net = fmt.metric_value(float(listed["value"].sum()), ctx,
                       t("The sum over every customer with sales in the window, returns "
                         "included."))
for col, figure, label, value, text in (
    (cols[0], "net_total", t("Net total"), net["value"], net["help"]),
    (cols[2], "customers", t("Customers with positive value"), fmt.fmt_count(c.customers),
     t("Customers whose value in the window is above zero; shares, ranks and "
       "concentration are computed over them.")),
    (cols[4], "key_accounts", t("Key accounts"), fmt.fmt_count(key_count), None),
    (cols[5], "key_share", t("Key accounts' share"), fmt.fmt_pct(c.key_share),
     t("Share of the total of positive customers held by the key accounts; a healthy "
       "figure is 30-55 %.")),
):
    col.metric(label, value, delta=comparisons.delta(changes, figure), help=text)
    col.caption(comparisons.caption(changes, figure))
cols[1].metric(t("Total of positive customers"), **fmt.metric_value(
    c.total, ctx, t("The sum over the customers with positive value; shares are of this "
                    "total.")))
cols[3].metric(t("Customers with sales"), fmt.fmt_count(len(listed)),
               help=t("Every customer with at least one row in the window."))
cols[3].caption(tn("{n} without positive value", "{n} without positive value", non_positive,
                   n=fmt.fmt_count(non_positive)))
cols[5].caption(fmt.label(c.key_share_band))
cols[6].metric(t("Largest customer"), fmt.fmt_pct(c.top_share),
               help=fmt.md_text(c.top_customer_name or c.top_customer_id or ""))
cols[6].caption(fmt.labels(",".join(c.flags)) or t("no dependency flag"))
cols[7].metric(t("HHI"), fmt.fmt_decimal(c.hhi, 0),
               help=t("Herfindahl-Hirschman index over customer shares (US 2023 Merger "
                      "Guidelines market bands: an antitrust yardstick, not a credit rule)."))
cols[7].caption(fmt.label(c.hhi_band))

st.subheader(t("In short"))
sentences = [
    t("{pct} of the customers with positive value ({k} of {n}) bring 80 % of {measure}.",
      pct=fmt.fmt_pct(c.customers_for_80), k=fmt.fmt_count(c.customers_for_80_k),
      n=fmt.fmt_count(c.customers),
      measure=mid_sentence(fmt.measure_label(ctx.params.measure))),
    t("The top 20 % of customers bring {share}.", share=fmt.fmt_pct(c.top20_share)),
]
top_name = fmt.md_text(c.top_customer_name or c.top_customer_id or t("unknown"))
worst = next((f for f in ("mono_client", "critical_dependency", "major_customer")
              if f in c.flags), None)
if worst:
    sentences.append(t("The largest customer, {name}, is {share} of {measure}: {flag}.",
                       name=top_name, share=fmt.fmt_pct(c.top_share),
                       measure=mid_sentence(fmt.measure_label(ctx.params.measure)),
                       flag=fmt.label(worst)))
else:
    sentences.append(t("The largest customer, {name}, is {share} of {measure}: no single-"
                       "customer dependency.", name=top_name, share=fmt.fmt_pct(c.top_share),
                       measure=mid_sentence(fmt.measure_label(ctx.params.measure))))
sentences.append(tn("{n} key account holds {share} of the total of positive customers ({band}).",
                    "{n} key accounts hold {share} of the total of positive customers ({band}).",
                    key_count, n=fmt.fmt_count(key_count),
                   share=fmt.fmt_pct(c.key_share), band=fmt.label(c.key_share_band)))
sentences.append(t("Customer concentration: {band} (HHI {hhi}).", band=fmt.label(c.hhi_band),
                   hhi=fmt.fmt_decimal(c.hhi, 0)))
lost = int(listed["lost"].sum())
at_risk = int(listed["at_risk"].sum())
if lost or at_risk:
    sentences.append(tn("{lost} lost customer (no purchase for longer than their rhythm) and "
                        "{risk} at risk.",
                        "{lost} lost customers (no purchase for longer than their rhythm) and "
                        "{risk} at risk.", lost, lost=fmt.fmt_count(lost),
                        risk=fmt.fmt_count(at_risk)))
st.markdown("\n".join(f"- {s}" for s in sentences))

st.subheader(t("Movers"))
st.caption(t("The customers whose value rose or fell most against an earlier period."))
comparisons.movers_view(ctx, dict(zip(listed["customer_id"].to_numpy(object),
                                      listed["customer_name"].fillna("").to_numpy(object),
                                      strict=True)), "ov_movers")

st.subheader(t("New, returning, recovered and stopped customers"))
comparisons.flow_view(ctx, "ov_flow")

st.subheader(t("Go deeper"))
# Two columns: in three, the longer labels (Russian, Azerbaijani) were cut off.
links = st.columns(2)
for column, stem, text in (
    (0, "abc_xyz", t("ABC-XYZ: classes and what to do")),
    (0, "pareto", t("Pareto and Lorenz curves")),
    (0, "concentration", t("Concentration and dependency")),
    (1, "key_accounts", t("Key accounts, lost and at risk")),
    (1, "dossier", t("Account dossier")),
    (1, "data", t("Import data")),
):
    target = navigation.page(stem)
    links[column].page_link(target, label=text, icon=target.icon)
