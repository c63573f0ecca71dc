"""Key accounts: the rule, the list with reasons and types, lost and at-risk customers,
class migration, hand-set account types, and exports."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kam_analysis import export
from kam_analysis.analysis import KeyRule, capacity_text, get_tags, set_tags
from kam_analysis.formatting import fmt_change
from kam_analysis.i18n import t, tn
from kam_analysis.vocabulary import MANUAL_TAGS
from ui import (
    access,
    calls,
    charts,
    comparisons,
    errors,
    masking,
    navigation,
    pickers,
    sidebar,
    state,
    tables,
)
from ui import churn as churn_view
from ui import formatting as fmt
from ui import settings as shared
from ui.pack import review_pack

navigation.enter()
ctx = sidebar.require_context()
st.title(t("Key accounts"))
settings = shared.settings()
rule: KeyRule = settings["key_rule"]

# ---- Rule editor --------------------------------------------------------------
with st.expander(t("Key-account rule"), expanded=False), st.form("ka_rule_form"):
    st.caption(t("A customer with a positive value is a key account if ANY ticked rule "
                 "holds."))
    r1, r2 = st.columns(2)
    with r1:
        use_share = st.checkbox(t("Share of the total at least"), rule.min_share is not None,
                                key="ka_use_share")
        share_pct = st.number_input(t("Share, %"), 0.1, 100.0,
                                    float((rule.min_share or 0.10) * 100), 1.0,
                                    key="ka_share")
        use_cum = st.checkbox(t("Among the customers that make the first part of the value"),
                              rule.cum_before is not None, key="ka_use_cum")
        cum_pct = st.number_input(t("Cumulative share, %"), 1.0, 100.0,
                                  float((rule.cum_before or 0.50) * 100), 5.0, key="ka_cum")
        use_class_a = st.checkbox(t("ABC class A"), rule.class_a, key="ka_class_a")
    with r2:
        use_annual = st.checkbox(t("Value per year at least"), rule.annual_value is not None,
                                 key="ka_use_annual")
        annual = st.number_input(t("Amount per year"), 0.0, None,
                                 float(rule.annual_value or 100_000.0), 10_000.0,
                                 key="ka_annual")
        use_top = st.checkbox(t("Top N customers"), rule.top_n is not None, key="ka_use_top")
        top_n = st.number_input(t("N"), 1, 100_000, int(rule.top_n or 20), 1, key="ka_top")
        capacity = st.number_input(
            t("Capacity: at most this many key accounts (0 = no limit)"), 0, 100_000,
            int(rule.capacity), 10, key="ka_capacity",
            help=t("When the rule selects more, only the highest-ranked are key accounts; a "
                   "customer with 10 % or more of the value always is."))
        lost_days = st.number_input(t("Lost after days without purchase"), 1, 3650,
                                    int(settings["lost_after_days"]), 30, key="ka_lost_days")
        gap_factor = st.number_input(t("... or after this many usual gaps"), 1.0, 20.0,
                                     float(settings["lost_gap_factor"]), 0.5, key="ka_gap")
    applied = st.form_submit_button(t("Apply rule"), type="primary")
if applied:
    new_rule = KeyRule(
        min_share=share_pct / 100 if use_share else None,
        cum_before=cum_pct / 100 if use_cum else None,
        annual_value=float(annual) if use_annual else None,
        top_n=int(top_n) if use_top else None,
        class_a=bool(use_class_a),
        capacity=int(capacity),
    )
    shared.update_settings(key_rule=new_rule, lost_after_days=int(lost_days),
                       lost_gap_factor=float(gap_factor))
    st.rerun()

params = shared.apply_settings(ctx.params)
ctx = state.Context(ctx.dataset, params)
with errors.guard():
    result = calls.analysis(ctx)
    alive = calls.churn(ctx)
    customers = calls.scored_customers(ctx)  # the analysis's customers with alive's columns
if customers.empty:
    st.info(t("No customer bought in this selection. Widen the period or remove filters in "
              "the sidebar."))
    st.stop()
keys = customers[customers["key_account"].astype(bool)]
# id -> name ("" when unnamed), built once: lists of many customers use it.
names_by_id = dict(zip(customers["customer_id"].to_numpy(object),
                       customers["customer_name"].fillna("").to_numpy(object), strict=True))
c = result.concentration

m = st.columns(3)
m[0].metric(t("Key accounts"), fmt.fmt_count(len(keys)))
m[1].metric(t("Key accounts' share"), fmt.fmt_pct(c.key_share),
            help=t("Share of the total of positive customers held by the key accounts; a "
                   "healthy figure is 30-55 %."))
m[1].caption(fmt.label(c.key_share_band))
m[2].metric(t("Key accounts' value"), **fmt.metric_value(keys["value"].sum(), ctx))
if result.capacity_note is not None:
    st.warning(capacity_text(result.capacity_note), icon=":material/groups:")


def _table(frame: pd.DataFrame, extra: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    out = pd.DataFrame({
        t("Rank"): frame["rank"],
        t("Customer"): frame["customer_name"].fillna(frame["customer_id"]),
        t("ID"): frame["customer_id"],
        t("Region"): frame["region"],
        t("Manager"): frame["manager"],
        t("Value"): frame["value"].round(0),
        t("Share"): frame["share"] * 100,
        t("Class"): frame["abc_xyz"],
    })
    for name, series in (extra or {}).items():
        out[name] = series
    # Region and manager only when the data has them.
    return out.drop(columns=[c for c in (t("Region"), t("Manager")) if out[c].isna().all()])



st.subheader(t("Key accounts"))
if keys.empty:
    st.info(t("No customer meets the rule. Loosen it in the key-account rule above."))
else:
    found = calls.comparison(ctx)
    compared = found.customers.set_index("customer_id")
    st.caption(comparisons.windows_caption(ctx))
    found_keys = tables.filter_table(keys, "ka_list")
    listed = found_keys.head(tables.TABLE_ROWS)  # what the table shows
    tables.show(_table(listed, {
        t("Change vs previous period"): [
            fmt_change(compared["change_previous"].get(cid), found.previous_covered)
            for cid in listed["customer_id"]],
        t("Change vs a year earlier"): [
            fmt_change(compared["change_year"].get(cid), found.year_covered)
            for cid in listed["customer_id"]],
        t("Why key"): fmt.labels_column(listed["key_reasons"]),
        t("Account types"): fmt.labels_column(listed["account_types"]),
        t("Flags"): fmt.labels_column(listed["flags"]),
        **(churn_view.columns(listed) if alive.fitted else {}),
    }), {t("Rank"): "count", t("Value"): "number", t("Share"): "pct", **churn_view.kinds()},
        total=len(found_keys), hide_index=True, key="ka_table",
        column_config=churn_view.column_config())
    churn_view.show_status(alive)
    churn_view.alive_chart(keys, "ka_alive_chart")

st.subheader(t("Movers"))
st.caption(t("The customers whose value rose or fell most against an earlier period."))
comparisons.movers_view(ctx, names_by_id, "ka_movers")

# ---- Downloads --------------------------------------------------------------------
stamp = date.today().isoformat()
base = f"{fmt.slug(ctx.dataset.name)}_{stamp}"
columns = [col for col in getattr(export, "EXPORT_COLUMNS", customers.columns)
           if col in customers.columns]
limits = export.ExportLimits.from_env()
xlsx_limit = min(limits.xlsx_rows, export.MAX_XLSX_ROWS - 1)  # one row is the header


def _csv(frame: pd.DataFrame):
    """A deferred CSV download, written in chunks to a temporary file."""
    return export.deferred(lambda: export.file_bytes(lambda path: export.write_csv(frame, path),
                                                     ".csv"))


def _too_large(where, n: int) -> None:
    where.info(t("{n} rows are more than this server exports in one click ({limit}). "
                 "Narrow the selection, or export on the server with "
                 "python -m kam_analysis classify --all --out FILE.csv.", n=fmt.fmt_count(n),
                 limit=fmt.fmt_count(limits.csv_rows)))


d1, d2 = st.columns(2)
if len(keys) > limits.csv_rows:
    _too_large(d1, len(keys))
else:
    d1.download_button(t("Key accounts (CSV)"), data=_csv(keys[columns]),
                       file_name=f"key_accounts_{base}.csv", mime="text/csv", key="ka_csv",
                       icon=":material/download:")
if len(customers) > limits.csv_rows:
    _too_large(d2, len(customers))
elif len(customers) > xlsx_limit:
    d2.info(t("Too many customers for one Excel sheet ({n}). This server builds workbooks "
              "of up to {limit} customers: download them as CSV.",
              n=fmt.fmt_count(len(customers)), limit=fmt.fmt_count(xlsx_limit)))
    d2.download_button(t("All customers (CSV)"), data=_csv(customers[columns]),
                       file_name=f"all_customers_{base}.csv", mime="text/csv",
                       key="ka_all_csv", icon=":material/download:")
else:
    mask = masking.masker() if masking.masking() else None  # the download runs outside this run

    def _xlsx() -> bytes:
        try:
            moves = calls.migration(ctx, mask)
        except ValueError:
            moves = None
        return export.workbook_bytes(result, moves, alive)

    d2.download_button(t("Full workbook (XLSX)"), data=export.deferred(_xlsx),
                       file_name=f"kam_{base}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="ka_xlsx", icon=":material/download:")

# ---- Review pack ----------------------------------------------------------------------
st.subheader(t("Review pack"))
st.caption(t("A portfolio page and one page per account for the review meeting, as PDF or "
             "PowerPoint, with the sidebar's dataset, window, measure and filters."))
pack_names = names_by_id
chosen = st.multiselect(t("Accounts (none chosen: every key account)"),
                        customers["customer_id"].head(pickers.CHOICES).tolist(),
                        key="ka_pack_ids",
                        format_func=lambda cid: f"{pack_names.get(cid) or cid} ({cid})",
                        placeholder=t("every key account (the default)"))
review_pack(ctx, [masking.real_id(cid) for cid in chosen] or None, "ka_pack")

# ---- Hand-set account types ----------------------------------------------------------
st.subheader(t("Account types set by hand"))
st.caption(t("Image maker, expert, partner, innovator: kept per customer id and kept "
             "across re-imports."))
db = calls.get_db()
tags = get_tags(db)
if masking.masking():
    st.caption(t("Account types cannot be edited while names are masked."))
elif not access.can_edit():
    st.caption(t("Only editors can set account types."))
else:
    # The analysis lists its customers in rank order, those outside the ranking last.
    who = pickers.customer_picker(customers, t("Customer"), "ka_tag_customer")
    current = list(tags.get(who, ())) if who is not None else []
    chosen = st.multiselect(t("Account types"), list(MANUAL_TAGS), default=current,
                            key=f"ka_tag_values_{who}", format_func=fmt.label,
                            placeholder=t("None"))
    save = st.button(t("Save types"), key="ka_tag_save", disabled=who is None)
    if save and who is not None:
        with errors.guard():
            set_tags(db, who, chosen)
        calls.clear_caches()  # account types are part of the cached analysis
        st.session_state["ka_flash"] = t("Saved the account types of {name}.",
                                         name=fmt.md_text(names_by_id.get(who) or who))
        st.rerun()
    if "ka_flash" in st.session_state:
        st.success(st.session_state.pop("ka_flash"))
tagged = {cid: tg for cid, tg in tags.items() if tg}
if tagged:
    st.dataframe(pd.DataFrame({
        t("Customer"): [masking.customer_label(cid, names_by_id.get(cid)) for cid in tagged],
        t("ID"): [masking.shown_id(cid) for cid in tagged],
        t("Account types"): [fmt.labels(",".join(tg)) for tg in tagged.values()],
    }), hide_index=True, key="ka_tags_table")

# ---- Lost and at risk ----------------------------------------------------------------
st.subheader(t("Lost and at-risk customers (win-back list)"))
watch = customers[customers["lost"] | customers["at_risk"]]
st.caption(t("Lost: no purchase for more than {days} days and more than {k} times the "
             "customer's usual gap. At risk: the last 6 months at least 30 % below the 6 "
             "months before.", days=fmt.fmt_count(params.lost_after_days),
             k=fmt.native(f"{params.lost_gap_factor:g}")))
if watch.empty:
    st.success(t("No customer is lost or at risk in this window."))
else:
    found_watch = tables.filter_table(watch.sort_values(["value_prev_6m", "value"],
                                                        ascending=False), "ka_watch")
    watch = found_watch.head(tables.TABLE_ROWS)  # what the table shows
    change = (watch["value_last_6m"] - watch["value_prev_6m"]) / watch["value_prev_6m"].where(
        watch["value_prev_6m"] > 0)
    tables.show(pd.DataFrame({
        t("Customer"): watch["customer_name"].fillna(watch["customer_id"]),
        t("ID"): watch["customer_id"],
        t("Status"): fmt.labels_column(watch["flags"]),
        t("Days since last purchase"): watch["days_since_last"],
        t("Usual gap, days"): watch["median_gap"],
        t("Last 6 months"): watch["value_last_6m"].round(0),
        t("6 months before"): watch["value_prev_6m"].round(0),
        t("Change"): change * 100,
        t("Manager"): watch["manager"].astype(object).where(watch["manager"].notna(), "—"),
        **(churn_view.columns(watch) if alive.fitted else {}),
    }), {t("Days since last purchase"): "count", t("Usual gap, days"): "number",
         t("Last 6 months"): "number", t("6 months before"): "number", t("Change"): "pct",
         **churn_view.kinds()},
        total=len(found_watch), hide_index=True, key="ka_watch_table",
        column_config=churn_view.column_config())
    churn_view.show_status(alive)
    churn_view.alive_chart(found_watch, "ka_watch_alive_chart")

# ---- Class migration -----------------------------------------------------------------
def _move(before: str, after: str, cell: str) -> str:
    """The hover text of a migration cell: one whole sentence per kind of move."""
    if before == "new":
        return (t("New, no purchase in the later window: {cell}", cell=cell) if after == "lost"
                else t("New customers, now in class {to}: {cell}", to=after, cell=cell))
    if after == "lost":
        return t("From class {start} to no purchase in the later window: {cell}",
                 start=before, cell=cell)
    return t("From class {start} to class {to}: {cell}", start=before, to=after, cell=cell)


st.subheader(t("Class migration"))
try:
    moves = calls.migration(ctx)
except ValueError as exc:
    st.info(fmt.md_text(exc))
    moves = None
if moves is not None:
    (f1, f2), (s1, s2) = moves.first, moves.second
    st.caption(t("ABC class in {f1} to {f2} against {s1} to {s2}. Each cell: the number "
                 "of customers and their value in the second window (for lost customers, "
                 "in the first).", f1=fmt.fmt_date(f1), f2=fmt.fmt_date(f2),
                 s1=fmt.fmt_date(s1), s2=fmt.fmt_date(s2)))
    if not moves.first_covered:
        st.warning(t("The earlier window starts on {f1}, before the data's first date "
                     "{first}: customers who bought only before {first} count as new.",
                     f1=fmt.fmt_date(f1), first=fmt.fmt_date(moves.data_start)),
                   icon=":material/warning:")
    rows, cols = ["A", "B", "C", "new"], ["A", "B", "C", "lost"]
    grid = moves.matrix.set_index(["from_class", "to_class"])
    z = [[int(grid["customers"].get((r, k), 0)) for k in cols] for r in rows]
    # Value in the second window; for lost customers, what they bought in the first.
    def _cell(r: str, k: str) -> str:
        value = grid["value_first" if k == "lost" else "value_second"].get((r, k), 0.0)
        n = int(grid["customers"].get((r, k), 0))
        label = tn("{n} customer", "{n} customers", n, n=fmt.fmt_count(n))
        return f"{label}<br>{charts.plain(fmt.fmt_value(value, ctx))}"

    text = [[_cell(r, k) for k in cols] for r in rows]
    row_names = [t("from class {c}", c=r) if r != "new" else t("new customers") for r in rows]
    col_names = [t("to class {c}", c=k) if k != "lost" else t("no purchase in the later window")
                 for k in cols]
    hover = [[_move(r, k, cell) for k, cell in zip(cols, line, strict=True)]
             for r, line in zip(rows, text, strict=True)]
    fig = go.Figure(go.Heatmap(z=z, x=col_names, y=row_names, text=text,
                               texttemplate="%{text}", colorscale="Purples",
                               showscale=False, customdata=hover,
                               hovertemplate="%{customdata}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    charts.show(fig, key="ka_migration")
    mc = moves.customers
    new_or_lost = mc[(mc["from_class"] == "new") | (mc["to_class"] == "lost")]
    left, right = st.columns(2)
    for col, kind, title in (
            (left, "new", t("Customers who bought in the later window but not in the "
                            "earlier one")),
            (right, "lost", t("Customers who bought in the earlier window but not in the "
                              "later one"))):
        part = (new_or_lost[new_or_lost["from_class"] == "new"] if kind == "new"
                else new_or_lost[new_or_lost["to_class"] == "lost"])
        col.markdown(t("**{title}: {n}**", title=title, n=fmt.fmt_count(len(part))))
        if len(part):
            with col:
                tables.show(pd.DataFrame({
                    t("Customer"): part["customer_name"].fillna(part["customer_id"]),
                    t("ID"): part["customer_id"],
                    t("Class"): part["to_class"] if kind == "new" else part["from_class"],
                    t("Value"): (part["value_second"] if kind == "new"
                                 else part["value_first"]).round(0),
                }).sort_values(t("Value"), ascending=False), {t("Value"): "number"},
                    hide_index=True, key=f"ka_{kind}_table")
