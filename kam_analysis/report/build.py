"""From the engine to a review pack: the analysis, comparisons, per-account views and
dossiers, formatted (``kam_analysis.formatting``) and masked when asked.

The one entry point is :func:`build_pack`; render the result with
:func:`kam_analysis.report.render_pack`. With a :class:`~kam_analysis.masking.Masker`
no real customer name or id reaches the pack: names and ids become pseudonyms, the
dataset name is replaced and the dossier (free text that may name people and
customers) is left out, as the app hides it when masking is on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime

import pandas as pd

from kam_analysis import dossier as dossiers
from kam_analysis import formatting as fmt
from kam_analysis.analysis import (
    Analysis,
    AnalysisParams,
    Comparison,
    analyze,
    compare,
    customer_class_histories,
    customers_periods,
    customers_products,
)
from kam_analysis.analysis.churn import ChurnResult, churn, with_churn
from kam_analysis.analysis.recency import AT_RISK_DROP
from kam_analysis.analysis.window import add_months
from kam_analysis.db import Database
from kam_analysis.i18n import get_language, is_rtl, t
from kam_analysis.masking import Masker
from kam_analysis.report import model as m
from kam_analysis.vocabulary import FIELD_BY_NAME, MEASURE_LABELS, XYZ_PERIOD_LABELS

#: Account pages show at most this many products, events and quarters of class history.
MIX_ITEMS, HISTORY_EVENTS, CLASS_QUARTERS = 8, 5, 8


class _Context:
    """What every part of the pack shares: the analysis, comparison, masker, formats."""

    def __init__(self, db: Database, analysis: Analysis, comparison: Comparison,
                 masker: Masker | None, churned: ChurnResult) -> None:
        self.db, self.analysis, self.comparison, self.masker = db, analysis, comparison, masker
        self.params, self.churn = analysis.params, churned
        self.customers = with_churn(analysis.customers, churned).set_index("customer_id",
                                                                           drop=False)
        self.changes = comparison.customers.set_index("customer_id")
        self.histories: dict[str, pd.DataFrame] = {}
        self.periods: dict[str, pd.DataFrame] = {}
        self.products: dict[str, pd.DataFrame] = {}
        self.products_before: dict[str, pd.DataFrame] = {}

    def value(self, amount: float | None) -> str:
        return fmt.fmt_measure(amount, self.params.measure, self.analysis.dataset)

    def name(self, customer_id: str) -> str:
        if self.masker is not None:
            return self.masker.customer_label(customer_id)
        name = self.customers.at[customer_id, "customer_name"]
        return str(name) if isinstance(name, str) and name else str(customer_id)

    def p_alive(self, customer_id: str) -> str:
        """The customer's P(alive) as a percentage (``"–"`` without a fit)."""
        return fmt.fmt_pct(self.customers.at[customer_id, "p_alive"])

    def shown_id(self, customer_id: str) -> str:
        return self.masker.customer_id_label(customer_id) if self.masker else str(customer_id)

    def change(self, customer_id: str, which: str) -> str:
        covered = (self.comparison.previous_covered if which == "previous"
                   else self.comparison.year_covered)
        if customer_id not in self.changes.index:
            return fmt.fmt_change(None, covered)
        row = self.changes.loc[customer_id]
        if covered and row[f"value_{which}"] == 0 and row["value"] > 0:
            return t("new")
        return fmt.fmt_change(row[f"change_{which}"], covered)


def _window_text(window: tuple[date, date]) -> str:
    return f"{fmt.fmt_date(window[0])} – {fmt.fmt_date(window[1])}"


def _comparison_text(window: tuple[date, date], comparison: Comparison) -> str:
    if comparison.previous == comparison.year_earlier:  # a 12-month window
        return t("{window}, compared with {previous} (the previous period is a year earlier)",
                 window=_window_text(window), previous=_window_text(comparison.previous))
    return t("{window}, compared with {previous} and a year earlier {year}",
             window=_window_text(window), previous=_window_text(comparison.previous),
             year=_window_text(comparison.year_earlier))


