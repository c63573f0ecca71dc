"""Shared chart helpers: percent and value axes, labels on lines, plain-text data labels,
and the charts several pages draw (Pareto curve, ranked top list, HHI trend)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from kam_analysis.formatting import axis_ticks, currency_symbol, nice_step
from kam_analysis.i18n import N_, is_rtl, t, tn
from ui import formatting as fmt

if TYPE_CHECKING:
    from ui.state import Context

#: Most points a curve is drawn with (a 30,000-customer curve needs no more to look exact).
MAX_CURVE_POINTS = 2000
#: HHI bands of the US 2023 Merger Guidelines (upper limits of each band).
HHI_BANDS = ((1000.0, "unconcentrated"), (1800.0, "highly concentrated"))
LEGEND_ABOVE = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}
#: The chart font for Persian: its glyphs come from the font the RTL stylesheet loads.
PERSIAN_FONT = "KamPersian, 'Source Sans Pro', sans-serif"


def localize(fig: go.Figure) -> go.Figure:
    """Set the session language's decimal and thousands signs (plotly's ``separators``)
    for every number plotly formats itself (hover values, automatic ticks); Persian
    gets the font with Persian glyphs. Returns ``fig``."""
    fig.update_layout(separators=fmt.plotly_separators())
    if is_rtl():
        fig.update_layout(font={"family": PERSIAN_FONT})
    return fig


def show(fig: go.Figure, **kwargs: object) -> object:
    """``st.plotly_chart`` of the localized figure (see :func:`localize`)."""
    import streamlit as st

    return st.plotly_chart(localize(fig), **kwargs)


def _ticks(top: float, step: float, first: float = 0.0) -> list[float]:
    count = int(np.floor((top - first) / step + 1e-9)) + 1
    return [first + i * step for i in range(max(count, 1))]


def plain(text: object) -> str:
    """Return ``text`` safe to put into a chart as plain text.

    Plotly renders a few HTML tags in labels (``<b>``, ``<br>``, links); customer names
    are data, so ``&``, ``<`` and ``>`` are escaped and shown as typed.
    """
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def shorten(text: str, width: int = 40) -> str:
    """Return ``text`` cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def percent_axis(fig: go.Figure, axis: str = "yaxis", *, dtick: float = 0.2,
                 title: str | None = None, top: float = 1.0) -> None:
    """Make ``axis`` (``"xaxis"``, ``"yaxis"``, ``"yaxis2"``) a percent axis of fractions
    from 0 to ``top`` with ticks every ``dtick`` (``0.2`` -> 0 %, 20 %, ...)."""
    decimals = 0 if abs(dtick * 100 - round(dtick * 100)) < 1e-9 else 1
    ticks = _ticks(top, dtick)
    fig.update_layout({axis: {"tickformat": ".0%", "dtick": dtick, "range": [0, top],
                              "title": title, "rangemode": "tozero", "tickmode": "array",
                              "tickvals": ticks,
                              "ticktext": [fmt.fmt_percent(v, decimals) for v in ticks]}})


def value_axis(fig: go.Figure, ctx: Context, axis: str = "xaxis",
               title: str | None = None, top: float | None = None,
               bottom: float = 0.0) -> None:
    """Make ``axis`` a value axis of the context's measure: thousands separators and,
    for money, the dataset's currency symbol. With ``top`` (the axis ends there) the
    ticks are written by :func:`ui.formatting.fmt_compact` in the session's language
    (down to ``bottom`` when values fall below zero)."""
    symbol = "" if ctx.params.measure == "quantity" else currency_symbol(ctx.dataset)
    layout: dict[str, object] = {"tickformat": ",.3~s",
                                 "tickprefix": symbol if len(symbol) == 1 else "",
                                 "ticksuffix": f" {symbol}" if len(symbol) > 1 else "",
                                 "title": title, "rangemode": "tozero"}
    if top is not None and top > 0:
        ticks = [v for v in axis_ticks(bottom, top) if v <= top + 1e-9]  # the axis ends at top
        layout.update(range=[min(bottom, 0.0) * 1.08, top], tickmode="array", tickvals=ticks,
                      ticktext=[fmt.fmt_compact(v, ctx.params.measure, ctx.dataset)
                                for v in ticks])
    fig.update_layout({axis: layout})


def line_label(fig: go.Figure, text: str, *, y: float, yref: str = "y") -> None:
    """Draw a dotted horizontal reference line at ``y`` with ``text`` written on the line
    itself, at its right end."""
    fig.add_shape(type="line", xref="paper", x0=0, x1=1, yref=yref, y0=y, y1=y,
                  line={"color": "#666666", "dash": "dot", "width": 1})
    fig.add_annotation(xref="paper", x=1, xanchor="right", yref=yref, y=y, yanchor="bottom",
                       text=plain(text), showarrow=False, font={"color": "#444444", "size": 11})


