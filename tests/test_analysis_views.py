"""Migration, concentration trend, revenue x margin matrix, per-customer views."""

from __future__ import annotations

from datetime import date

import pytest

from kam_analysis import analysis
from kam_analysis.analysis import AnalysisParams
from kam_analysis.db import DatasetNotFoundError
from tests.analysis_fixtures import PORTFOLIO, d, store


@pytest.fixture
def mig_db(db):
    store(db, [
        ("L", d("2023-03-01"), 60),                                  # only in 2023 -> lost
        ("S", d("2023-05-01"), 40), ("S", d("2024-05-01"), 40),      # A -> A
        ("N", d("2024-07-01"), 10),                                  # only in 2024 -> new
        ("Z", d("2023-02-01"), 5), ("Z", d("2023-02-02"), -5),       # zero in 2023 -> C
        ("Z", d("2024-02-01"), 1),
        ("E", d("2024-12-31"), 1),
    ])
    return db


def test_migration_default_windows(mig_db) -> None:
    m = analysis.migration(mig_db, "t")
    assert m.first == (date(2023, 1, 1), date(2023, 12, 31))
    assert m.second == (date(2024, 1, 1), date(2024, 12, 31))
    cust = m.customers.set_index("customer_id")
    # First: L 60 (A), S 40 (cum_before 0.6 -> A), Z 0 (C). Second: S 40 (A), N 10 (0.7612 -> A),
    # Z 1, E 1: totals 52; N cum_before 40/52 = 0.769 -> A; E (50/52=0.96) C, Z (51/52) C.
    assert cust.loc["L", "from_class"] == "A" and cust.loc["L", "to_class"] == "lost"
    assert (cust.loc["S", "from_class"], cust.loc["S", "to_class"]) == ("A", "A")
    assert (cust.loc["N", "from_class"], cust.loc["N", "to_class"]) == ("new", "A")
    assert (cust.loc["Z", "from_class"], cust.loc["Z", "to_class"]) == ("C", "C")
    assert (cust.loc["E", "from_class"], cust.loc["E", "to_class"]) == ("new", "C")
    mat = m.matrix.set_index(["from_class", "to_class"])
    assert len(m.matrix) == 16
    assert mat.loc[("A", "lost"), "customers"] == 1
    assert mat.loc[("A", "lost"), "value_first"] == 60
    assert mat.loc[("new", "A"), "value_second"] == 10
    assert mat.loc[("A", "A"), "value_first"] == 40 and mat.loc[("A", "A"), "value_second"] == 40
    assert m.matrix["customers"].sum() == 5
    assert list(m.customers.columns) == ["customer_id", "customer_name", "from_class",
                                         "to_class", "value_first", "value_second"]


def test_migration_explicit_windows(mig_db) -> None:
    m = analysis.migration(mig_db, "t", first=(date(2023, 1, 1), date(2023, 6, 30)),
                           second=(date(2023, 7, 1), date(2023, 12, 31)))
    assert set(m.customers["to_class"]) == {"lost"}
    with pytest.raises(ValueError, match="same length"):
        analysis.migration(mig_db, "t", first=(date(2023, 1, 1), date(2023, 1, 31)),
                           second=(date(2023, 2, 1), date(2023, 3, 31)))
    with pytest.raises(ValueError):
        analysis.migration(mig_db, "t", first=(date(2023, 1, 1), date(2023, 6, 30)))


def test_concentration_trend(mig_db) -> None:
    tr = analysis.concentration_trend(mig_db, "t")
    assert list(tr.columns) == ["quarter", "label", "customers", "total", "hhi", "gini",
                                "cr1", "cr3", "cr5"]
    assert len(tr) == 8
    assert tr["label"].iloc[0] == "2023 Q1" and tr["quarter"].iloc[0] == date(2023, 1, 1)
    q1 = tr.iloc[0]  # L 60 (Z nets to 0): one customer
    assert q1["customers"] == 1 and q1["hhi"] == pytest.approx(10000)
    q2 = tr.iloc[1]  # S 40 only
    assert q2["total"] == 40
    q3 = tr.iloc[2]  # nothing
    assert q3["customers"] == 0 and q3["hhi"] == 0
    q5 = tr.iloc[4]  # 2024 Q1: Z 1
    assert q5["label"] == "2024 Q1" and q5["customers"] == 1


def test_revenue_margin_matrix(db) -> None:
    store(db, PORTFOLIO)
    mm = analysis.revenue_margin_matrix(
        analysis.analyze(db, "t", AnalysisParams(start=date(2024, 1, 1))))
    assert list(mm.columns) == ["revenue_abc", "margin_abc", "customers", "revenue", "margin"]
    assert len(mm) == 9
    cell = mm.set_index(["revenue_abc", "margin_abc"])
    # Margin ranking: B2 10, A1 5, C3 1.5, D4 1, E5 1 (total 18.5): B2, A1 A (cum_before 0,
    # .54); C3 (.81) B; D4 (.89) B; E5 (.946) B.
    assert cell.loc[("A", "A"), "customers"] == 2
    assert cell.loc[("A", "B"), "customers"] == 1  # C3
    assert cell.loc[("B", "B"), "customers"] == 1  # D4
    assert cell.loc[("C", "B"), "customers"] == 1  # E5
    assert cell.loc[("C", "C"), "customers"] == 2  # F6, G7
    assert mm["revenue"].sum() == pytest.approx(97)
    assert mm["margin"].sum() == pytest.approx(18.2)