def _meta(ctx: _Context, language: str, now: datetime) -> m.PackMeta:
    a, p = ctx.analysis, ctx.params
    filters = "; ".join(t("{field}: {values}", field=t(FIELD_BY_NAME[key].label),
                            values=", ".join(values))
                        for key, values in p.filters.as_dict().items() if values)
    parameters = " · ".join((
        t("ABC limits {a} / {b}", a=fmt.fmt_pct(a.abc_limits[0]), b=fmt.fmt_pct(a.abc_limits[1])),
        t(XYZ_PERIOD_LABELS[p.period]),
        t("lost after {days} days or {factor} × the usual gap",
          days=fmt.fmt_count(p.lost_after_days), factor=fmt.fmt_decimal(p.lost_gap_factor, None))))
    info = a.dataset
    return m.PackMeta(
        title=t("Account review"),
        dataset=t("Dataset (masked)") if ctx.masker else info.name,
        window=_comparison_text(a.window, ctx.comparison),
        measure=t(MEASURE_LABELS.get(p.measure, p.measure)), filters=filters,
        parameters=parameters,
        date_range=f"{fmt.fmt_date(info.first_date)} – {fmt.fmt_date(info.last_date)}",
        language=language, right_to_left=is_rtl(language),
        generated_at=f"{now:%Y-%m-%d %H:%M}", masked=ctx.masker is not None,
        author="KAM Analysis")


def _headlines(ctx: _Context) -> tuple[m.HeadlineRow, ...]:
    totals, comp = ctx.comparison.totals, ctx.comparison
    conc = ctx.analysis.concentration
    keys = int(ctx.analysis.customers["key_account"].astype(bool).sum())

    def row(label: str, figure: str, text: str) -> m.HeadlineRow:
        return m.HeadlineRow(label, text,
                             fmt.fmt_change(totals.at[figure, "change_previous"],
                                            comp.previous_covered),
                             fmt.fmt_change(totals.at[figure, "change_year"], comp.year_covered))

    return (
        row(t(MEASURE_LABELS.get(ctx.params.measure, ctx.params.measure)), "value",
            ctx.value(totals.at["value", "value"])),
        row(t("Customers"), "customers", fmt.fmt_number(totals.at["customers", "value"])),
        m.HeadlineRow(t("Key accounts"), fmt.fmt_number(keys), "–", "–"),
        m.HeadlineRow(t("Key accounts' share"), fmt.fmt_pct(conc.key_share), "–", "–"),
    )


def _portfolio(ctx: _Context) -> m.PortfolioPage:
    conc, customers = ctx.analysis.concentration, ctx.analysis.customers
    lines = [t("HHI {hhi}: {band}", hhi=fmt.fmt_number(conc.hhi), band=fmt.label(conc.hhi_band))]
    if conc.top_customer_id is not None:
        lines.append(t("Largest customer: {name}, {share} of the total",
                       name=ctx.name(str(conc.top_customer_id)), share=fmt.fmt_pct(conc.top_share)))
    lines.append(t("Dependency: {flags}", flags=", ".join(fmt.label(f) for f in conc.flags)
                   or t("none")))
    keys = customers[customers["key_account"].astype(bool)]
    rows = tuple(m.KeyAccountRow(ctx.name(cid), ctx.value(r["value"]), fmt.fmt_pct(r["share"]),
                                 str(r["abc_xyz"]), ctx.change(cid, "previous"),
                                 fmt.labels(r["flags"]))
                 for cid, r in zip(keys["customer_id"].astype(str), keys.to_dict("records"),
                                   strict=True))
    risky = keys[keys["lost"].astype(bool) | keys["at_risk"].astype(bool)]
    lost = tuple(m.LostAccountRow(ctx.name(str(r["customer_id"])),
                                  fmt.label("lost" if r["lost"] else "at_risk"),
                                  fmt.fmt_date(r["last_purchase"]), ctx.value(r["value"]),
                                  ctx.p_alive(str(r["customer_id"])))
                 for r in risky.to_dict("records"))
    return m.PortfolioPage(headlines=_headlines(ctx), concentration=tuple(lines),
                           key_accounts=rows, lost_at_risk=lost)


def _monthly_params(ctx: _Context) -> AnalysisParams:
    """The 36 months ending with the window: 24 shown, each with the month a year earlier."""
    end = ctx.analysis.window[1]
    return replace(ctx.params, start=add_months(end.replace(day=1), -35), end=end,
                   period="month")


def _monthly(ctx: _Context, customer_id: str) -> m.MonthlySeries:
    periods = ctx.periods[customer_id]
    values = periods[ctx.params.measure].astype(float).tolist()
    data_start = ctx.analysis.dataset.first_date
    covered = [data_start is not None and p >= data_start.replace(day=1)
               for p in periods["period"]]
    shown = [v if ok else None for v, ok in zip(values, covered, strict=True)]
    drawn = [v for v in shown if v is not None and math.isfinite(v)]
    ticks = fmt.axis_ticks(min(drawn, default=0.0), max(drawn, default=0.0))
    return m.MonthlySeries(labels=tuple(fmt.fmt_month(p) for p in periods["period"][12:]),
                           current=tuple(shown[12:]), previous=tuple(shown[:24]),
                           ticks=tuple((v, fmt.fmt_axis_number(v)) for v in ticks))