def thin_curve(x: np.ndarray, y: np.ndarray, keep: int = MAX_CURVE_POINTS
               ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``keep`` points of a curve, always with its first and last points."""
    if len(x) <= keep:
        return x, y
    idx = np.unique(np.linspace(0, len(x) - 1, keep).round().astype(int))
    return x[idx], y[idx]


def share_hover(x: np.ndarray, y: np.ndarray, text: str) -> list[str]:
    """Hover texts of a share curve: the translated ``text`` with ``{x}`` and ``{y}``
    written as percentages in the session's language."""
    return [t(text, x=fmt.fmt_pct(a), y=fmt.fmt_pct(b)) for a, b in zip(x, y, strict=True)]


def pareto_figure(pareto: pd.DataFrame, customers_for_80: float, k80: int,
                  n: int) -> go.Figure:
    """The Pareto curve: share of customers (largest first) against their cumulative
    share of the value, with the 80 % point marked and labelled on the curve."""
    x, y = thin_curve(pareto["x"].to_numpy(dtype=float), pareto["y"].to_numpy(dtype=float))
    fig = go.Figure()
    fig.add_scatter(x=x, y=y, mode="lines", name=t("Customers, largest first"),
                    line={"color": "#1f77b4", "width": 2}, customdata=share_hover(
                        x, y, N_("{x} of customers bring {y} of the value")),
                    hovertemplate="%{customdata}<extra></extra>")
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name=t("All customers equal"),
                    line={"color": "#aaaaaa", "dash": "dash", "width": 1}, hoverinfo="skip")
    point = tn("{k} of {n} customers ({pct}) brings 80 % of the value",
               "{k} of {n} customers ({pct}) bring 80 % of the value", k80,
               k=fmt.fmt_count(k80), n=fmt.fmt_count(n), pct=fmt.fmt_pct(customers_for_80))
    fig.add_scatter(x=[customers_for_80], y=[0.8], mode="markers",
                    name=t("80 % point"),
                    marker={"color": "#d62728", "size": 11}, showlegend=False,
                    hovertemplate=plain(point) + "<extra></extra>")
    fig.add_shape(type="line", x0=0, x1=customers_for_80, y0=0.8, y1=0.8,
                  line={"color": "#d62728", "dash": "dot", "width": 1})
    fig.add_shape(type="line", x0=customers_for_80, x1=customers_for_80, y0=0, y1=0.8,
                  line={"color": "#d62728", "dash": "dot", "width": 1})
    fig.add_annotation(x=customers_for_80, y=0.8, text=plain(point), showarrow=True,
                       arrowhead=0, ax=40, ay=40, xanchor="left", yanchor="top",
                       bgcolor="rgba(255,255,255,0.85)", font={"color": "#b71c1c"})
    percent_axis(fig, "xaxis", dtick=0.1, title=t("Share of customers, largest first"))
    percent_axis(fig, "yaxis", dtick=0.2, title=t("Cumulative share of the value"),
                 top=1.02)
    fig.update_layout(height=420, margin={"t": 40, "r": 20}, legend=LEGEND_ABOVE,
                      hovermode="closest")
    return fig


