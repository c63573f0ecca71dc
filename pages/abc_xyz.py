"""ABC-XYZ: value classes (ABC) against regularity classes (XYZ), with what to do per cell."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kam_analysis.analysis import ABC_PRESETS, RECOMMENDATIONS, XYZ_PRESETS
from kam_analysis.analysis.abc import sensitivity_summary
from kam_analysis.i18n import N_, t, tn
from kam_analysis.vocabulary import PERIODS
from ui import calls, charts, errors, navigation, sidebar, state, tables
from ui import formatting as fmt
from ui import settings as shared

navigation.enter()
ctx = sidebar.require_context()
st.title(t("ABC-XYZ analysis"))
settings = shared.settings()
CELLS = [a + x for a in "ABC" for x in "XYZ"]
CUSTOM = "custom"

# ---- Limits -------------------------------------------------------------------
METRICS = {"cov": t("Variation (coefficient of variation)"),
           "frequency": t("Buying frequency (share of periods with purchases)")}


def _abc_preset(limits: tuple[float, float]) -> str:
    return next((k for k, v in ABC_PRESETS.items() if tuple(v) == tuple(limits)), CUSTOM)


def _xyz_preset(metric: str, limits: tuple[float, float] | None) -> str:
    presets = XYZ_PRESETS.get(metric, {})
    if limits is None:
        return next(iter(presets), CUSTOM)
    return next((k for k, v in presets.items() if tuple(v) == tuple(limits)), CUSTOM)


metric = st.segmented_control(
    t("XYZ metric"), list(METRICS), default=settings["xyz_metric"], key="abc_metric",
    format_func=lambda m: METRICS[m], required=True,
)
if metric != settings["xyz_metric"]:  # a new metric starts from its own default limits
    shared.update_settings(xyz_metric=metric, xyz_limits=None)
    settings = shared.settings()

with st.expander(t("Limits"), expanded=False), st.form("abc_limits_form"):
    left, right = st.columns(2)
    with left:
        st.markdown(fmt.bold(t("ABC (value)")))
        method = st.radio(t("Method"), ["fixed", "computed"], key="abc_method",
                          index=0 if settings["abc_method"] == "fixed" else 1,
                          format_func=lambda m: {"fixed": t("Fixed limits"),
                                                 "computed": t("Computed (Ultsch & Lötsch)")}[m],
                          horizontal=True)
        abc_options = [*ABC_PRESETS, CUSTOM]
        preset = st.selectbox(t("Preset"), abc_options, key="abc_preset",
                              index=abc_options.index(_abc_preset(settings["abc_limits"])),
                              format_func=lambda p: t("Custom") if p == CUSTOM else p)
        a_pct = st.number_input(t("A up to (% of value, custom)"), 1.0, 99.0,
                                float(settings["abc_limits"][0] * 100), 1.0, key="abc_a")
        b_pct = st.number_input(t("B up to (% of value, custom)"), 2.0, 100.0,
                                float(settings["abc_limits"][1] * 100), 1.0, key="abc_b")
    with right:
        st.markdown(fmt.bold(t("XYZ (regularity)")))
        period = st.selectbox(t("Period"), list(PERIODS), key="abc_period",
                              index=list(PERIODS).index(settings["period"]),
                              format_func=fmt.period_label)
        xyz_options = [*XYZ_PRESETS.get(settings["xyz_metric"], {}), CUSTOM]
        current = _xyz_preset(settings["xyz_metric"], settings["xyz_limits"])
        xyz_preset = st.selectbox(t("Preset"), xyz_options, key="abc_xyz_preset",
                                  index=xyz_options.index(current),
                                  format_func=lambda p: t("Custom") if p == CUSTOM else t(p))
        if settings["xyz_metric"] == "cov":
            st.caption(t("The classic presets (0.10 / 0.25 and 0.25 / 0.50) were made for "
                         "yearly data; monthly sales vary more, so use them with care."))
        shown = settings["xyz_limits"] or next(iter(XYZ_PRESETS.get(settings["xyz_metric"],
                                                                      {"": (0.5, 1.0)}).values()))
        x_lim = st.number_input(t("X limit (custom)"), 0.0, 100.0, float(shown[0]), 0.05,
                                key="abc_x")
        y_lim = st.number_input(t("Y limit (custom)"), 0.0, 100.0, float(shown[1]), 0.05,
                                key="abc_y")
        st.caption(t("Variation: X if ≤ X limit, Y if ≤ Y limit. Frequency: X if ≥ X limit, "
                     "Y if ≥ Y limit."))
    submitted = st.form_submit_button(t("Apply limits"), type="primary")

if submitted:
    abc_limits = ABC_PRESETS[preset] if preset != CUSTOM else (a_pct / 100, b_pct / 100)
    if xyz_preset == CUSTOM:
        xyz_limits: tuple[float, float] | None = (float(x_lim), float(y_lim))
    else:
        xyz_limits = XYZ_PRESETS[settings["xyz_metric"]][xyz_preset]
    x, y = xyz_limits or (0.0, 0.0)
    if not 0 < abc_limits[0] <= abc_limits[1] <= 1:
        st.error(t("The A limit must not be above the B limit (and B at most 100 %)."))
    elif settings["xyz_metric"] == "cov" and not 0 <= x <= y:
        st.error(t("For variation, the X limit must not be above the Y limit."))
    elif settings["xyz_metric"] == "frequency" and not 0 <= y <= x <= 1:
        st.error(t("For frequency, the limits must satisfy 1 ≥ X limit ≥ Y limit ≥ 0."))
    else:
        shared.update_settings(abc_method=method, abc_limits=tuple(abc_limits),
                           xyz_limits=tuple(xyz_limits) if xyz_limits else None,
                           period=period)
        st.rerun()

params = shared.apply_settings(ctx.params)
ctx = state.Context(ctx.dataset, params)
result = calls.positive_analysis(ctx)

a_lim, b_lim = result.abc_limits
if params.abc_method == "computed" and result.computed_limits:
    sentences = {"A": N_("Computed A/B limit: the top {effort} of customers bring {yield_} of "
                      "the value."),
                 "C": N_("Computed B/C limit: the top {effort} of customers bring {yield_} of "
                      "the value.")}
    st.info(" ".join(t(sentences[cls], effort=fmt.fmt_pct(v.get("effort")),
                       yield_=fmt.fmt_pct(v.get("yield")))
                     for cls, v in result.computed_limits.items() if cls in sentences))
else:
    st.caption(t("ABC limits: A up to {a}, B up to {b} of the cumulative value.",
                 a=fmt.fmt_pct(a_lim), b=fmt.fmt_pct(b_lim)))

customers = result.customers
counts = customers["abc"].value_counts()
value_by = customers.groupby("abc")["value"].sum()
total = result.concentration.total
st.markdown(f" {fmt.dot()} ".join(
    tn("Class {cls}: {n} customer ({share})", "Class {cls}: {n} customers ({share})",
       int(counts.get(cls, 0)), cls=cls, n=fmt.fmt_count(counts.get(cls, 0)),
       share=fmt.fmt_pct(value_by.get(cls, 0.0) / total if total else 0.0))
    for cls in "ABC"))
counted = st.columns(4)
counted[0].metric(t("Customers with sales"), fmt.fmt_count(len(customers)),
                  help=t("Every customer with at least one row in the window; the ones "
                         "without positive value are in C."))
counted[1].metric(t("Customers with positive value"),
                  fmt.fmt_count(result.concentration.customers))
# Four columns: the sums in their short form, the exact amount in the help.
counted[2].metric(t("Net total"), **fmt.metric_value(
    float(customers["value"].sum()), ctx,
    t("The sum over every customer with sales in the window, returns included.")))
counted[3].metric(t("Total of positive customers"), **fmt.metric_value(
    total, ctx, t("The class shares are of this total; a class holding customers without "
                  "positive value shows their net value, so the shares can add up to less "
                  "than 100 %.")))

# ---- Matrix -------------------------------------------------------------------
matrix = result.matrix.set_index("abc_xyz").reindex(CELLS)
matrix["customers"] = matrix["customers"].fillna(0).astype(int)
matrix["share"] = matrix["share"].fillna(0.0)
# Colour by share of value (what the cell is worth), label with count and share.
z = [[float(matrix.loc[a + x, "share"]) for x in "XYZ"] for a in "ABC"]
text = [[f"{a}{x}<br>{fmt.fmt_count(matrix.loc[a + x, 'customers'])}{fmt.dot()}"
         f"{fmt.fmt_pct(matrix.loc[a + x, 'share'])}" for x in "XYZ"] for a in "ABC"]
fig = go.Figure(go.Heatmap(z=z, x=list("XYZ"), y=list("ABC"), text=text,
                           texttemplate="%{text}", colorscale="Blues", showscale=False,
                           hovertemplate="%{text}<extra></extra>"))
charts.clickable_cells(fig, list("XYZ"), list("ABC"), text)
fig.update_yaxes(autorange="reversed", title=t("ABC (value)"))
fig.update_xaxes(side="top", title=t("XYZ (regularity)"))
fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 50, "b": 10})

chart_col, cell_col = st.columns([3, 2])
with chart_col:
    event = charts.show(fig, key="abc_heatmap", on_select="rerun",
                        selection_mode="points", config={"displayModeBar": False})
    st.caption(t("Click a cell to list its customers."))
point = charts.picked_point(event)
picked = f"{point[1]}{point[0]}" if point else None
state.choice_from_url("abc_cell", "cell", lambda text: text if text in CELLS else None)
if picked in CELLS and picked != st.session_state.get("abc_last_click"):
    st.session_state["abc_cell"] = picked
st.session_state["abc_last_click"] = picked
if st.session_state.get("abc_cell") not in CELLS:  # start on the cell with most value
    st.session_state["abc_cell"] = str(matrix["value"].fillna(0).idxmax())
with cell_col:
    cell = st.segmented_control(t("Cell"), CELLS, key="abc_cell", required=True, wrap=True)
    state.choice_to_url("cell", cell)
    row = matrix.loc[cell]
    st.metric(t("Customers in {cell}", cell=cell), fmt.fmt_count(row["customers"]))
    st.caption(t("{value} · {share} of the total", value=fmt.fmt_value(row["value"], ctx),
                 share=fmt.fmt_pct(row["share"])))
    st.info(t(RECOMMENDATIONS.get(cell, "")))

in_cell = customers[customers["abc_xyz"] == cell]
st.subheader(t("Customers in {cell}", cell=cell))
if in_cell.empty:
    st.caption(t("No customer falls in this cell with the current limits."))
else:
    in_cell = tables.filter_table(in_cell, "abc_list", fields=("manager", "region", "flags"))
    view = pd.DataFrame({
        t("Rank"): in_cell["rank"],
        t("Customer"): in_cell["customer_name"].fillna(in_cell["customer_id"]),
        t("ID"): in_cell["customer_id"],
        t("Value"): in_cell["value"].round(0),
        t("Share"): in_cell["share"] * 100,
        t("XYZ metric"): in_cell["cov"],
        t("Active periods"): in_cell["active_periods"],
        t("Flags"): fmt.labels_column(in_cell["flags"]),
    })
    tables.show(view, {t("Rank"): "count", t("Value"): "number", t("Share"): "pct",
                       t("XYZ metric"): "dec2", t("Active periods"): "count"},
                hide_index=True, key="abc_cell_table")

with st.expander(t("Recommended approach per cell")):
    tables.show(pd.DataFrame({t("Cell"): CELLS,
                              t("Customers"): [int(matrix.loc[c, "customers"]) for c in CELLS],
                              t("Recommendation"): [t(RECOMMENDATIONS.get(c, ""))
                                                    for c in CELLS]}),
                {t("Customers"): "count"}, hide_index=True, key="abc_reco_table")

# ---- Revenue by margin class --------------------------------------------------
if ctx.dataset.has_margin:
    st.subheader(t("Revenue class against margin class"))
    with errors.guard():
        rm = calls.margin_matrix(ctx)
    if rm is not None and len(rm):
        grid = rm.set_index(["revenue_abc", "margin_abc"])
        z2 = [[int(grid["customers"].get((r, m), 0)) for m in "ABC"] for r in "ABC"]
        text2 = [[tn("{n} customer", "{n} customers", z2[i][j], n=fmt.fmt_count(z2[i][j]))
                  + "<br>" + fmt.fmt_money(grid["revenue"].get((r, m), 0.0), ctx.dataset)
                  for j, m in enumerate("ABC")] for i, r in enumerate("ABC")]
        fig2 = go.Figure(go.Heatmap(z=z2, x=[t("Margin {cls}", cls=m) for m in "ABC"],
                                    y=[t("Revenue {cls}", cls=r) for r in "ABC"], text=text2,
                                    texttemplate="%{text}", colorscale="Greens",
                                    showscale=False))
        fig2.update_yaxes(autorange="reversed")
        fig2.update_layout(height=320, margin={"l": 10, "r": 10, "t": 20, "b": 10})
        charts.show(fig2, key="abc_margin_chart")
        st.caption(t("Customers A in revenue but C in margin earn little for their size: "
                     "check prices and discounts."))

# ---- Sensitivity ----------------------------------------------------------------
st.subheader(t("How stable are the classes?"))
if params.abc_method != "fixed":
    st.caption(t("The sensitivity check moves a fixed A limit; switch to fixed limits to "
                 "see it."))
else:
    with errors.guard():
        sens = calls.sensitivity(ctx, 0.05)
    st.caption(t("Customers whose class changes if the A limit moves by 5 points "
                 "({low} or {high}).", low=fmt.fmt_pct(max(a_lim - 0.05, 0.0)),
                 high=fmt.fmt_pct(min(a_lim + 0.05, 1.0))))
    if sens.empty:
        st.caption(t("No customer changes class: the classes are stable."))
    else:
        moves = sensitivity_summary(sens)
        limit = {"lower": fmt.fmt_pct(max(a_lim - 0.05, 0.0)),
                 "higher": fmt.fmt_pct(min(a_lim + 0.05, 1.0))}
        tables.show(pd.DataFrame({
            t("A limit"): [limit[m] for m in moves["move"]],
            t("Class change"): [f"{a} → {b}" for a, b in
                                zip(moves["from_class"], moves["to_class"], strict=True)],
            t("Customers"): moves["customers"],
            t("Share of the value"): moves["share"] * 100,
            t("Cumulative share from"): moves["cumulative_from"] * 100,
            t("Cumulative share to"): moves["cumulative_to"] * 100,
        }), {t("Customers"): "count", t("Share of the value"): "pct",
             t("Cumulative share from"): "pct", t("Cumulative share to"): "pct"},
            hide_index=True, key="abc_sens_summary")
        with st.expander(tn("The {n} customer who changes class",
                            "The {n} customers who change class", len(sens),
                            n=fmt.fmt_count(len(sens)))):
            tables.show(pd.DataFrame({
                t("Customer"): sens["customer_name"].fillna(sens["customer_id"]),
                t("ID"): sens["customer_id"],
                t("Class"): sens["abc"],
                t("A limit -5"): sens["abc_if_lower"],
                t("A limit +5"): sens["abc_if_higher"],
                t("Share"): sens["share"] * 100,
                t("Cumulative share"): sens["cumulative_share"] * 100,
            }), {t("Share"): "pct3", t("Cumulative share"): "pct2"},
                hide_index=True, key="abc_sens_table")