def _rhythm(ctx: _Context, row: pd.Series) -> m.PurchaseRhythm:
    p = ctx.params
    days, gap = row["days_since_last"], row["median_gap"]
    if row["lost"]:
        status = fmt.label("lost")
        rule = t("{days} days since the last purchase > {limit} days (the larger of "
                 "{after} days and {factor} × the usual gap)", days=fmt.fmt_number(days),
                 limit=fmt.fmt_number(max(p.lost_after_days, 0 if pd.isna(gap)
                                          else p.lost_gap_factor * gap)),
                 after=p.lost_after_days, factor=p.lost_gap_factor)
    elif row["at_risk"]:
        status = fmt.label("at_risk")
        rule = t("the last 6 months ({last}) fell by {drop} or more against the 6 before "
                 "({prev})", last=ctx.value(row["value_last_6m"]),
                 prev=ctx.value(row["value_prev_6m"]), drop=fmt.fmt_pct(AT_RISK_DROP))
    else:
        status, rule = t("active"), t("no rule fired")
    return m.PurchaseRhythm(last_purchase=fmt.fmt_date(row["last_purchase"]),
                            median_gap=fmt.fmt_number(gap), days_since=fmt.fmt_number(days),
                            status=status, rule=rule, **_churn_figures(ctx, row))


def _churn_figures(ctx: _Context, row: pd.Series) -> dict[str, str]:
    """The churn model's figures of one account, or why there are none."""
    if not ctx.churn.fitted:
        return {"churn_message": ctx.churn.message or ""}
    code = str(row["churn_status"] or "")
    return {"p_alive": ctx.p_alive(str(row["customer_id"])),
            "expected_13w": fmt.fmt_decimal(row["expected_purchases_13w"], 1),  # as the app
            "churn_status": fmt.label(code) if code else ""}


def _mix(ctx: _Context, customer_id: str) -> tuple[m.MixRow, ...] | None:
    products = ctx.products[customer_id]
    if products.empty or (products["product"].isna().all() and products["category"].isna().all()):
        return None
    key = "product" if products["product"].notna().any() else "category"
    now = products.groupby(key, dropna=False)["value"].sum().sort_values(ascending=False)
    before = pd.Series(dtype=float)
    if customer_id in ctx.products_before:
        before = ctx.products_before[customer_id].groupby(key, dropna=False)["value"].sum()
    total = float(now.sum())
    rows = []
    for item, value in now.head(MIX_ITEMS).items():
        base = float(before.get(item, 0.0))
        change = (fmt.fmt_change(value / base - 1 if base > 0 else None,
                                 ctx.comparison.previous_covered)
                  if base > 0 or value <= 0 or not ctx.comparison.previous_covered
                  else t("new"))
        rows.append(m.MixRow(item=str(item) if isinstance(item, str) else t("(none)"),
                             share=fmt.fmt_pct(value / total if total else None),
                             change=change))
    return tuple(rows)


def _dossier(ctx: _Context, customer_id: str, perspective: bool) -> m.Dossier:
    if ctx.masker is not None:
        return m.Dossier()
    stored = dossiers.get_dossier(ctx.db, customer_id)
    events = dossiers.list_events(ctx.db, customer_id).head(HISTORY_EVENTS)
    three = (m.ThreePs(need=stored.need or "–", ability_to_pay=stored.ability_to_pay or "–",
                       authority=stored.authority or "–") if perspective else None)
    return m.Dossier(
        general=stored.general,
        decision_makers=tuple(m.DecisionMaker(p["name"], p["role"],
                                              fmt.label(p["influence"] or "–"),
                                              fmt.label(p["attitude"] or "–"))
                              for p in stored.decision_makers),
        competitors=stored.competitors,
        history=tuple(m.HistoryEntry(fmt.fmt_date(e["event_date"]), fmt.label(e["kind"]),
                                     e["note"] or "") for e in events.to_dict("records")),
        next_review=fmt.fmt_date(stored.next_review) if stored.next_review else "",
        next_steps=tuple(m.NextStep(s["step"], s["owner"] or "–", fmt.fmt_date(s["due"]))
                         for s in stored.next_steps),
        three_ps=three)


