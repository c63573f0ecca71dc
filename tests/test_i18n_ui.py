"""The interface's language helpers: plotly separators, tick texts, tables written in the
session's language (sorting on numbers), the right-to-left stylesheet (Persian only) and
plural forms on the pages (a tiny Russian catalogue stands in for the real one)."""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kam_analysis import i18n
from kam_analysis.analysis import AnalysisParams, analyze
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from kam_analysis.i18n import language, tn
from ui import charts, tables
from ui import formatting as fmt
from ui import language as ui_language

APP = str(Path(__file__).resolve().parent.parent / "app.py")
pytestmark = pytest.mark.usefixtures("navigation_mode")


@pytest.mark.parametrize(("lang", "separators"), [
    ("en", ".,"), ("de", ",."), ("ru", ",\u00a0"), ("az", ",."), ("vi", ",."), ("fa", "٫٬")])
def test_plotly_separators_follow_the_language(lang: str, separators: str) -> None:
    with language(lang):
        assert fmt.plotly_separators() == separators
        fig = charts.localize(go.Figure())
    assert fig.layout.separators == separators
    assert (fig.layout.font.family == charts.PERSIAN_FONT) == (lang == "fa")


def test_percent_axis_ticks_in_the_language() -> None:
    with language("de"):
        fig = go.Figure()
        charts.percent_axis(fig, "yaxis", dtick=0.025, top=0.1)
    assert list(fig.layout.yaxis.ticktext) == [f"{v}\u00a0%" for v in
                                               ("0,0", "2,5", "5,0", "7,5", "10,0")]
    with language("fa"):
        fig = go.Figure()
        charts.percent_axis(fig, "xaxis", dtick=0.5)
    assert list(fig.layout.xaxis.ticktext) == ["۰٪", "۵۰٪", "۱۰۰٪"]


def test_number_helpers() -> None:
    with language("de"):
        assert fmt.fmt_decimal(0.52, 3) == "0,520"
        assert fmt.fmt_percent(0.2) == "20\u00a0%"
        assert fmt.fmt_datetime(datetime(2025, 3, 4, 14, 5)) == "04.03.2025 14:05"
        assert fmt.fmt_period(date(2025, 5, 1), "quarter") == "Q2 2025"
        assert fmt.fmt_list(["A", "B", "C"]) == "A, B und C"
    with language("fa"):
        assert fmt.fmt_decimal(1234.5, 1) == "۱٬۲۳۴٫۵"
        assert fmt.fmt_period(date(2025, 3, 21), "month") == fmt.fmt_month(date(2025, 3, 21))
    assert fmt.fmt_decimal(None, 2) == "–"


def test_tables_are_written_in_the_language_and_keep_numbers() -> None:
    frame = pd.DataFrame({"Value": [1234567.0, 89.0], "Share": [12.34, 0.5],
                          "Day": [date(2025, 12, 31), None]})
    with language("de"):
        data, config = tables.localized(frame, {"Value": "number", "Share": "pct",
                                                "Day": "date"})
        html = data.to_html()
    assert "1.234.567" in html and "12,3\u00a0%" in html and "31.12.2025" in html
    assert data.data["Value"].dtype.kind == "f"  # the column keeps its numbers: sorting
    assert config == {}
    big = pd.DataFrame({"Value": range(tables.STYLED_CELLS + 1)})
    data, config = tables.localized(big, {"Value": "number"})
    assert data is big and "Value" in config  # too large to style: Streamlit's formats


