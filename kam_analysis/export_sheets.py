"""What an export says, in the language of the context: column headers, codes in
words, and the rows of the "Parameters" and "Concentration" sheets.

:mod:`kam_analysis.export` writes the files; this module only turns engine frames and
results into what a person reads (translated through :mod:`kam_analysis.i18n`), so
numbers stay numbers and dates stay dates. The CSV conventions of a language (list
separator and decimal sign) come from its Babel/CLDR locale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from babel.lists import format_list
from babel.numbers import get_decimal_symbol

from kam_analysis.formatting import fmt_count, fmt_money, fmt_pct, label, labels
from kam_analysis.i18n import N_, locale_name, t, tn
from kam_analysis.vocabulary import FIELDS, MEASURE_LABELS, PERIOD_LABELS

if TYPE_CHECKING:
    from kam_analysis.analysis import Analysis, KeyRule

__all__ = [
    "COLUMN_LABELS",
    "PairRow",
    "column_label",
    "concentration_rows",
    "csv_decimal",
    "csv_separator",
    "localise_frame",
    "parameter_rows",
]

#: How a value of the "Parameters" or "Concentration" sheet is written.
CellKind = Literal["text", "date", "count", "number", "percent", "money"]
#: One row of a two-column sheet: the translated name, the value and how it is written.
PairRow = tuple[str, Any, CellKind]

#: English headers of the export columns (transaction fields take their field label).
COLUMN_LABELS: dict[str, str] = {
    **{f.name: f.label for f in FIELDS},
    "value": N_("Value"),
    "share": N_("Share"),
    "cumulative_share": N_("Cumulative share"),
    "rank": N_("Rank"),
    "abc": N_("ABC class"),
    "xyz": N_("XYZ class"),
    "abc_xyz": N_("ABC-XYZ class"),
    "cov": N_("Coefficient of variation"),
    "periods": N_("Periods"),
    "active_periods": N_("Active periods"),
    "first_purchase": N_("First purchase"),
    "last_purchase": N_("Last purchase"),
    "days_since_last": N_("Days since last purchase"),
    "median_gap": N_("Median gap between purchases (days)"),
    "key_account": N_("Key account"),
    "key_reasons": N_("Why key"),
    "account_types": N_("Account types"),
    "flags": N_("Flags"),
    "p_alive": N_("P(alive)"),
    "expected_purchases_13w": N_("Expected purchases, next 13 weeks"),
    "customers": N_("Customers"),
    "from_class": N_("Class in the first window"),
    "to_class": N_("Class in the second window"),
    "value_first": N_("Value in the first window"),
    "value_second": N_("Value in the second window"),
    "source_line": N_("Line"),
    "reason": N_("Reason"),
    "raw": N_("Row as read"),
}
#: Columns holding comma-separated codes, written as translated words.
_CODE_LIST_COLUMNS = frozenset({"key_reasons", "account_types", "flags"})
#: Columns holding one class code each ("new", "lost" in words; A, B, C stay).
_CLASS_COLUMNS = frozenset({"from_class", "to_class"})
_CLASS_WORDS = {"new": N_("new customer"), "lost": N_("lost")}


def column_label(code: str) -> str:
    """Return the translated header of an export column (unknown names stay as they are)."""
    return t(COLUMN_LABELS[code]) if code in COLUMN_LABELS else code


def csv_decimal() -> str:
    """The decimal sign of the context's locale in Latin digits (``,`` for de, ru, az, vi)."""
    return get_decimal_symbol(locale_name(), numbering_system="latn")


def csv_separator() -> str:
    """The list separator the locale's Excel expects in a CSV: ``;`` where the decimal
    sign is a comma, else ``,``."""
    return ";" if csv_decimal() == "," else ","


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return t("yes") if value else t("no")
    return value


def _converter(code: str, series: pd.Series) -> Callable[[Any], Any] | None:
    if code in _CODE_LIST_COLUMNS:
        return lambda v: labels(v) if isinstance(v, str) else v
    if code in _CLASS_COLUMNS:
        return lambda v: t(_CLASS_WORDS[v]) if v in _CLASS_WORDS else v
    if pd.api.types.is_bool_dtype(series):
        return _yes_no
    return None


