"""Headline changes, movers, customer flow per period and the migration's coverage,
computed by hand (docs/definitions.md, "Comparisons" and "Class migration")."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_analysis.analysis import (
    AnalysisParams,
    compare,
    customer_flow,
    headline_changes,
    migration,
    movers,
)
from kam_analysis.analysis.comparison import Comparison
from tests.analysis_fixtures import d, store

# Window 2025-01-01 .. 2025-06-30: previous = 2024-07 .. 2024-12, a year earlier =
# 2024-01 .. 2024-06 (the data starts in its first month: both covered).
ROWS = [
    ("A", d("2024-01-15"), 40),
    ("A", d("2024-08-01"), 50),
    ("A", d("2025-03-01"), 60),
    ("B", d("2024-09-15"), 10),
    ("C", d("2025-05-05"), 25),
    ("D", d("2024-03-03"), 5),
    ("E", d("2025-06-01"), 1),
]
WINDOW = AnalysisParams(start=d("2025-01-01"), end=d("2025-06-30"))


def test_headline_changes_by_hand(db) -> None:
    store(db, ROWS)
    table = headline_changes(db, "t", WINDOW)
    assert list(table.index) == ["net_total", "customers", "key_accounts", "key_share"]
    assert table.loc["net_total", "value"] == 86
    assert table.loc["net_total", "value_previous"] == 60
    assert table.loc["net_total", "change_previous"] == pytest.approx(86 / 60 - 1)
    assert table.loc["net_total", "change_year"] == pytest.approx(86 / 45 - 1)
    assert table.loc["customers", "value"] == 3  # A, C, E
    assert table.loc["customers", "change_previous"] == pytest.approx(0.5)  # A, B before
    # Key accounts: A (70 %) and C (29 %); E (1.2 %) is after the first half.
    assert table.loc["key_accounts", "value"] == 2
    assert table.loc["key_accounts", "change_previous"] == pytest.approx(0.0)
    # The share's change is a difference: 85/86 now against 100 % before.
    assert table.loc["key_share", "value"] == pytest.approx(85 / 86)
    assert table.loc["key_share", "change_previous"] == pytest.approx(85 / 86 - 1.0)


def test_headline_changes_not_covered(db) -> None:
    # The data starts in July 2024: the previous period is covered, a year earlier not.
    store(db, [r for r in ROWS if r[1] >= d("2024-07-01")] + [("F", d("2024-07-05"), 0)])
    table = headline_changes(db, "t", WINDOW)
    assert table.loc["net_total", "value_previous"] == 60
    assert table["value_year"].isna().all() and table["change_year"].isna().all()


def test_movers_by_hand(db) -> None:
    store(db, ROWS)
    result = compare(db, "t", WINDOW)
    rose, fell = movers(result, "previous", n=2, names={"C": "Cee"})
    assert list(rose["customer_id"]) == ["C", "A"]  # +25, +10 (E +1 is third)
    assert list(rose["customer_name"]) == ["Cee", "A"]
    assert list(rose["difference"]) == [25, 10]
    assert list(fell["customer_id"]) == ["B"]  # -10; D did not change (0 and 0)
    assert fell.loc[0, "change"] == pytest.approx(-1.0)
    rose, fell = movers(result, "year")
    assert list(rose["customer_id"]) == ["C", "A", "E"]  # +25, +20, +1
    assert list(fell["customer_id"]) == ["D"]
    assert math.isnan(rose.loc[0, "change"])  # C had nothing a year earlier
    with pytest.raises(ValueError):
        movers(result, "decade")


def test_movers_empty_when_not_covered(db) -> None:
    store(db, [r for r in ROWS if r[1] >= d("2024-07-01")])
    rose, fell = movers(compare(db, "t", WINDOW), "year")
    assert rose.empty and fell.empty


FLOW_ROWS = [
    ("A", d("2025-01-10"), 10), ("A", d("2025-02-10"), 10), ("A", d("2025-03-10"), 10),
    ("A", d("2025-05-10"), 10),
    ("B", d("2025-03-05"), 10), ("B", d("2025-04-05"), 10),
    ("C", d("2025-01-20"), 10),
    ("D", d("2025-01-25"), 10), ("D", d("2025-03-25"), -5),  # a return counts as active
    ("E", d("2025-05-30"), 10),
]


def test_customer_flow_by_hand(db) -> None:
    store(db, FLOW_ROWS)
    flow = customer_flow(db, "t", AnalysisParams(start=d("2025-02-01"), end=d("2025-05-31")))
    assert [p.isoformat() for p in flow["period"]] == [
        "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"]
    assert flow[["active", "new", "returning", "recovered", "stopped"]].values.tolist() == [
        [1, 0, 1, 0, 2],  # Feb: A returning; C and D stopped (January was history)
        [3, 1, 1, 1, 0],  # Mar: B new, A returning, D recovered
        [1, 0, 1, 0, 2],  # Apr: B returning; A and D stopped
        [2, 1, 0, 1, 1],  # May: E new, A recovered; B stopped
    ]
    # active = new + returning + recovered; the period before = returning + stopped
    assert (flow["active"] == flow["new"] + flow["returning"] + flow["recovered"]).all()
    assert list(flow["returning"] + flow["stopped"])[1:] == list(flow["active"])[:-1]
    quarters = customer_flow(db, "t", AnalysisParams(), period="quarter")
    assert quarters[["active", "new", "returning"]].values.tolist() == [[4, 4, 0], [3, 1, 2]]
    with pytest.raises(ValueError):
        customer_flow(db, "t", AnalysisParams(), period="week")


def test_migration_says_when_the_first_window_is_not_covered(db) -> None:
    store(db, [("A", d("2024-03-01"), 10), ("A", d("2025-12-31"), 10)])
    moves = migration(db, "t")
    assert moves.first == (d("2024-01-01"), d("2024-12-31"))
    assert not moves.first_covered and moves.data_start == d("2024-03-01")
    # Data from the first working day of the first window's first month covers it.
    store(db, [("A", d("2024-01-03"), 10), ("A", d("2025-12-31"), 10)])
    assert migration(db, "t").first_covered


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([-3.0, -1.0, 0.0, 1.0, 2.0, 5.0]),
                          st.sampled_from([0.0, 1.0, 2.0, float("nan")])),
                min_size=0, max_size=40),
       st.integers(0, 12))
def test_movers_equal_the_full_sort(pairs, n) -> None:
    # Many ties: the partial sort keeps every row that can make the list, so the lists
    # are those of sorting every customer by difference, then id.
    ids = [f"c{i:02d}" for i in range(len(pairs))]
    customers = pd.DataFrame({
        "customer_id": ids, "value": [v for v, _ in pairs],
        "value_previous": [b for _, b in pairs], "change_previous": 0.0,
        "value_year": np.nan, "change_year": np.nan})
    window = (d("2025-01-01"), d("2025-12-31"))
    found = Comparison(window, window, window, True, True, customers, pd.DataFrame())
    rose, fell = movers(found, "previous", n)
    diff = customers["value"] - customers["value_previous"]
    full = customers.assign(difference=diff)
    expected_rose = full[diff > 0].sort_values(["difference", "customer_id"],
                                               ascending=[False, True]).head(n)
    expected_fell = full[diff < 0].sort_values(["difference", "customer_id"]).head(n)
    assert list(rose["customer_id"]) == list(expected_rose["customer_id"])
    assert list(fell["customer_id"]) == list(expected_fell["customer_id"])
    assert list(rose["difference"]) == list(expected_rose["difference"])