def test_large_tables_take_every_format_from_the_browser() -> None:
    # Too many cells to style: every number column is written by the browser in its
    # locale (no printf format with a fixed decimal point), percentages as fractions.
    rows = tables.STYLED_CELLS // 2 + 1
    big = pd.DataFrame({"Value": [1234.5] * rows, "Share": [12.34] * rows,
                        "Metric": [0.456] * rows})
    data, config = tables.localized(big, {"Value": "number", "Share": "pct2",
                                          "Metric": "dec2"})
    assert list(data["Share"]) == pytest.approx([0.1234] * rows)
    assert list(big["Share"]) == [12.34] * rows  # the caller's frame is left alone
    assert list(data["Metric"]) == [0.456] * rows
    formats = {c: (config[c]["type_config"]["format"], config[c]["type_config"].get("step"))
               for c in ("Value", "Share", "Metric")}
    assert formats == {"Value": ("localized", None), "Share": ("percent", 0.0001),
                       "Metric": ("localized", 0.01)}


def test_rtl_stylesheet_only_for_persian(app_db: Database) -> None:
    for lang in ("fa", "ru"):
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        styles = [h.value for h in at.html if "direction:rtl" in h.value]
        assert bool(styles) == (lang == "fa")
    assert "KamPersian" in ui_language.rtl_stylesheet()
    assert "app/static/persian.woff" in ui_language.rtl_stylesheet()
    assert (Path(APP).parent / "static" / "persian.woff").stat().st_size < 40_000


def _tiny_russian(monkeypatch: pytest.MonkeyPatch, *messages: tuple[tuple[str, str],
                                                                    tuple[str, ...]]) -> None:
    catalog = Catalog(locale="ru", domain=i18n.DOMAIN)
    for english, russian in messages:
        catalog.add(english, russian)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    russian = gettext.GNUTranslations(buffer)
    real = i18n.translations
    monkeypatch.setattr(i18n, "translations",
                        lambda code: russian if code == "ru" else real(code))


LOST = (("{lost} lost customer (no purchase for longer than their rhythm) and {risk} at risk.",
         "{lost} lost customers (no purchase for longer than their rhythm) and {risk} at risk."),
        ("{lost} потерянный клиент, под угрозой: {risk}.",
         "{lost} потерянных клиента, под угрозой: {risk}.",
         "{lost} потерянных клиентов, под угрозой: {risk}."))


def test_russian_plural_forms(monkeypatch: pytest.MonkeyPatch, app_db: Database) -> None:
    _tiny_russian(monkeypatch, LOST)
    with language("ru"):
        assert tn(*LOST[0], 1, lost=1, risk=2).startswith("1 потерянный клиент")
        assert tn(*LOST[0], 3, lost=3, risk=2).startswith("3 потерянных клиента")
        assert tn(*LOST[0], 11, lost=11, risk=2).startswith("11 потерянных клиентов")
        assert tn(*LOST[0], 21, lost=21, risk=2).startswith("21 потерянный клиент")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = "ru"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lost = int(analyze(app_db, DEMO_DATASET, AnalysisParams()).customers["lost"].sum())
    with language("ru"):
        expected = tn(*LOST[0], lost, lost=fmt.fmt_count(lost), risk="")
    summary = " ".join(m.value for m in at.markdown)
    assert expected.split(",")[0] in summary


@pytest.mark.parametrize("lang", ["en", "de", "ru", "fa"])
@given(fractions=st.lists(st.one_of(st.none(), st.floats(-2, 2), st.just(float("nan")),
                                    st.sampled_from([0.005, 0.125, 0.135, 0.5, 0.995, -0.005,
                                                     -0.125, -0.12, 0.12, -0.0, 0.0,
                                                     0.0049999, 1e-12])),
                          max_size=40),
       decimals=st.integers(0, 2))
@settings(max_examples=60, deadline=None)
def test_many_percent_and_count_texts_equal_one_by_one(lang, fractions, decimals) -> None:
    """The charts' formatting of many values at once equals formatting each value."""
    from kam_analysis import formatting

    with language(lang):
        assert formatting.percent_texts(fractions, decimals) == [
            formatting.fmt_percent(f, decimals) for f in fractions]
        counts = [None if f is None or f != f else round(f * 1000) for f in fractions]
        assert formatting.count_texts(counts) == [formatting.fmt_count(c) for c in counts]