def top_bars(shown: pd.DataFrame, ctx: Context, value_text: list[str]) -> go.Figure:
    """Ranked horizontal bars of ``shown`` (rank, customer_name/customer_id, value,
    cumulative_share), the largest on top, with the value written at each bar."""
    names = shown["customer_name"].fillna(shown["customer_id"]).astype(str)
    labels = [plain(f"{int(r)}. {shorten(nm)}") for r, nm in zip(shown["rank"], names,
                                                                    strict=True)]
    hover = [plain(f"{int(r)}. {nm}") for r, nm in zip(shown["rank"], names, strict=True)]
    fig = go.Figure(go.Bar(
        x=shown["value"], y=labels, orientation="h", text=[plain(v) for v in value_text],
        textposition="outside", cliponaxis=False, marker_color="#1f77b4",
        customdata=np.column_stack([hover, [
            t("cumulative share {share}", share=fmt.fmt_pct(v))
            for v in shown["cumulative_share"]]]),
        hovertemplate="%{customdata[0]}<br>%{text}<br>%{customdata[1]}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels,
                     automargin=True)
    top = float(shown["value"].max()) if len(shown) else 1.0
    value_axis(fig, ctx, "xaxis", title=None, top=top * 1.18 if top > 0 else None)
    fig.update_xaxes(range=[0, top * 1.18])
    fig.update_layout(height=max(260, 22 * len(shown) + 80), showlegend=False,
                      margin={"t": 20, "r": 30, "l": 10}, bargap=0.25)
    return fig


def quarter_labels(trend: pd.DataFrame) -> list[str]:
    """The quarters of a trend in the session's language (the engine's labels without
    a ``quarter`` column)."""
    if "quarter" not in trend:
        return list(trend["label"])
    return [fmt.fmt_period(q, "quarter") for q in trend["quarter"]]


def period_axis(fig: go.Figure, periods: list[str], most: int = 6) -> None:
    """Label the x axis of periods (quarters, months) with at most ``most`` of them
    (every second, third, ...), each on two lines ("4 кв." over "2023"): in one line,
    side by side, the labels of twelve quarters ran into each other, and 36 months
    stood on end."""
    step = max(1, -(-len(periods) // most))
    shown = periods[::step]
    fig.update_xaxes(tickangle=0, tickmode="array", tickvals=shown,
                     ticktext=[_two_lines(q) for q in shown])


def _two_lines(label: str) -> str:
    head, _, tail = label.rpartition(" ")
    return f"{head}<br>{tail}" if head else label


def hhi_figure(trend: pd.DataFrame) -> go.Figure:
    """HHI per quarter on its own axis scaled to the data, with the band limits drawn
    (and labelled on their line) only when they fall inside the range."""
    fig = go.Figure()
    quarters = quarter_labels(trend)
    fig.add_scatter(x=quarters, y=trend["hhi"], name="HHI", mode="lines+markers",
                    line={"color": "#1f77b4"}, customdata=[
                        t("{quarter}: HHI {hhi}", quarter=q, hhi=fmt.fmt_decimal(h, 0))
                        for q, h in zip(quarters, trend["hhi"], strict=True)],
                    hovertemplate="%{customdata}<extra></extra>")
    top = float(trend["hhi"].max()) if len(trend) else 0.0
    upper = top * 1.15 if top > 0 else 1.0
    for limit, band in HHI_BANDS:
        if limit <= upper:
            line_label(fig, t("HHI {limit}: above is {band}", limit=fmt.fmt_decimal(limit, 0),
                              band=t(band) if limit > 1000 else t("moderately concentrated")),
                       y=limit)
    step = nice_step(upper)
    ticks = _ticks(upper, step)
    fig.update_yaxes(title="HHI", range=[0, upper], dtick=step, tickformat=",.0f",
                     tickmode="array", tickvals=ticks,
                     ticktext=[fmt.fmt_decimal(v, 0 if step >= 1 else 2) for v in ticks])
    period_axis(fig, quarters)
    fig.update_layout(height=320, margin={"t": 20}, showlegend=False)
    return fig


def shares_figure(trend: pd.DataFrame) -> go.Figure:
    """CR1, CR3 and CR5 per quarter on a percent axis with round ticks."""
    fig = go.Figure()
    quarters = quarter_labels(trend)
    for col, colour in (("cr1", "#d62728"), ("cr3", "#ff7f0e"), ("cr5", "#2ca02c")):
        fig.add_scatter(x=quarters, y=trend[col], name=col.upper(),
                        mode="lines+markers", line={"color": colour}, customdata=[
                            t("{quarter}: {name} {share}", quarter=q, name=col.upper(),
                              share=fmt.fmt_pct(v))
                            for q, v in zip(quarters, trend[col], strict=True)],
                        hovertemplate="%{customdata}<extra></extra>")
    top = float(trend[["cr1", "cr3", "cr5"]].max().max()) if len(trend) else 1.0
    top = min(1.0, max(0.05, top * 1.1))
    step = nice_step(top)
    percent_axis(fig, "yaxis", dtick=step, top=top,
                 title=t("Share of the total"))
    if abs(step * 100 - round(step * 100)) > 1e-9:  # 2.5 %, 0.5 %: one decimal
        fig.update_yaxes(tickformat=".1%")  # (percent_axis wrote the ticks with one)
    period_axis(fig, quarters)
    fig.update_layout(height=320, margin={"t": 40}, legend=LEGEND_ABOVE)
    return fig


def clickable_cells(fig: go.Figure, xs: list[str], ys: list[str],
                    hover: list[list[str]]) -> None:
    """Lay an invisible point over every cell of a heatmap so that a click selects it.

    Streamlit reports no selection for heatmap traces; points of a scatter trace are
    reported (``st.plotly_chart(..., on_select="rerun", selection_mode="points")``).
    The selected cell is shaded a little; ``hover`` (rows of ``ys``, columns of ``xs``)
    is the text shown over each cell.
    """
    cx = [x for _ in ys for x in xs]
    cy = [y for y in ys for _ in xs]
    fig.update_traces(hoverinfo="skip", hovertemplate=None, selector={"type": "heatmap"})
    fig.add_scatter(x=cx, y=cy, mode="markers", showlegend=False,
                    text=[h for row in hover for h in row],
                    hovertemplate="%{text}<extra></extra>",
                    marker={"symbol": "square", "size": 60, "color": "rgba(0,0,0,0)"},
                    selected={"marker": {"color": "rgba(0,0,0,0.18)", "opacity": 1}},
                    unselected={"marker": {"color": "rgba(0,0,0,0)", "opacity": 1}})


def picked_point(event: object) -> tuple[str, str] | None:
    """The (x, y) of the first point selected in a ``st.plotly_chart`` event, or None."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    return str(points[0].get("x", "")), str(points[0].get("y", ""))