def localise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` as a person reads it in the context's language.

    Headers become translated labels, flags, key reasons, account types and the
    ``new``/``lost`` classes become words, booleans ``yes``/``no``; numbers and dates
    are left as they are (the writer keeps them numeric).
    """
    out = pd.DataFrame(index=df.index)
    for code in df.columns:
        convert = _converter(str(code), df[code])
        series = df[code] if convert is None else df[code].astype(object).map(convert)
        out[_unique(column_label(str(code)), out.columns)] = series
    return out


def _unique(name: str, taken: Any) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    return candidate


def _rule_text(rule: KeyRule, analysis: Analysis) -> str:
    """The key-account rule as words: its enabled parts joined with the locale's "or"."""
    parts = []
    if rule.min_share is not None:
        parts.append(t("share of the total at least {share}", share=fmt_pct(rule.min_share)))
    if rule.cum_before is not None:
        parts.append(t("among the customers that make the first {share} of the value",
                       share=fmt_pct(rule.cum_before)))
    if rule.annual_value is not None:
        parts.append(t("value per year at least {amount}",
                       amount=fmt_money(rule.annual_value, analysis.dataset)))
    if rule.top_n is not None:
        parts.append(t("among the top {n} customers", n=fmt_count(rule.top_n)))
    if rule.class_a:
        parts.append(t("ABC class A"))
    if not parts:
        return t("no rule is ticked")
    return format_list(parts, style="or", locale=locale_name())


def _filter_text(values: tuple[str, ...]) -> str:
    return ", ".join(values) if values else t("all")


def parameter_rows(analysis: Analysis) -> list[PairRow]:
    """The rows of the "Parameters" sheet: what the analysis ran with, in words."""
    from kam_analysis.analysis.key_accounts import capacity_text
    from kam_analysis.analysis.params import xyz_limits

    p = analysis.params
    methods = {"fixed": N_("Fixed limits"), "computed": N_("Computed (Ultsch & Lötsch)")}
    metrics = {"cov": N_("Variation (coefficient of variation)"),
               "frequency": N_("Buying frequency (share of periods with purchases)")}
    x_limit, y_limit = xyz_limits(p)
    rows: list[PairRow] = [
        (t("Dataset"), analysis.dataset.name, "text"),
        (t("Window start"), analysis.window[0], "date"),
        (t("Window end"), analysis.window[1], "date"),
        (t("Measure"), t(MEASURE_LABELS.get(p.measure, p.measure)), "text"),
        (t("Regions"), _filter_text(p.filters.regions), "text"),
        (t("Managers"), _filter_text(p.filters.managers), "text"),
        (t("Categories"), _filter_text(p.filters.categories), "text"),
        (t("Products"), _filter_text(p.filters.products), "text"),
        (t("ABC method"), t(methods.get(p.abc_method, p.abc_method)), "text"),
        (t("A up to (share of the value)"), analysis.abc_limits[0], "percent"),
        (t("B up to (share of the value)"), analysis.abc_limits[1], "percent"),
        (t("XYZ metric"), t(metrics.get(p.xyz_metric, p.xyz_metric)), "text"),
        (t("X limit"), x_limit, "number"),
        (t("Y limit"), y_limit, "number"),
        (t("Period"), t(PERIOD_LABELS.get(p.period, p.period)), "text"),
        (t("Key-account rule"), _rule_text(p.key_rule, analysis), "text"),
        (t("Key-account capacity"),
         p.key_rule.capacity if p.key_rule.capacity else t("no limit"), "count"),
        (t("Customers the rule selects"), analysis.key_wanted, "count"),
        (t("Key accounts"), int(analysis.customers["key_account"].sum()), "count"),
    ]
    if analysis.capacity_note is not None:
        rows.append((t("Capacity note"), capacity_text(analysis.capacity_note), "text"))
    rows += [
        (t("Lost after days without purchase"), p.lost_after_days, "count"),
        (t("Lost after this many usual gaps between purchases"), p.lost_gap_factor, "number"),
    ]
    for point, fig in (analysis.computed_limits or {}).items():
        rows.append((t("Computed limit {point}: share of the customers", point=point),
                     fig["effort"], "percent"))
        rows.append((t("Computed limit {point}: share of the value", point=point),
                     fig["yield"], "percent"))
    return rows


def concentration_rows(analysis: Analysis) -> list[PairRow]:
    """The rows of the "Concentration" sheet: each figure with its translated name."""
    c = analysis.concentration
    rows: list[PairRow] = [
        (t("Customers with positive value"), c.customers, "count"),
        (t("Total of positive customers"), c.total, "money"),
        (t("HHI"), c.hhi, "number"),
        (t("HHI band"), label(c.hhi_band), "text"),
        (t("Gini"), c.gini, "number"),
    ]
    for k, share in ((1, c.cr1), (3, c.cr3), (5, c.cr5), (10, c.cr10)):
        rows.append((tn("Share of the largest {k} customer", "Share of the largest {k} customers",
                        k, k=fmt_count(k)), share, "percent"))
    rows += [
        (t("Customers that make 50 % of the value"), c.n50, "count"),
        (t("Customers that make 80 % of the value"), c.n80, "count"),
        (t("Share of the top 20 % of customers"), c.top20_share, "percent"),
        (t("Share of the customers that make 80 % of the value"), c.customers_for_80,
         "percent"),
        (t("Key accounts' share"), c.key_share, "percent"),
        (t("Key accounts' share band"), label(c.key_share_band), "text"),
        (t("Largest customer (ID)"), c.top_customer_id or "", "text"),
        (t("Largest customer (name)"), c.top_customer_name or "", "text"),
        (t("Flags"), labels(",".join(c.flags)), "text"),
    ]
    for k, value in c.revenue_at_risk.items():
        rows.append((tn("Value at risk if the largest {k} customer leaves",
                        "Value at risk if the largest {k} customers leave", k,
                        k=fmt_count(k)), value, "money"))
    return rows