def test_revenue_margin_matrix_counts_what_the_analysis_counts(db) -> None:
    # Measured on margin, the analysis ranks by margin; the matrix still classes both
    # sums and its cells add up to the analysis's customers and totals.
    store(db, PORTFOLIO)
    result = analysis.analyze(db, "t", AnalysisParams(start=date(2024, 1, 1), measure="margin"))
    mm = analysis.revenue_margin_matrix(result)
    c = result.customers
    assert mm["customers"].sum() == len(c) == 7
    assert mm["revenue"].sum() == pytest.approx(c["revenue"].sum())
    assert mm["margin"].sum() == pytest.approx(c["value"].sum())
    # The margin classes are the analysis's ABC classes on margin.
    by_margin = mm.groupby("margin_abc")["customers"].sum()
    assert by_margin.to_dict() == c["abc"].value_counts().reindex(
        ["A", "B", "C"], fill_value=0).to_dict()


def test_customer_periods_and_products(db) -> None:
    store(db, [("a", d("2024-01-05"), 10, 2, "N", "M", "Tools", "Drill", 1),
               ("a", d("2024-03-05"), 5, 1, "N", "M", "Tools", "Saw", 2),
               ("a", d("2024-03-06"), 5, 1, "N", "M", "Tools", "Saw", 2),
               ("b", d("2024-04-05"), 1, 0, "N", "M", "Tools", "Saw", 1)])
    p = analysis.customer_periods(db, "t", "a", AnalysisParams())
    assert list(p.columns) == ["period", "revenue", "margin", "quantity", "rows"]
    assert list(p["period"]) == [date(2024, m, 1) for m in (1, 2, 3, 4)]
    assert list(p["revenue"]) == [10, 0, 10, 0]
    assert list(p["rows"]) == [1, 0, 2, 0]
    assert list(p["quantity"]) == [1, 0, 4, 0]
    prods = analysis.customer_products(db, "t", "a")
    assert list(prods["product"]) == ["Drill", "Saw"] or list(prods["value"]) == [10, 10]
    saw = prods.set_index("product").loc["Saw"]
    assert saw["rows"] == 2 and saw["last_purchase"] == date(2024, 3, 6)
    assert analysis.customer_periods(db, "t", "nobody")["revenue"].sum() == 0


def test_customer_class_history(db) -> None:
    rows = [("a", d("2023-01-15"), 100), ("b", d("2023-01-15"), 50),
            ("b", d("2024-01-15"), 500), ("a", d("2024-06-15"), 1), ("e", d("2024-06-30"), 0)]
    store(db, rows)
    h = analysis.customer_class_history(db, "t", "a", AnalysisParams())
    assert list(h.columns) == ["quarter", "label", "abc", "share", "rank"]
    first = h.iloc[0]
    assert first["quarter"] == date(2023, 3, 31) and first["label"] == "2023 Q1"
    assert first["abc"] == "A" and first["rank"] == 1 and first["share"] == pytest.approx(2 / 3)
    # 2024 Q1: trailing 12 months (2023-04-01 .. 2024-03-31) hold only b -> a has no row.
    assert date(2024, 3, 31) not in set(h["quarter"])
    q2 = h.set_index("quarter").loc[date(2024, 6, 30)]
    assert q2["abc"] == "C" and q2["rank"] == 2  # 1 of 501, cum_before 500/501


def test_missing_dataset_everywhere(db) -> None:
    for call in (lambda: analysis.concentration_trend(db, "x"),
                 lambda: analysis.migration(db, "x"),
                 lambda: analysis.customer_periods(db, "x", "a"),
                 lambda: analysis.customer_class_history(db, "x", "a"),
                 lambda: analysis.customer_products(db, "x", "a"),
                 lambda: analysis.filter_values(db, "x")):
        with pytest.raises(DatasetNotFoundError):
            call()


def test_presets_and_recommendations() -> None:
    assert analysis.ABC_PRESETS["80/95"] == (0.8, 0.95)
    assert set(analysis.XYZ_PRESETS) == {"cov", "frequency"}
    assert any("yearly" in k for k in analysis.XYZ_PRESETS["cov"])
    assert sorted(analysis.RECOMMENDATIONS) == sorted(a + x for a in "ABC" for x in "XYZ")
    assert analysis.MANUAL_TAGS == ("image_maker", "expert", "partner", "innovator")
