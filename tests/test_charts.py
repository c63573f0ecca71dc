"""The charts: shared helpers (ui/charts.py), the sensitivity summary, and the figures
the chart pages draw against the engine's (AppTest on the demo data)."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, abc_sensitivity, analyze, concentration_trend
from kam_analysis.analysis.abc import sensitivity_summary
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from tests.analysis_fixtures import store
from ui import charts

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
YEAR = AnalysisParams(start=date(2024, 1, 1), end=date(2024, 12, 31))


# ---- the sensitivity summary, by hand ----------------------------------------------
# Values 40, 10 x 4, 5 x 4 (total 100): cum_before 0, .4, .5, .6, .7, .8, .85, .9, .95.
# Limits 80 / 95: A = the first five, B = the three at .8/.85/.9, C = the last.
# A limit 65 (delta .15): the customer at .7 (share .10, cumulative .80) goes A -> B.
# A limit 95: the three B customers (shares .05 each, cumulative .85 .. .95) go B -> A.
HAND = [(f"K{i}", "2024-03-01", v) for i, v in enumerate([40, 10, 10, 10, 10, 5, 5, 5, 5])]


def test_sensitivity_summary_by_hand(db: Database) -> None:
    store(db, HAND)
    res = analyze(db, "t", YEAR)
    assert list(res.customers["abc"]) == list("AAAAABBBC")
    summary = sensitivity_summary(abc_sensitivity(res, 0.15))
    rows = summary.to_dict("records")
    assert [(r["move"], r["from_class"], r["to_class"], r["customers"]) for r in rows] == [
        ("lower", "A", "B", 1), ("higher", "B", "A", 3)]
    assert rows[0]["share"] == pytest.approx(0.10)
    assert (rows[0]["cumulative_from"], rows[0]["cumulative_to"]) == pytest.approx((0.8, 0.8))
    assert rows[1]["share"] == pytest.approx(0.15)
    assert (rows[1]["cumulative_from"], rows[1]["cumulative_to"]) == pytest.approx((0.85, 0.95))
    # A limit 79 / 81: only the customer at cum_before .8 moves (B -> A).
    [row] = sensitivity_summary(abc_sensitivity(res, 0.01)).to_dict("records")
    assert (row["move"], row["customers"], row["share"]) == ("higher", 1, pytest.approx(0.05))


# ---- helpers -------------------------------------------------------------------------
def test_plain_escapes_what_plotly_would_render() -> None:
    assert charts.plain("A&B <b>GmbH</b>") == "A&amp;B &lt;b&gt;GmbH&lt;/b&gt;"
    assert charts.plain(None) == "None"


@pytest.mark.parametrize(("top", "step"), [(12.65, 2.5), (1.0, 0.2), (2300, 500),
                                           (0.35, 0.05), (0.05, 0.01)])
def test_nice_step(top: float, step: float) -> None:
    assert charts.nice_step(top) == pytest.approx(step)


def _trend(hhi: list[float]) -> pd.DataFrame:
    n = len(hhi)
    return pd.DataFrame({"label": [f"Q{i}" for i in range(n)], "hhi": hhi,
                         "cr1": [0.1] * n, "cr3": [0.2] * n, "cr5": [0.3] * n})


def test_hhi_axis_fits_the_data_and_bands_only_inside() -> None:
    fig = charts.hhi_figure(_trend([2.0, 11.0, 7.0]))
    assert fig.layout.yaxis.range[1] == pytest.approx(11 * 1.15)
    assert not fig.layout.shapes and not fig.layout.annotations
    fig = charts.hhi_figure(_trend([900.0, 1700.0]))
    assert [s.y0 for s in fig.layout.shapes] == [1000.0, 1800.0]
    assert len(fig.layout.annotations) == 2


def test_shares_axis_is_percent() -> None:
    fig = charts.shares_figure(_trend([1.0, 2.0]))
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis.dtick == pytest.approx(0.05)  # top 33 %: 0, 5, ..., 30 %


@pytest.mark.parametrize("make", [charts.hhi_figure, charts.shares_figure])
def test_quarter_labels_do_not_run_into_each_other(make) -> None:
    trend = _trend([500.0] * 12)
    trend["label"] = [f"{q} кв. {2023 + (q + 2) // 4}" for q in [4, 1, 2, 3] * 3]
    axis = make(trend).layout.xaxis
    assert list(axis.tickvals) == list(trend["label"][::2])  # 12 quarters: every second
    assert list(axis.ticktext) == [label.replace(" 20", "<br>20") for label in axis.tickvals]
    assert axis.tickangle == 0
    few = make(_trend([500.0] * 3)).layout.xaxis
    assert list(few.tickvals) == ["Q0", "Q1", "Q2"] and list(few.ticktext) == ["Q0", "Q1", "Q2"]


def test_top_bars_show_names_as_plain_text(demo_db: Database) -> None:
    ranked = pd.DataFrame({"rank": [1, 2], "customer_name": ["<i>X</i> & Co", None],
                           "customer_id": ["1", "2"], "value": [10.0, 5.0],
                           "cumulative_share": [0.5, 1.0]})

    class Ctx:  # the two attributes value_axis reads
        params = AnalysisParams()
        dataset = type("D", (), {"currency": "EUR"})()

    fig = charts.top_bars(ranked, Ctx(), ["€10", "€5"])
    assert list(fig.data[0].y) == ["1. &lt;i&gt;X&lt;/i&gt; &amp; Co", "2. 2"]
    assert fig.layout.xaxis.tickprefix == "€"


def test_picked_point() -> None:
    assert charts.picked_point({"selection": {"points": [{"x": "Y", "y": "B"}]}}) == ("Y", "B")
    assert charts.picked_point({"selection": {"points": []}}) is None
    assert charts.picked_point(None) is None


# ---- the pages' figures against the engine's -------------------------------------------
pytestmark = pytest.mark.usefixtures("navigation_mode")


def _app(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _values(v: object) -> list:
    """A trace's array as a list (plotly's JSON writes numpy arrays as base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def _figure(at: AppTest, index: int) -> go.Figure:
    return pio.from_json(at.get("plotly_chart")[index].proto.spec, skip_invalid=True)


