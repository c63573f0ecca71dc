"""P(alive) and expected purchases on the pages: table columns, the explanation and
the chart of P(alive) against days since the last purchase."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kam_analysis import analysis as engine
from kam_analysis.analysis.churn import ALIVE_THRESHOLD
from kam_analysis.i18n import t
from ui import formatting as fmt

P_ALIVE = t("P(alive)")
EXPECTED = t("Expected purchases, 13 weeks")
STATUS = t("Model says")

#: Column formats of the churn columns in ``st.dataframe``.
COLUMN_CONFIG = {
    P_ALIVE: st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0),
    EXPECTED: st.column_config.NumberColumn(format="%.1f"),
}


def explanation() -> str:
    """The short explanation of the churn figures (for ``st.caption`` and help texts)."""
    return t("P(alive): the probability that the customer still buys from us, estimated "
             "by the Pareto/NBD model from the number of purchase days, the time of the "
             "last one and the time since the first. From {pct:.0f} % on: likely still "
             "active; below: probably lost. Expected purchases: purchase days to expect in "
             "the next 13 weeks.", pct=ALIVE_THRESHOLD * 100)


def columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The churn columns of a customers frame that has gone through ``with_churn``."""
    return {
        P_ALIVE: frame["p_alive"],
        EXPECTED: frame["expected_purchases_13w"],
        STATUS: frame["churn_status"].map(fmt.label),
    }


def show_status(result: engine.ChurnResult) -> None:
    """Explain the figures, or why there are none (and that the rule-based flags stay)."""
    if result.fitted:
        st.caption(" ".join(filter(None, (explanation(), result.note))))
    else:
        st.info(result.message or "", icon=":material/info:")


def alive_chart(frame: pd.DataFrame, key: str) -> None:
    """Scatter P(alive) against days since the last purchase for the customers of
    ``frame`` (coloured by the rule-based flag); nothing without P(alive)."""
    shown = frame[frame["p_alive"].notna()]
    if shown.empty:
        return
    rule = pd.Series(t("neither lost nor at risk"), index=shown.index)
    rule[shown["at_risk"].astype(bool)] = fmt.label("at_risk")
    rule[shown["lost"].astype(bool)] = fmt.label("lost")
    fig = go.Figure()
    for name in rule.unique():
        part = shown[rule == name]
        fig.add_scatter(
            x=part["days_since_last"], y=part["p_alive"], mode="markers", name=name,
            text=part["customer_name"].fillna(part["customer_id"]),
            hovertemplate="%{text}<br>" + t("{days} days, P(alive) {p}",
                                             days="%{x}", p="%{y:.0%}") + "<extra></extra>",
        )
    fig.add_hline(y=ALIVE_THRESHOLD, line_dash="dot", line_color="grey")
    fig.update_layout(height=340, margin={"t": 20, "b": 10}, legend={"orientation": "h"},
                      xaxis_title=t("Days since last purchase"), yaxis_title=P_ALIVE,
                      yaxis={"range": [0, 1.05], "tickformat": ".0%"})
    st.plotly_chart(fig, key=key)
