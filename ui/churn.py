"""P(alive) and expected purchases on the pages: table columns, the explanation and
the chart of P(alive) against days since the last purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kam_analysis import analysis as engine
from kam_analysis.analysis.churn import ALIVE_THRESHOLD
from kam_analysis.formatting import axis_ticks
from kam_analysis.i18n import t, tn
from ui import charts
from ui import formatting as fmt


def p_alive_label() -> str:
    """The heading of P(alive) (a function: the language is the session's, per run)."""
    return t("P(alive)")


def expected_label() -> str:
    """The heading of the expected purchases."""
    return t("Expected purchases, 13 weeks")


def status_label() -> str:
    """The heading of the model's verdict."""
    return t("Model says")


def column_config() -> dict[str, object]:
    """Column formats of the churn columns in ``st.dataframe``: P(alive) is a bar, its
    number in Streamlit's percent format (the browser's locale); the expected purchases
    are written by :mod:`ui.tables` (:func:`kinds`)."""
    return {p_alive_label(): st.column_config.ProgressColumn(format="percent", min_value=0.0,
                                                             max_value=1.0)}


def kinds() -> dict[str, str]:
    """The :data:`ui.tables.KINDS` of the churn columns."""
    return {expected_label(): "dec1"}


def explanation() -> str:
    """The short explanation of the churn figures (for ``st.caption`` and help texts)."""
    return t("P(alive): the probability that the customer still buys from us, estimated "
             "by the Pareto/NBD model from the number of purchase days, the time of the "
             "last one and the time since the first. From {pct} on: likely still "
             "active; below: probably lost. Expected purchases: purchase days to expect in "
             "the next 13 weeks.", pct=fmt.fmt_percent(ALIVE_THRESHOLD))


def columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The churn columns of a customers frame that has gone through ``with_churn``."""
    return {
        p_alive_label(): frame["p_alive"],
        expected_label(): frame["expected_purchases_13w"],
        status_label(): fmt.labels_column(frame["churn_status"]),
    }


def show_status(result: engine.ChurnResult) -> None:
    """Explain the figures, or why there are none (and that the rule-based flags stay)."""
    if result.fitted:
        st.caption(" ".join(filter(None, (explanation(), result.note))))
    else:
        st.info(result.message or "", icon=":material/info:")


def _alive_texts(days: pd.Series, p_alive: pd.Series) -> list[str]:
    """The hover line of every point ("40 days, P(alive) 35%"): each distinct count's
    sentence and each distinct percentage formatted once (100,000 customers took
    2 s point by point)."""
    sentences: dict[int, str] = {}
    texts = []
    for n, d, p in zip(days.fillna(0).astype(int), fmt.count_texts(days),
                       fmt.percent_texts(p_alive), strict=True):
        if n not in sentences:
            sentences[n] = tn("{days} day, P(alive) {p}", "{days} days, P(alive) {p}", n)
        texts.append(sentences[n].format(days=d, p=p))
    return texts


#: At most this many points in a P(alive) chart: the first customers of the list it
#: belongs to (a cloud of 40,000 points reads no better, and costs a second a run).
CHART_POINTS = 2_000


def alive_chart(frame: pd.DataFrame, key: str) -> None:
    """Scatter P(alive) against days since the last purchase for the customers of
    ``frame`` (coloured by the rule-based flag), at most :data:`CHART_POINTS` of them
    in the frame's order; nothing without P(alive)."""
    shown = frame[frame["p_alive"].notna()]
    if shown.empty:
        return
    total = len(shown)
    shown = shown.head(CHART_POINTS)
    rule = pd.Series(t("neither lost nor at risk"), index=shown.index)
    rule[shown["at_risk"].astype(bool)] = fmt.label("at_risk")
    rule[shown["lost"].astype(bool)] = fmt.label("lost")
    fig = go.Figure()
    for name in rule.unique():
        part = shown[rule == name]
        fig.add_scatter(
            # Arrays, not lists: plotly checks a list's texts one by one (0.45 s for
            # 40,000 points) and takes a NumPy array whole.
            x=part["days_since_last"].to_numpy(), y=part["p_alive"].to_numpy(),
            mode="markers", name=name,
            text=part["customer_name"].fillna(part["customer_id"]).to_numpy(dtype=object),
            customdata=np.array(_alive_texts(part["days_since_last"], part["p_alive"]),
                                dtype=object),
            hovertemplate="%{text}<br>%{customdata}<extra></extra>",
        )
    fig.add_hline(y=ALIVE_THRESHOLD, line_dash="dot", line_color="grey")
    # Days written by the app (Persian digits, separators), not plotly's own ticks.
    days = axis_ticks(0.0, float(shown["days_since_last"].max()))
    fig.update_xaxes(tickmode="array", tickvals=days, ticktext=[fmt.fmt_count(d) for d in days],
                     range=[-0.03 * days[-1], days[-1] * 1.02])
    fig.update_layout(height=340, margin={"t": 40, "b": 10}, legend=charts.LEGEND_ABOVE,
                      xaxis_title=t("Days since last purchase"))
    charts.percent_axis(fig, "yaxis", dtick=0.2, title=p_alive_label(), top=1.05)
    charts.show(fig, key=key)
    if total > len(shown):
        st.caption(tn("The chart shows the first {shown} of {total} customer in the list "
                      "above.", "The chart shows the first {shown} of {total} customers in "
                      "the list above.", total, shown=fmt.fmt_count(len(shown)),
                      total=fmt.fmt_count(total)))