def _account(ctx: _Context, customer_id: str) -> m.AccountPage:
    row = ctx.customers.loc[customer_id]
    history = ctx.histories[customer_id].tail(CLASS_QUARTERS)
    types = str(row["account_types"] or "")
    header = m.AccountHeader(name=ctx.name(customer_id), account_id=ctx.shown_id(customer_id),
                             manager=str(row["manager"] or ""), region=str(row["region"] or ""),
                             account_types=fmt.labels(types))
    figures = m.AccountFigures(
        value=ctx.value(row["value"]), share=fmt.fmt_pct(row["share"]),
        rank="–" if pd.isna(row["rank"]) else fmt.fmt_number(row["rank"]),
        abc_xyz=str(row["abc_xyz"]), change_previous=ctx.change(customer_id, "previous"),
        change_year=ctx.change(customer_id, "year"),
        # Quarters written as the app writes them ("4 кв. 2024", not the engine's "2024 Q4").
        class_history=tuple((fmt.fmt_period(q, "quarter"), abc)
                            for q, abc in zip(history["quarter"], history["abc"], strict=True)))
    return m.AccountPage(header=header, figures=figures, monthly=_monthly(ctx, customer_id),
                         rhythm=_rhythm(ctx, row), mix=_mix(ctx, customer_id),
                         dossier=_dossier(ctx, customer_id, "perspective" in types.split(",")))


def _load_views(ctx: _Context, ids: list[str]) -> None:
    """The per-account views of every account at once (one query each, not one per account)."""
    dataset, params, previous = ctx.analysis.dataset.name, ctx.params, ctx.comparison.previous
    ctx.histories = customer_class_histories(ctx.db, dataset, ids, params)
    ctx.periods = customers_periods(ctx.db, dataset, ids, _monthly_params(ctx))
    ctx.products = customers_products(ctx.db, dataset, ids, params)
    if ctx.comparison.previous_covered:
        ctx.products_before = customers_products(
            ctx.db, dataset, ids, replace(params, start=previous[0], end=previous[1]))


def pack_accounts(analysis: Analysis, accounts: Sequence[str] | None) -> list[str]:
    """The ids a pack covers: ``accounts`` as given, or every key account by rank.

    Raises
    ------
    ValueError
        If an id has no rows in the analysis (window and filters).
    """
    ids = analysis.customers["customer_id"].astype(str)
    if accounts is None:
        return ids[analysis.customers["key_account"].astype(bool)].tolist()
    wanted = [str(a).strip() for a in accounts if str(a).strip()]
    unknown = sorted(set(wanted) - set(ids))
    if unknown:
        raise ValueError(t("These customers have no sales in the window: {ids}",
                           ids=", ".join(unknown[:10])))
    return list(dict.fromkeys(wanted))


def build_pack(db: Database, dataset: str, params: AnalysisParams,
               accounts: Sequence[str] | None = None, *, masker: Masker | None = None,
               progress: Callable[[float], None] | None = None,
               now: datetime | None = None) -> m.Pack:
    """Compute and format a review pack: the portfolio page and one page per account.

    Parameters
    ----------
    db, dataset, params
        As for :func:`kam_analysis.analysis.analyze` (window, measure, filters...).
    accounts : sequence of str, optional
        Customer ids, one page each in this order; None: every key account by rank.
    masker : Masker, optional
        Replace names and ids by its pseudonyms and leave the dossiers out.
    progress : callable, optional
        Called with the finished fraction (0 to 1) after each account.
    now : datetime, optional
        The "generated" time (default: now).

    Returns
    -------
    Pack
        Ready for :func:`kam_analysis.report.render_pack`.

    Raises
    ------
    ValueError
        For invalid parameters or an account without sales in the window.
    """
    analysis = analyze(db, dataset, params)
    ids = pack_accounts(analysis, accounts)
    ctx = _Context(db, analysis, compare(db, dataset, params), masker,
                   churn(db, dataset, params))
    _load_views(ctx, ids)
    if masker is not None:
        masker.register(ctx.customers.index)
    pages = []
    for number, customer_id in enumerate(ids, start=1):
        pages.append(_account(ctx, customer_id))
        if progress is not None:
            progress(number / len(ids))
    language = get_language()
    stamp = now or datetime.now()
    return m.Pack(meta=_meta(ctx, language, stamp), portfolio=_portfolio(ctx),
                  accounts=tuple(pages),
                  labels={key: t(text) for key, text in m.DEFAULT_LABELS.items()})