def test_pareto_chart_marks_the_engines_80_point(app_db: Database) -> None:
    at = _app("pareto")
    c = analyze(app_db, DEMO_DATASET, AnalysisParams()).concentration
    curve = _figure(at, 0)
    point = next(tr for tr in curve.data if tr.mode == "markers")
    assert list(point.x) == [pytest.approx(c.customers_for_80)] and list(point.y) == [0.8]
    label = curve.layout.annotations[0].text
    assert f"{c.customers_for_80_k:,} of {c.customers:,} customers" in label
    assert curve.layout.xaxis.tickformat == ".0%" and curve.layout.xaxis.dtick == 0.1
    bars = _figure(at, 1)
    assert len(bars.data[0].y) == 30 and bars.data[0].orientation == "h"


def test_concentration_chart_shows_the_engines_hhi(app_db: Database) -> None:
    at = _app("concentration")
    trend = concentration_trend(app_db, DEMO_DATASET, AnalysisParams())
    hhi = _figure(at, 0)
    assert _values(hhi.data[0].y) == pytest.approx(list(trend["hhi"]))
    assert hhi.layout.yaxis.range[1] == pytest.approx(trend["hhi"].max() * 1.15)
    shares = _figure(at, 1)
    assert _values(shares.data[0].y) == pytest.approx(list(trend["cr1"]))
    assert shares.layout.yaxis.tickformat == ".0%"


def test_abc_cell_by_button_and_the_sensitivity_summary(app_db: Database) -> None:
    at = _app("abc_xyz")
    customers = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers
    heat = _figure(at, 0)
    cells = heat.data[1]
    assert cells.type == "scatter" and len(cells.x) == 9
    at.segmented_control(key="abc_cell").set_value("CZ").run()
    metric = next(m.value for m in at.metric if m.label == "Customers in CZ")
    assert metric == f"{(customers['abc_xyz'] == 'CZ').sum():,}"
    summary = next(d.value for d in at.dataframe if "Class change" in d.value.columns)
    sens = abc_sensitivity(analyze(app_db, DEMO_DATASET, AnalysisParams()), 0.05)
    assert summary["Customers"].sum() == len(sens)


def test_alive_chart_shows_the_first_customers_of_a_long_list() -> None:
    """A P(alive) chart draws at most CHART_POINTS customers, the first of its list, and
    says so; a shorter list is drawn whole, without the note."""

    def script(n: int) -> None:
        import pandas as pd

        from ui import churn

        frame = pd.DataFrame({
            "customer_id": [f"C{i:05d}" for i in range(n)], "customer_name": None,
            "p_alive": [i / n for i in range(n)], "days_since_last": list(range(n)),
            "lost": False, "at_risk": [i % 2 == 0 for i in range(n)]})
        churn.alive_chart(frame, "t_alive")

    from ui.churn import CHART_POINTS

    for n, drawn in ((CHART_POINTS + 500, CHART_POINTS), (30, 30)):
        at = AppTest.from_function(script, args=(n,), default_timeout=30).run()
        assert not at.exception, [e.value for e in at.exception]
        fig = _figure(at, 0)
        assert fig.layout.xaxis.ticktext[-1] == f"{fig.layout.xaxis.tickvals[-1]:,.0f}"
        assert fig.layout.xaxis.tickvals[-1] >= drawn - 1  # the ticks cover every point
        names = [name for trace in fig.data for name in trace.text]
        assert sorted(names) == [f"C{i:05d}" for i in range(drawn)]
        notes = [c.value for c in at.caption]
        if drawn < n:
            assert notes == [f"The chart shows the first {drawn:,} of {n:,} customers in the "
                             "list above."]
        else:
            assert notes == []


def test_dossier_pie_writes_shares_as_the_page_does(app_db: Database) -> None:
    from kam_analysis import formatting
    from kam_analysis.analysis import customer_products

    at = _app("dossier")
    cid = at.session_state["dos_customer"]
    figures = [_figure(at, i) for i in range(len(at.get("plotly_chart")))]
    pie = next(tr for fig in figures for tr in fig.data if tr.type == "pie")
    by_cat = customer_products(app_db, DEMO_DATASET, cid).groupby("category")["value"].sum()
    shares = {c: formatting.fmt_pct(v / by_cat[by_cat > 0].sum()) for c, v in by_cat.items()}
    assert dict(zip(pie.labels, pie.text, strict=True)) == shares  # "55.8 %", not plotly's
    assert pie.textinfo == "text"
    history = next(fig for fig in figures if fig.layout.yaxis.ticktext == ("C", "B", "A"))
    assert len(history.layout.xaxis.tickvals) <= 5
    assert all("<br>" in label for label in history.layout.xaxis.ticktext)
    # The monthly sales: every month drawn, at most eight labelled, upright, two lines.
    sales = next(fig for fig in figures if any(tr.type == "bar" for tr in fig.data))
    months = list(sales.data[0].x)
    axis = sales.layout.xaxis
    assert len(months) > 8 and len(axis.tickvals) <= 8 and axis.tickangle == 0
    assert list(axis.tickvals) == months[::-(-len(months) // 8)]
    assert all("<br>" in label for label in axis.ticktext)
