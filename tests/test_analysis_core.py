"""Hand-computed checks of analyze(): ranking, ABC, key accounts, types, flags, figures."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from kam_analysis import analysis
from kam_analysis.analysis import (
    AnalysisParams,
    Filters,
    KeyRule,
    analyze,
    facts,
    set_tags,
)
from kam_analysis.analysis.concentration import concentration_figures
from kam_analysis.db import DatasetNotFoundError, datasets, queries
from kam_analysis.vocabulary import CUSTOMER_FLAGS
from tests.analysis_fixtures import PORTFOLIO, d, reopened_as_version, store

YEAR = AnalysisParams(start=date(2024, 1, 1), end=date(2024, 12, 31))


@pytest.fixture
def portfolio(db):
    store(db, PORTFOLIO)
    return db


def test_ranking_ties_shares_and_abc(portfolio) -> None:
    res = analyze(portfolio, "t", YEAR)
    c = res.customers
    assert list(c.columns) == list(analysis.CUSTOMER_COLUMNS)
    # B2 and C3 tie at 20: customer_id text order decides; non-positive last, by id.
    assert list(c["customer_id"]) == ["A1", "B2", "C3", "D4", "E5", "F6", "G7"]
    assert list(c["value"]) == [50, 20, 20, 5, 5, 0, -3]
    # Revenue and margin in the window, whatever the measure (F6's sale and return net).
    assert list(c["revenue"]) == [50, 20, 20, 5, 5, 0, -3]
    assert list(c["margin"]) == pytest.approx([5, 10, 1.5, 1, 1, 0, -0.3])
    assert list(c["rank"].astype(object).where(c["rank"].notna(), None)) == [
        1, 2, 3, 4, 5, None, None]
    assert str(c["rank"].dtype) == "Int64"
    np.testing.assert_allclose(c["share"], [0.5, 0.2, 0.2, 0.05, 0.05, 0.0, -0.03])
    np.testing.assert_allclose(c["cum_before"][:5], [0, 0.5, 0.7, 0.9, 0.95])
    np.testing.assert_allclose(c["cumulative_share"][:5], [0.5, 0.7, 0.9, 0.95, 1.0])
    assert c["cum_before"][5:].isna().all()
    # cum_before 0.9 < 0.95 -> B; cum_before exactly 0.95 -> C (crossing customer is higher).
    assert list(c["abc"]) == ["A", "A", "A", "B", "C", "C", "C"]
    assert res.abc_limits == (0.8, 0.95)
    assert res.computed_limits is None
    assert res.window == (date(2024, 1, 1), date(2024, 12, 31))


def test_key_accounts_default_rule(portfolio) -> None:
    c = analyze(portfolio, "t", YEAR).customers.set_index("customer_id")
    assert c.loc["A1", "key_reasons"] == "share, cumulative"
    assert c.loc["B2", "key_reasons"] == "share"
    assert c.loc["C3", "key_reasons"] == "share"
    assert list(c["key_account"]) == [True, True, True, False, False, False, False]
    assert c.loc["D4", "key_reasons"] == ""


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (KeyRule(min_share=None, cum_before=None, top_n=2), {"A1": "top_n", "B2": "top_n"}),
        (KeyRule(min_share=None, cum_before=None, class_a=True),
         {"A1": "class_a", "B2": "class_a", "C3": "class_a"}),
        # 20 * 365 / 366 = 19.945...: passes 19.94, fails 19.95.
        (KeyRule(min_share=None, cum_before=None, annual_value=19.94),
         {"A1": "annual_value", "B2": "annual_value", "C3": "annual_value"}),
        (KeyRule(min_share=None, cum_before=None, annual_value=19.95), {"A1": "annual_value"}),
        (KeyRule(min_share=0.25, cum_before=0.75),
         {"A1": "share, cumulative", "B2": "cumulative", "C3": "cumulative"}),
        (KeyRule(min_share=None, cum_before=None), {}),
    ],
)
def test_key_rule_options(portfolio, rule, expected) -> None:
    c = analyze(portfolio, "t", AnalysisParams(start=date(2024, 1, 1), end=date(2024, 12, 31),
                                               key_rule=rule)).customers
    got = {r.customer_id: r.key_reasons for r in c.itertuples() if r.key_account}
    assert got == expected


def test_account_types_and_manual_tags(portfolio) -> None:
    set_tags(portfolio, "E5", ["innovator", "partner"])
    set_tags(portfolio, "ZZ", ["expert"])  # a customer not in this dataset is harmless
    c = analyze(portfolio, "t", YEAR).customers.set_index("customer_id")
    # Margin total over customers with positive margin: 5 + 10 + 1.5 + 1 + 1 = 18.5;
    # breadwinner needs >= 1.85: A1 (5) and B2 (10), not C3 (1.5).
    assert c.loc["A1", "account_types"] == "breadwinner"
    assert c.loc["B2", "account_types"] == "breadwinner"
    assert c.loc["C3", "account_types"] == ""
    # D4: first purchase 2024-11-01, within the last 180 days, class B.
    assert c.loc["D4", "account_types"] == "perspective"
    assert c.loc["E5", "account_types"] == "partner, innovator"
    # Tags survive a re-import of the dataset.
    store(portfolio, PORTFOLIO)
    c = analyze(portfolio, "t", YEAR).customers.set_index("customer_id")
    assert c.loc["E5", "account_types"] == "partner, innovator"
    with pytest.raises(ValueError, match="Unknown account type"):
        set_tags(portfolio, "E5", ["vip"])
    set_tags(portfolio, "E5", [])
    assert "E5" not in analysis.get_tags(portfolio)


def test_breadwinner_uses_revenue_without_margin(db) -> None:
    store(db, [(cid, d, v) for cid, d, v, *_ in PORTFOLIO])
    res = analyze(db, "t", YEAR)
    assert not res.has_margin
    c = res.customers.set_index("customer_id")
    # Revenue shares: A1 .5, B2 .2, C3 .2 are >= 10 %.
    assert [cid for cid in c.index if "breadwinner" in c.loc[cid, "account_types"]] == [
        "A1", "B2", "C3"]
    assert analysis.revenue_margin_matrix(res) is None
    with pytest.raises(ValueError, match="no margin"):
        analyze(db, "t", AnalysisParams(measure="margin"))


def test_flags_recency_and_history(portfolio) -> None:
    c = analyze(portfolio, "t", YEAR).customers.set_index("customer_id")
    end = date(2024, 12, 31)
    assert c.loc["A1", "days_since_last"] == (end - date(2024, 6, 10)).days == 204
    assert c.loc["A1", "median_gap"] == (date(2024, 6, 10) - date(2024, 1, 10)).days == 152
    assert np.isnan(c.loc["B2", "median_gap"])
    assert c.loc["F6", "median_gap"] == 19
    # A1: 204 days, but 3 x 152 = 456 > 204 -> not lost; all value in the first half -> at risk.
    assert c.loc["A1", "value_prev_6m"] == 50 and c.loc["A1", "value_last_6m"] == 0
    assert c.loc["A1", "flags"] == "at_risk"
    assert c.loc["B2", "flags"] == "lost"
    assert c.loc["C3", "flags"] == "lost"
    assert c.loc["D4", "flags"] == "short_history"
    assert c.loc["E5", "flags"] == "lost"
    assert c.loc["F6", "flags"] == "non_positive, lost"
    assert c.loc["G7", "flags"] == "non_positive, short_history"
    assert c.loc["D4", "periods"] == 2 and c.loc["D4", "xyz"] == "Z"
    assert c.loc["A1", "periods"] == 12 and c.loc["A1", "active_periods"] == 2
    assert c.loc["A1", "first_purchase"] == date(2024, 1, 10)
    assert c.loc["A1", "last_purchase"] == date(2024, 6, 10)
    # Main region: tie between North and South (1 row each) -> alphabetical.
    assert c.loc["A1", "region"] == "North"
    assert c.loc["B2", "manager"] == "Bob"


def test_flag_columns_by_hand(portfolio) -> None:
    """One boolean column per customer flag, the same customers as the text flags above."""
    c = analyze(portfolio, "t", YEAR).customers.set_index("customer_id")
    expected = {  # non_positive, short_history, lost, at_risk
        "A1": (False, False, False, True),
        "B2": (False, False, True, False),
        "C3": (False, False, True, False),
        "D4": (False, True, False, False),
        "E5": (False, False, True, False),
        "F6": (True, False, True, False),
        "G7": (True, True, False, False),
    }
    flags = ["non_positive", "short_history", "lost", "at_risk"]
    assert list(CUSTOMER_FLAGS) == [*flags, "over_capacity"]  # over_capacity: issue 12
    for col in flags:
        assert c[col].dtype == bool
    got = {cid: tuple(bool(v) for v in row) for cid, row in c[flags].iterrows()}
    assert got == expected
    assert list(c.index[c["lost"] | c["at_risk"]]) == ["A1", "B2", "C3", "E5", "F6"]


@pytest.mark.parametrize("params", [
    AnalysisParams(),
    AnalysisParams(period="week", lost_after_days=30, lost_gap_factor=0.0),
    AnalysisParams(period="quarter", measure="margin", lost_after_days=365),
])
def test_flag_columns_equal_the_text_flags(demo_db, params) -> None:
    from kam_analysis.demo import DEMO_DATASET

    c = analyze(demo_db, DEMO_DATASET, params).customers
    codes = c["flags"].fillna("").map(lambda text: set(text.split(", ")) - {""})
    for code in CUSTOMER_FLAGS:
        assert c[code].dtype == bool
        assert c[code].tolist() == [code in s for s in codes]
    assert c["lost"].any() and c["short_history"].any()


def test_matrix_pareto_lorenz_concentration(portfolio) -> None:
    res = analyze(portfolio, "t", YEAR)
    m = res.matrix.set_index("abc_xyz")
    assert list(res.matrix.columns) == ["abc", "xyz", "abc_xyz", "customers", "value", "share"]
    assert list(m.index) == ["AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"]
    assert m.loc["AZ", "customers"] == 3 and m.loc["AZ", "value"] == 90
    assert m.loc["BZ", "customers"] == 1 and m.loc["BZ", "share"] == pytest.approx(0.05)
    assert m.loc["CZ", "customers"] == 3 and m.loc["CZ", "value"] == 2
    assert m["customers"].sum() == 7

    p = res.pareto
    assert list(p.columns) == ["k", "x", "y"]
    np.testing.assert_allclose(p["x"], [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(p["y"], [0, 0.5, 0.7, 0.9, 0.95, 1.0])
    np.testing.assert_allclose(res.lorenz["y"], [0, 0.05, 0.1, 0.3, 0.5, 1.0])
    np.testing.assert_allclose(res.lorenz["x"], [0, 0.2, 0.4, 0.6, 0.8, 1.0])

    k = res.concentration
    assert k.customers == 5 and k.total == 100
    assert k.hhi == pytest.approx(2500 + 400 + 400 + 25 + 25)
    assert k.hhi_band == "highly concentrated"
    # Ascending 5, 5, 20, 20, 50: (-4*5 - 2*5 + 0 + 2*20 + 4*50) / (5 * 100) = 0.42
    assert k.gini == pytest.approx(0.42)
    assert (k.cr1, k.cr3, k.cr5, k.cr10) == pytest.approx((0.5, 0.9, 1.0, 1.0))
    assert (k.n50, k.n80) == (1, 3)
    assert k.top20_share == pytest.approx(0.5)
    assert k.customers_for_80 == pytest.approx(0.6) and k.customers_for_80_k == 3
    assert k.key_share == pytest.approx(0.9) and k.key_share_band == "above"
    assert (k.top_customer_id, k.top_customer_name) == ("A1", "Name A1")
    assert k.top_share == pytest.approx(0.5)
    assert k.flags == ("major_customer", "critical_dependency")
    assert k.revenue_at_risk == {1: 50, 3: 90, 5: 100}
    as_dict = k.to_dict()
    assert as_dict["revenue_at_risk"] == {"1": 50.0, "3": 90.0, "5": 100.0}
    assert as_dict["flags"] == ["major_customer", "critical_dependency"]


def test_concentration_four_customers_by_hand(db) -> None:
    # 40, 30, 20, 10: HHI 1600+900+400+100 = 3000; Gini (ascending 10,20,30,40):
    # (-3*10 - 1*20 + 1*30 + 3*40) / (4*100) = 100/400 = 0.25.
    store(db, [("a", d("2024-01-05"), 40), ("b", d("2024-01-05"), 30),
               ("c", d("2024-01-05"), 20), ("e", d("2024-01-05"), 10)])
    k = analyze(db, "t").concentration
    assert k.hhi == pytest.approx(3000)
    assert k.gini == pytest.approx(0.25)
    assert (k.cr1, k.cr3) == pytest.approx((0.4, 0.9))
    assert (k.n50, k.n80) == (2, 3)
    assert k.top20_share == pytest.approx(0.4)  # ceil(0.2 * 4) = 1
    # Key: share >= 10 % -> all four; key share 100 %.
    assert k.key_share == pytest.approx(1.0) and k.key_share_band == "above"
    assert k.flags == ("major_customer", "critical_dependency")


def test_hhi_bands_at_boundaries() -> None:
    ten = np.full(10, 1.0)  # HHI 1000 -> unconcentrated (<= 1000)
    assert concentration_figures(ten)["hhi_band"] == "unconcentrated"
    assert concentration_figures(ten)["hhi"] == pytest.approx(1000)
    # 1800 exactly is still moderately concentrated: shares 0.3, 0.3, 0.2, 0.1, 0.1 -> 2400
    v = np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    assert concentration_figures(v)["hhi_band"] == "highly concentrated"
    v = np.array([3.0, 2.0, 2.0, 1.0, 1.0, 1.0])  # 900+400+400+100*3 = 2000
    assert concentration_figures(v)["hhi"] == pytest.approx(2000)
    v = np.full(6, 1.0)  # 6 x (100/6)^2 = 1666.7 -> moderately
    assert concentration_figures(v)["hhi_band"] == "moderately concentrated"


def test_one_dominant_customer(db) -> None:
    store(db, [("big", d("2024-01-05"), 900), ("s1", d("2024-01-05"), 50),
               ("s2", d("2024-01-05"), 30), ("s3", d("2024-01-05"), 20)])
    res = analyze(db, "t")
    assert list(res.customers["abc"]) == ["A", "B", "C", "C"]
    # big: cum_before 0 -> A although it alone crosses both limits; s1: 0.9 -> B; s2: 0.95 -> C.
    k = res.concentration
    assert k.flags == ("major_customer", "critical_dependency", "mono_client")
    assert k.hhi == pytest.approx(8100 + 25 + 9 + 4)


def test_single_customer(db) -> None:
    store(db, [("only", d("2024-03-05"), 10), ("only", d("2024-04-05"), 10)])
    res = analyze(db, "t")
    c = res.customers
    assert list(c["abc"]) == ["A"] and c["share"][0] == 1.0
    k = res.concentration
    assert k.hhi == pytest.approx(10000) and k.gini == 0.0 and k.customers == 1
    assert (k.n50, k.n80, k.cr10) == (1, 1, 1.0)
    assert k.top20_share == 1.0
    assert list(res.pareto["y"]) == [0.0, 1.0]
    # Two periods of history only -> Z, short_history.
    assert c["xyz"][0] == "Z" and "short_history" in c["flags"][0]


def test_all_negative_customers(db) -> None:
    store(db, [("n1", d("2024-01-05"), -10), ("n2", d("2024-02-05"), -5),
               ("n1", d("2024-03-05"), -1)])
    res = analyze(db, "t")
    c = res.customers
    assert list(c["customer_id"]) == ["n1", "n2"]
    assert c["rank"].isna().all() and list(c["abc"]) == ["C", "C"]
    assert all("non_positive" in f for f in c["flags"])
    assert not c["key_account"].any()
    k = res.concentration
    assert (k.customers, k.total, k.hhi, k.gini, k.n80) == (0, 0.0, 0.0, 0.0, 0)
    assert k.top_customer_id is None and k.flags == ()
    assert list(res.pareto["k"]) == [0]
    assert res.matrix["customers"].sum() == 2


def test_returns_netting_to_zero(db) -> None:
    store(db, [("a", d("2024-01-05"), 100), ("z", d("2024-01-05"), 40),
               ("z", d("2024-02-05"), -40)])
    c = analyze(db, "t").customers.set_index("customer_id")
    assert c.loc["z", "value"] == 0
    assert pd.isna(c.loc["z", "rank"]) and c.loc["z", "abc"] == "C"
    assert "non_positive" in c.loc["z", "flags"]
    assert c.loc["z", "share"] == 0


def test_filters_and_history_start(portfolio) -> None:
    res = analyze(portfolio, "t", AnalysisParams(start=date(2024, 1, 1), end=date(2024, 12, 31),
                                                 filters=Filters(regions=("North",))))
    c = res.customers
    assert list(c["customer_id"]) == ["A1"]
    assert c["value"][0] == 20
    # With a filter, the customer's history starts at its first purchase in the filtered scope.
    assert c["first_purchase"][0] == date(2024, 6, 10)
    assert c["periods"][0] == 7
    res = analyze(portfolio, "t", AnalysisParams(filters=Filters(managers=("Bob",))))
    assert list(res.customers["customer_id"]) == ["B2", "C3"]


def test_product_and_category_filters(db) -> None:
    store(db, [("a", d("2024-01-05"), 100, 10, "N", "M", "Tools", "Drill"),
               ("a", d("2024-01-05"), 50, 5, "N", "M", "Tools", "Saw"),
               ("b", d("2024-01-06"), 70, 7, "N", "M", "Glue", "Epoxy")])
    r = analyze(db, "t", AnalysisParams(filters=Filters(products=("Saw", "Epoxy"))))
    assert dict(zip(r.customers["customer_id"], r.customers["value"], strict=True)) == {
        "b": 70, "a": 50}
    r = analyze(db, "t", AnalysisParams(filters=Filters(categories=("Tools",))))
    assert list(r.customers["value"]) == [150]
    assert analysis.filter_values(db, "t") == {
        "region": ["N"], "manager": ["M"], "category": ["Glue", "Tools"],
        "product": ["Drill", "Epoxy", "Saw"]}
    prods = analysis.customer_products(db, "t", "a")
    assert list(prods["product"]) == ["Drill", "Saw"]
    assert list(prods["value"]) == [100, 50]
    assert list(prods.columns) == ["category", "product", "value", "quantity", "rows",
                                   "last_purchase"]


def test_customers_outside_window_are_not_listed(db) -> None:
    store(db, [("old", d("2023-01-05"), 100), ("new", d("2024-06-05"), 10)])
    r = analyze(db, "t", AnalysisParams(start=date(2024, 1, 1)))
    assert list(r.customers["customer_id"]) == ["new"]


def test_lost_uses_gap_factor(db) -> None:
    end = date(2024, 12, 31)
    last = end - timedelta(days=250)
    slow = [("slow", last - timedelta(days=k), 10) for k in (300, 200, 100, 0)]
    fast = [("fast", end - timedelta(days=200 + 30 * k), 10) for k in range(4)]
    store(db, [*slow, *fast, ("x", end, 1)])
    params = AnalysisParams(end=end)
    c = analyze(db, "t", params).customers.set_index("customer_id")
    # slow: 250 days > 180 but 3 x median gap 100 = 300 -> not lost.
    assert c.loc["slow", "median_gap"] == 100
    assert "lost" not in c.loc["slow", "flags"]
    assert "lost" in c.loc["fast", "flags"]  # 200 days > max(180, 90)
    c = analyze(db, "t", AnalysisParams(end=end, lost_gap_factor=2.0)).customers
    assert "lost" in c.set_index("customer_id").loc["slow", "flags"]
    c = analyze(db, "t", AnalysisParams(end=end, lost_after_days=365)).customers
    assert "lost" not in c.set_index("customer_id").loc["fast", "flags"]


@pytest.mark.parametrize(("last6", "at_risk"), [(70, True), (71, False), (0, True), (150, False)])
def test_at_risk_threshold(db, last6, at_risk) -> None:
    # Window end 2024-12-31: last 6 months (2024-06-30, 2024-12-31], before (2023-12-31, ..].
    rows = [("c", d("2024-03-15"), 100), ("c", d("2024-12-15"), 1)]
    if last6 > 1:
        rows.append(("c", d("2024-09-15"), last6 - 1))
    else:
        rows[1] = ("c", d("2024-12-15"), 0.0)
    store(db, rows)
    c = analyze(db, "t", AnalysisParams(end=date(2024, 12, 31))).customers
    assert c["value_prev_6m"][0] == 100
    assert ("at_risk" in c["flags"][0]) is at_risk


def test_bad_parameters(portfolio) -> None:
    for bad in (AnalysisParams(measure="profit"), AnalysisParams(period="day"),
                AnalysisParams(abc_method="magic"), AnalysisParams(abc_limits=(0.9, 0.8)),
                AnalysisParams(xyz_metric="sd"), AnalysisParams(xyz_limits=(1.0, 0.5)),
                AnalysisParams(xyz_metric="frequency", xyz_limits=(0.4, 0.75)),
                AnalysisParams(start=date(2025, 1, 1), end=date(2024, 1, 1)),
                AnalysisParams(key_rule=KeyRule(top_n=0)),
                AnalysisParams(measure="quantity")):
        with pytest.raises(ValueError):
            analyze(portfolio, "t", bad)
    with pytest.raises(DatasetNotFoundError):
        analyze(portfolio, "missing")


def test_precomputed_path_equals_general_path(demo_db, monkeypatch) -> None:
    from kam_analysis.demo import DEMO_DATASET

    for params in (AnalysisParams(), AnalysisParams(period="quarter", measure="margin"),
                   AnalysisParams(xyz_metric="frequency", period="week"),
                   AnalysisParams(measure="quantity", period="week")):
        fast = analyze(demo_db, DEMO_DATASET, params).customers
        with monkeypatch.context() as m:
            m.setattr(facts, "_use_precomputed", lambda *a: False)
            slow = analyze(demo_db, DEMO_DATASET, params).customers
        pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-9)
        with monkeypatch.context() as m:
            m.setattr(queries, "has_analysis_aggregates", lambda *a: False)
            slowest = analyze(demo_db, DEMO_DATASET, params).customers
        pd.testing.assert_frame_equal(fast, slowest, check_exact=False, rtol=1e-9)


def test_precomputed_gaps_with_a_later_start(demo_db, monkeypatch) -> None:
    from kam_analysis.demo import DEMO_DATASET

    params = AnalysisParams(start=date(2025, 6, 1))
    with_facts = analyze(demo_db, DEMO_DATASET, params).customers
    with monkeypatch.context() as m:
        m.setattr(queries, "has_analysis_aggregates", lambda *a: False)
        without = analyze(demo_db, DEMO_DATASET, params).customers
    pd.testing.assert_frame_equal(with_facts, without, check_exact=False, rtol=1e-9)


def test_abc_sensitivity(portfolio) -> None:
    res = analyze(portfolio, "t", YEAR)
    s = analysis.abc_sensitivity(res, 0.05)
    # A limit 0.75: C3 (cum_before 0.7) stays A; 0.85: D4 (0.9) stays B. Move 0.15 instead.
    assert s.empty
    s = analysis.abc_sensitivity(res, 0.15)
    # Lower 0.65: C3 (0.7) -> B. Higher 0.95: D4 (0.9) -> A.
    assert dict(zip(s["customer_id"], zip(s["abc_if_lower"], s["abc_if_higher"], strict=True),
                    strict=True)) == {"C3": ("B", "A"), "D4": ("B", "A")}
    assert list(s.columns) == ["customer_id", "customer_name", "abc", "abc_if_lower",
                               "abc_if_higher", "share", "cumulative_share"]
    with pytest.raises(ValueError):
        analysis.abc_sensitivity(res, 0)


def test_dataset_without_precomputed_facts_falls_back(db) -> None:
    """A dataset imported before schema version 2 has no customer_facts rows."""
    info = store(db, PORTFOLIO)
    before = analyze(db, "t").customers
    with db.write() as cur:
        cur.execute("DELETE FROM customer_facts WHERE dataset_id = ?", [info.dataset_id])
    with db.read() as cur:
        assert not queries.has_analysis_aggregates(cur, info.dataset_id)
    after = analyze(db, "t").customers
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9)


# The customer-by-day table of schema versions 1 and 2 (dropped in version 6).
_V1_SALES_DAILY_SQL = """CREATE TABLE sales_daily AS
    SELECT dataset_id, customer_id, order_date, region, manager, category,
           sum(revenue) AS revenue, sum(margin) AS margin, sum(quantity) AS quantity,
           count(*) AS row_count
    FROM transactions GROUP BY ALL"""


def test_version_1_database_is_migrated(tmp_path) -> None:
    from kam_analysis.db import open_database

    path = tmp_path / "old.duckdb"
    db = open_database(path)
    store(db, PORTFOLIO)
    with db.write() as cur:
        cur.execute("DROP TABLE customer_facts")
        cur.execute("DROP TABLE sales_monthly")
        cur.execute(_V1_SALES_DAILY_SQL)
    db = reopened_as_version(db, path, 1)
    try:
        res = analyze(db, "t", YEAR)  # no facts for the old dataset: computed on the fly
        assert list(res.customers["customer_id"])[:3] == ["A1", "B2", "C3"]
        store(db, PORTFOLIO)  # a re-import builds the facts
        with db.read() as cur:
            info = datasets.dataset_in(cur, "t")
            assert queries.has_analysis_aggregates(cur, info.dataset_id)
    finally:
        db.close()


def test_version_2_sales_daily_with_category_is_migrated(tmp_path) -> None:
    from kam_analysis.db import open_database

    path = tmp_path / "v2.duckdb"
    db = open_database(path)
    store(db, [("a", d("2024-01-05"), 100, 10, "N", "M", "Tools", "Drill"),
               ("a", d("2024-01-05"), 50, 5, "N", "M", "Glue", "Epoxy"),
               ("b", d("2024-01-06"), 70, 7, "S", "M", "Glue", "Epoxy")])
    with db.write() as cur:  # a version-2 table: one row per category
        cur.execute(_V1_SALES_DAILY_SQL)
        cur.execute("ALTER TABLE transactions DROP COLUMN row_count")
        cur.execute("DROP TABLE sales_monthly")
        cur.execute("DELETE FROM customer_facts")
    db = reopened_as_version(db, path, 2)
    try:
        with db.read() as cur:
            tables = {r[0] for r in cur.execute("SHOW TABLES").fetchall()}
            months = cur.execute("SELECT customer_id, sum(revenue), sum(row_count) "
                                 "FROM sales_monthly GROUP BY ALL ORDER BY 1").fetchall()
        assert "sales_daily" not in tables  # version 6: the days are the transactions
        assert months == [("a", 150, 2), ("b", 70, 1)]  # version 5, from the finer rows
        r = analyze(db, "t", YEAR)
        assert dict(zip(r.customers["customer_id"], r.customers["value"], strict=True)) == {
            "a": 150, "b": 70}
        r = analyze(db, "t", AnalysisParams(filters=Filters(categories=("Glue",))))
        assert dict(zip(r.customers["customer_id"], r.customers["value"], strict=True)) == {
            "b": 70, "a": 50}
    finally:
        db.close()


def test_empty_selection(portfolio) -> None:
    for params in (AnalysisParams(filters=Filters(regions=("Nowhere",))),
                   AnalysisParams(start=date(2030, 1, 1), end=date(2030, 12, 31))):
        res = analyze(portfolio, "t", params)
        assert len(res.customers) == 0
        assert list(res.customers.columns) == list(analysis.CUSTOMER_COLUMNS)
        assert res.concentration.customers == 0 and res.matrix["customers"].sum() == 0
        assert list(res.pareto["y"]) == [0.0]
        assert analysis.abc_sensitivity(res).empty
    trend = analysis.concentration_trend(portfolio, "t", AnalysisParams(
        filters=Filters(regions=("Nowhere",))))
    assert (trend["customers"] == 0).all()


def test_id_order_is_duckdb_text_order(db) -> None:
    """The on-the-fly figures number the customers in DuckDB's text order of their ids
    (ties in value are ranked by it), for any script and case."""
    ids = ["b", "B", "Ä", "a", "я", "Я", "10", "9", "ß", "ｚ", "é", "e\u0301", "Z"]
    info = store(db, [(c, d("2024-03-05"), 100.0) for c in ids])
    with db.read() as cur:
        table = queries.analysis_customer_stats(cur, info.dataset_id, "revenue",
                                                d("2024-03-01"), d("2024-03-31"), "month")
        expected = [r[0] for r in cur.execute(
            "SELECT customer_id FROM customers WHERE dataset_id = ? ORDER BY customer_id",
            [info.dataset_id]).fetchall()]
    got = dict(zip(table.column("customer_id").to_pylist(),
                   table.column("id_order").to_pylist(), strict=True))
    assert sorted(got, key=got.get) == expected
    assert sorted(got.values()) == list(range(1, len(ids) + 1))
    ranked = analyze(db, "t", AnalysisParams(start=d("2024-03-01"), end=d("2024-03-31")))
    assert list(ranked.customers["customer_id"]) == expected  # equal values: id order


# Regions and managers over time (customer, date, revenue, margin, region, manager):
# S1 one pair all along; R2 moves North -> South (two rows in the South); N3 has no
# region at first, then East; M4 keeps its region, its manager changes; W5 never names
# a region (a missing region is a value of its own: still one pair).
MOVERS = [
    ("S1", d("2024-02-01"), 10, 1, "West", "Ann"), ("S1", d("2025-03-01"), 10, 1, "West", "Ann"),
    ("R2", d("2024-02-01"), 10, 1, "North", "Bob"), ("R2", d("2024-05-01"), 10, 1, "North", "Bob"),
    ("R2", d("2024-08-01"), 10, 1, "North", "Bob"), ("R2", d("2025-02-01"), 10, 1, "South", "Bob"),
    ("R2", d("2025-06-01"), 10, 1, "South", "Bob"),
    ("N3", d("2024-03-01"), 10, 1, None, "Cid"), ("N3", d("2024-04-01"), 10, 1, None, "Cid"),
    ("N3", d("2025-04-01"), 10, 1, "East", "Cid"),
    ("M4", d("2024-03-01"), 10, 1, "West", "Ann"), ("M4", d("2025-01-10"), 10, 1, "West", "Dan"),
    ("M4", d("2025-05-01"), 10, 1, "West", "Dan"),
    ("W5", d("2024-06-01"), 10, 1, None, "Eve"), ("W5", d("2025-06-30"), 10, 1, None, "Eve"),
]


@pytest.mark.parametrize(("start", "modes"), [
    # The whole data: R2 has three rows in the North, N3 one East row beside two without.
    (None, {"S1": ("West", "Ann"), "R2": ("North", "Bob"), "N3": ("East", "Cid"),
            "M4": ("West", "Dan"), "W5": (None, "Eve")}),
    # From 2025: R2 only in the South, N3 only East, M4 only with Dan.
    (d("2025-01-01"), {"S1": ("West", "Ann"), "R2": ("South", "Bob"), "N3": ("East", "Cid"),
                       "M4": ("West", "Dan"), "W5": (None, "Eve")}),
])
def test_window_modes_with_stored_pairs_equal_counted_modes(db, monkeypatch, start,
                                                            modes) -> None:
    """The main region and manager of a window: taken from the facts for customers with
    one region-manager pair all along (S1, W5), counted in the window for the others;
    the same as counting every customer's rows."""
    store(db, MOVERS)
    with db.read() as cur:
        info = datasets.dataset_in(cur, "t")
        pairs = dict(cur.execute("SELECT customer_id, one_region_manager FROM customer_facts "
                                 "WHERE dataset_id = ?", [info.dataset_id]).fetchall())
    assert pairs == {"S1": True, "R2": False, "N3": False, "M4": False, "W5": True}
    params = AnalysisParams(start=start or info.first_date, end=info.last_date)
    stored = analyze(db, "t", params).customers.set_index("customer_id")
    got = {c: (None if pd.isna(r) else r, m)
           for c, r, m in zip(stored.index, stored["region"], stored["manager"], strict=True)}
    assert got == modes
    with monkeypatch.context() as m:  # no facts: every mode counted from the rows
        m.setattr(queries, "has_analysis_aggregates", lambda *a: False)
        counted = analyze(db, "t", params).customers.set_index("customer_id")
    pd.testing.assert_frame_equal(stored, counted, check_exact=False, rtol=1e-9)


def test_version_6_database_gets_the_region_manager_pairs(tmp_path) -> None:
    from kam_analysis.db import open_database

    path = tmp_path / "v6.duckdb"
    db = open_database(path)
    store(db, MOVERS)
    with db.write() as cur:  # as a version-6 file: no pair column
        cur.execute("ALTER TABLE customer_facts DROP COLUMN one_region_manager")
    db = reopened_as_version(db, path, 6)
    try:
        with db.read() as cur:
            assert dict(cur.execute("SELECT customer_id, one_region_manager FROM "
                                    "customer_facts").fetchall()) == {
                "S1": True, "R2": False, "N3": False, "M4": False, "W5": True}
    finally:
        db.close()
