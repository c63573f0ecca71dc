"""Comparisons against the previous period and a year earlier, computed by hand."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from kam_analysis.analysis import AnalysisParams, compare, comparison_windows
from tests.analysis_fixtures import d, store

# Window 2025-01-01 .. 2025-06-30 (six whole months): previous = 2024-07 .. 2024-12,
# a year earlier = 2024-01 .. 2024-06.
ROWS = [
    ("A", d("2024-01-15"), 40),   # year earlier (the data starts in its first month)
    ("A", d("2024-08-01"), 50),   # previous
    ("A", d("2025-03-01"), 60),   # window: +20% vs previous, +50% vs a year earlier
    ("B", d("2024-09-15"), 10),   # previous only: lost, -100%
    ("C", d("2025-05-05"), 25),   # window only: new, no change
    ("D", d("2024-03-03"), 5),    # year earlier only
]
WINDOW = AnalysisParams(start=d("2025-01-01"), end=d("2025-06-30"))


def test_windows_whole_months_and_days() -> None:
    assert comparison_windows((d("2025-01-01"), d("2025-06-30"))) == (
        (d("2024-07-01"), d("2024-12-31")), (d("2024-01-01"), d("2024-06-30")))
    # February: a month end stays a month end a year earlier (leap year).
    assert comparison_windows((d("2025-02-01"), d("2025-02-28"))) == (
        (d("2025-01-01"), d("2025-01-31")), (d("2024-02-01"), d("2024-02-29")))
    # Not whole months: the same number of days before.
    assert comparison_windows((d("2025-03-10"), d("2025-03-19"))) == (
        (d("2025-02-28"), d("2025-03-09")), (d("2024-03-10"), d("2024-03-19")))


def test_per_customer_and_totals_by_hand(db) -> None:
    store(db, ROWS)
    result = compare(db, "t", WINDOW)
    assert result.previous_covered and result.year_covered
    rows = result.customers.set_index("customer_id")
    assert list(rows.index) == ["A", "B", "C", "D"]
    assert rows.loc["A", "value"] == 60
    assert rows.loc["A", "change_previous"] == pytest.approx(0.2)
    assert rows.loc["A", "change_year"] == pytest.approx(0.5)
    assert rows.loc["B", "value"] == 0 and rows.loc["B", "change_previous"] == pytest.approx(-1)
    assert math.isnan(rows.loc["C", "change_previous"]) and math.isnan(rows.loc["C", "change_year"])
    assert rows.loc["D", "value_year"] == 5 and rows.loc["D", "value_previous"] == 0
    totals = result.totals
    assert totals.loc["value", "value"] == 85
    assert totals.loc["value", "value_previous"] == 60
    assert totals.loc["value", "change_previous"] == pytest.approx(85 / 60 - 1)
    assert totals.loc["value", "change_year"] == pytest.approx(85 / 45 - 1)
    assert totals.loc["customers", "value"] == 2  # A and C
    assert totals.loc["customers", "value_previous"] == 2  # A and B
    assert totals.loc["customers", "change_year"] == pytest.approx(0.0)  # A, D a year earlier


def test_not_covered_when_the_data_starts_later(db) -> None:
    store(db, [r for r in ROWS if r[1] >= d("2024-08-01")])  # no year earlier, previous
    # starts in July: neither is covered
    result = compare(db, "t", WINDOW)
    assert not result.previous_covered and not result.year_covered
    rows = result.customers.set_index("customer_id")
    assert list(rows.index) == ["A", "C"]  # B, D only in uncovered windows
    assert rows[["value_previous", "change_previous", "value_year", "change_year"]].isna().all(
        axis=None)
    assert math.isnan(result.totals.loc["value", "change_year"])


def test_one_row_per_customer_whatever_the_summation_order(db) -> None:
    # Many non-representable amounts over regions and managers: the window's value was
    # once summed twice (once per comparison) and the two sums, in a different order,
    # could differ in the last bit, so an outer join on (customer, value) split one
    # customer in two rows and the Key accounts page crashed on a Series.
    rows = [(f"C{i % 7}", d("2024-01-01") + timedelta(days=(i * 13) % 540),
             0.1 * (i % 11) + 0.07, 1, ("North", "South")[i % 2], ("Ann", "Bob")[i % 3 % 2])
            for i in range(3000)]
    store(db, rows)
    result = compare(db, "t", WINDOW)
    ids = result.customers["customer_id"]
    assert ids.is_unique and len(ids) == 7
    indexed = result.customers.set_index("customer_id")
    assert all(isinstance(indexed["change_previous"].get(cid), float) for cid in ids)
