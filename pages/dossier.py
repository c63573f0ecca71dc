"""Account dossier: one customer's sales, classes, products and rhythm, and what the
key account manager knows about the account (kept across re-imports)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from kam_analysis.dossier import (
    ATTITUDES,
    DECISION_MAKER_FIELDS,
    EVENT_KINDS,
    INFLUENCES,
    NEXT_STEP_FIELDS,
    add_event,
    get_dossier,
    list_events,
)
from kam_analysis.dossier import save_dossier as store_dossier
from kam_analysis.i18n import t, tn
from ui import access, calls, charts, errors, masking, navigation, pickers, sidebar, tables
from ui import churn as churn_view
from ui import formatting as fmt
from ui.language import jalali_note
from ui.pack import review_pack


def _rows_editor(title: str, frame: pd.DataFrame, key: str, columns: dict) -> pd.DataFrame:
    """A titled table editor whose rows the editor can add and delete."""
    st.markdown(f"**{title}**")
    return st.data_editor(frame, num_rows="dynamic", key=key, hide_index=True,
                          column_config=columns)


navigation.enter()
ctx = sidebar.require_context()
st.title(t("Account dossier"))
with errors.guard():
    result = calls.analysis(ctx)
    alive = calls.churn(ctx)
    customers = calls.scored_customers(ctx)  # the analysis's customers with alive's columns
if customers.empty:
    st.info(t("No customer bought in this selection. Widen the period or remove filters."))
    st.stop()

wanted = st.query_params.get("customer")  # a shared link or a refresh names the customer
if wanted is not None and "dos_customer" not in st.session_state \
        and customers["customer_id"].eq(wanted).any():
    st.session_state["dos_customer"] = wanted


# Ranked customers first, then those outside the positive part.
cid = pickers.customer_picker(customers, t("Customer"), "dos_customer",
                              pickers.rank_labels)
if cid is None:  # the search matches no customer
    st.stop()
if st.query_params.get("customer") != cid:  # a refresh or a shared link keeps the customer
    st.query_params["customer"] = cid
row = customers[customers["customer_id"] == cid].iloc[0]

# ---- Figures ----------------------------------------------------------------------
# The value gets the widest column ("17,4 млн €" did not fit a sixth of the page), the
# two day counts room for their labels, the two-letter class the least.
m = st.columns([1.8, 1.1, 1, 0.7, 1.6, 1.6])
m[0].metric(t("Value"), **fmt.metric_value(row["value"], ctx))  # six columns: short form
m[1].metric(t("Share"), fmt.fmt_pct(row["share"]))
m[2].metric(t("Rank"), fmt.fmt_count(row["rank"]))
m[3].metric(t("Class"), row["abc_xyz"])
m[4].metric(t("Days since last purchase"), fmt.fmt_count(row["days_since_last"]))
m[5].metric(t("Usual gap, days"), fmt.fmt_decimal(row["median_gap"], 0))
details = [
    tn("Active in {a} of {p} period", "Active in {a} of {p} periods", int(row["periods"]),
       a=fmt.fmt_count(row["active_periods"]), p=fmt.fmt_count(row["periods"])),
    t("first purchase {d}", d=fmt.fmt_date(fmt.as_date(row["first_purchase"]))),
    t("last purchase {d}", d=fmt.fmt_date(fmt.as_date(row["last_purchase"]))),
]
if row["key_reasons"]:
    details.append(t("key account: {why}", why=fmt.labels(row["key_reasons"])))
if row["account_types"]:
    details.append(t("types: {types}", types=fmt.labels(row["account_types"])))
if row["flags"]:
    details.append(t("flags: {flags}", flags=fmt.labels(row["flags"])))
st.caption(fmt.dot().join(str(d) for d in details))
if alive.fitted and not pd.isna(row["p_alive"]):
    a = st.columns([1, 1, 2])  # the model's verdict is words ("probably still active")
    a[0].metric(churn_view.p_alive_label(), fmt.fmt_pct(row["p_alive"]),
                help=churn_view.explanation())
    a[1].metric(churn_view.expected_label(), fmt.fmt_decimal(row["expected_purchases_13w"], 1))
    a[2].metric(churn_view.status_label(), fmt.label(row["churn_status"]))
else:
    churn_view.show_status(alive)

# ---- Sales per period and class over time ------------------------------------------
with errors.guard():
    periods = calls.customer_data(ctx, "periods", cid)
    history = calls.customer_data(ctx, "history", cid)
    products = calls.customer_data(ctx, "products", cid)
left, right = st.columns([3, 2])
with left:
    st.subheader({"week": t("Sales per week"), "quarter": t("Sales per quarter")}.get(
        ctx.params.period, t("Sales per month")))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    shown_periods = [fmt.fmt_period(p, ctx.params.period) for p in periods["period"]]
    fig.add_bar(x=shown_periods, y=periods[ctx.params.measure].fillna(0),
                name=fmt.measure_label(ctx.params.measure))
    if ctx.params.measure == "revenue" and ctx.dataset.has_margin:
        fig.add_scatter(x=shown_periods, y=periods["margin"], name=t("Margin"),
                        mode="lines", secondary_y=False)
    fig.update_xaxes(type="category")
    charts.period_axis(fig, shown_periods, most=8)
    drawn = [periods[ctx.params.measure]] + ([periods["margin"]] if len(fig.data) > 1 else [])
    top = max((float(v.max()) for v in drawn if v.notna().any()), default=0.0)
    low = min((float(v.min()) for v in drawn if v.notna().any()), default=0.0)
    charts.value_axis(fig, ctx, "yaxis", top=top * 1.08 if top > 0 else None, bottom=low)
    fig.update_layout(height=340, legend=charts.LEGEND_ABOVE, margin={"t": 40})
    charts.show(fig, key="dos_sales")
with right:
    st.subheader(t("ABC class over time"))
    if history.empty:
        st.caption(t("Not enough history for a class per quarter."))
    else:
        order = {"A": 3, "B": 2, "C": 1}
        quarters = charts.quarter_labels(history)
        hist = go.Figure(go.Scatter(x=quarters,
                                    y=history["abc"].map(order),
                                    mode="lines+markers+text", text=history["abc"],
                                    textposition="top center", line_shape="hv"))
        hist.update_yaxes(tickvals=[1, 2, 3], ticktext=["C", "B", "A"], range=[0.5, 3.6])
        charts.period_axis(hist, quarters, most=5)
        hist.update_layout(height=340, margin={"t": 20}, yaxis_title=t("Class (trailing 12 "
                                                                       "months)"))
        charts.show(hist, key="dos_history")

st.subheader(t("Products and categories"))
if products.empty:
    st.caption(t("No products recorded for this customer in the window."))
elif products["category"].isna().all() and products["product"].isna().all():
    st.caption(t("The data has no product or category column."))
else:
    by_cat = products.groupby("category", dropna=False)["value"].sum().sort_values(
        ascending=False)
    pc, pt = st.columns([2, 3])
    with pc:
        values = by_cat.to_numpy(dtype=float)
        total = float(values[values > 0].sum())  # a pie leaves out what is not positive
        cat_fig = go.Figure(go.Pie(
            labels=[c if isinstance(c, str) else t("(none)") for c in by_cat.index],
            values=values, hole=0.45, textinfo="text",
            # Shares and amounts as the rest of the page writes them ("55,8 %").
            text=[fmt.fmt_pct(v / total) if total > 0 and v > 0 else "" for v in values],
            customdata=[fmt.fmt_value(v, ctx) for v in values],
            hovertemplate="%{label}<br>%{customdata} · %{text}<extra></extra>"))
        cat_fig.update_layout(height=300, margin={"t": 10, "b": 10})
        charts.show(cat_fig, key="dos_categories")
    with pt:
        tables.show(pd.DataFrame({
            t("Category"): products["category"], t("Product"): products["product"],
            t("Value"): products["value"].round(0), t("Quantity"): products["quantity"],
            t("Lines"): products["rows"], t("Last purchase"): products["last_purchase"],
        }), {t("Value"): "number", t("Quantity"): "number", t("Lines"): "count",
             t("Last purchase"): "date"}, hide_index=True, key="dos_products", height=300)

with st.expander(t("Review pack of this account"), icon=":material/picture_as_pdf:"):
    review_pack(ctx, [masking.real_id(cid)], "dos_pack")

# ---- Dossier (stored per customer id) -------------------------------------------------
st.divider()
st.subheader(t("What we know about the account"))
if masking.masking():
    st.info(t("The dossier and the relationship history are hidden while names are masked."),
            icon=":material/visibility_off:")
    st.stop()
db = calls.get_db()
with errors.guard():
    dossier = get_dossier(db, cid)
if dossier.updated_at:
    st.caption(t("Last saved {when}.", when=fmt.fmt_datetime(dossier.updated_at)))
people = pd.DataFrame(list(dossier.decision_makers) or [], columns=list(DECISION_MAKER_FIELDS))
steps = pd.DataFrame(list(dossier.next_steps) or [], columns=list(NEXT_STEP_FIELDS))
steps["due"] = pd.to_datetime(steps["due"]).dt.date
people_columns = {"name": t("Name"), "role": t("Role"),
                  "influence": t("Influence on the decision"), "attitude": t("Attitude to us")}
step_columns = {"step": t("Step"), "owner": t("Owner"), "due": t("Due")}
three_ps = {"need": t("Need for the offer"), "ability_to_pay": t("Ability to pay"),
            "authority": t("Authority to decide")}
if not access.can_edit():
    st.caption(t("Only editors can edit the dossier."))
    st.markdown(fmt.bold(t("General information")))
    st.text(dossier.general or "–")
    for title, frame, columns, key in ((t("Decision makers"), people, people_columns, "people"),
                                       (t("Next steps"), steps, step_columns, "steps")):
        st.markdown(f"**{title}**")
        if frame.empty:
            st.caption(t("None recorded."))
        else:
            st.dataframe(frame.rename(columns=columns), hide_index=True,
                         key=f"dos_{key}_view_{cid}")
    st.markdown(fmt.bold(t("Competitors")))
    st.text(dossier.competitors or "–")
    st.markdown(fmt.bold(t("The three P's (perspective accounts)")))
    for field, caption in three_ps.items():
        st.markdown(f"*{caption}*: {fmt.md_text(getattr(dossier, field) or '–')}")
    st.markdown(t("**Next review:** {date}", date=fmt.fmt_date(dossier.next_review)))
else:
    with st.form(f"dos_form_{cid}"):
        general = st.text_area(t("General information"), dossier.general,
                               key=f"dos_general_{cid}", height=120)
        edited = _rows_editor(t("Decision makers"), people, f"dos_people_{cid}", {
            "name": st.column_config.TextColumn(t("Name")),
            "role": st.column_config.TextColumn(t("Role")),
            "influence": st.column_config.SelectboxColumn(
                people_columns["influence"], options=list(INFLUENCES), format_func=fmt.label),
            "attitude": st.column_config.SelectboxColumn(
                people_columns["attitude"], options=list(ATTITUDES), format_func=fmt.label),
        })
        edited_steps = _rows_editor(t("Next steps"), steps, f"dos_steps_{cid}", {
            "step": st.column_config.TextColumn(t("Step")),
            "owner": st.column_config.TextColumn(t("Owner")),
            "due": st.column_config.DateColumn(t("Due"), format="YYYY-MM-DD"),
        })
        competitors = st.text_area(t("Competitors"), dossier.competitors,
                                   key=f"dos_competitors_{cid}")
        st.markdown(fmt.bold(t("The three P's (perspective accounts)")))
        p_columns = st.columns(3)
        plan = {field: p_columns[i].text_area(caption, getattr(dossier, field),
                                              key=f"dos_{field}_{cid}")
                for i, (field, caption) in enumerate(three_ps.items())}
        review = st.date_input(t("Next review"), dossier.next_review,
                               key=f"dos_review_{cid}", format="YYYY-MM-DD")
        jalali_note(review)
        saved = st.form_submit_button(t("Save dossier"), type="primary")
    if saved:
        with errors.guard():
            store_dossier(db, cid, general=general, competitors=competitors,
                          next_steps=edited_steps.to_dict("records"), next_review=review or None,
                          decision_makers=edited.to_dict("records"), **plan)
        st.success(t("Dossier saved."))

st.markdown(fmt.bold(t("Relationship history")))
if access.can_edit():
    with st.form(f"dos_event_form_{cid}", clear_on_submit=True):
        e1, e2, e3 = st.columns([1, 1, 3])
        when = e1.date_input(t("Date"), date.today(), key="dos_event_date",
                             format="YYYY-MM-DD")
        with e1:
            jalali_note(when)
        kind = e2.selectbox(t("Kind"), EVENT_KINDS, key="dos_event_kind", format_func=t)
        note = e3.text_input(t("Note"), key="dos_event_note")
        add = st.form_submit_button(t("Add event"))
    if add:
        with errors.guard():
            add_event(db, cid, when, kind, note)
        st.success(t("Event added."))
events = list_events(db, cid)
if events.empty:
    st.caption(t("No events yet."))
else:
    tables.show(pd.DataFrame({t("Date"): events["event_date"],
                              t("Kind"): events["kind"].map(t),
                              t("Note"): events["note"]}), {t("Date"): "date"},
                hide_index=True, key="dos_events_table")
