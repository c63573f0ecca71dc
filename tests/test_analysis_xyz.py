"""Hand-computed XYZ: periods, history start, population sd, week/quarter, frequency."""

from __future__ import annotations

import math
from datetime import date

import pytest

from kam_analysis.analysis import AnalysisParams, analyze
from tests.analysis_fixtures import d, store

JAN_APR = AnalysisParams(start=date(2024, 1, 1), end=date(2024, 4, 30))

ROWS = [
    *[("X1", d(f"2024-0{m}-10"), 100) for m in (1, 2, 3, 4)],       # 100 x 4: cov 0
    ("Y1", d("2024-01-10"), 100), ("Y1", d("2024-03-10"), 100),     # 100,0,100,0: cov 1
    ("Z1", d("2024-01-10"), 400),                                   # 400,0,0,0: cov sqrt 3
    ("L1", d("2024-03-10"), 50), ("L1", d("2024-04-10"), 50),       # 2 periods: short
    ("M1", d("2024-02-10"), 60), ("M1", d("2024-03-10"), 30),       # Feb..Apr: 60, 0, 60
    ("M1", d("2024-03-11"), -30), ("M1", d("2024-04-10"), 60),
    ("P1", d("2023-12-10"), 500),                                   # before the window
    ("P1", d("2024-02-10"), 100), ("P1", d("2024-04-10"), 100),     # 0,100,0,100
    ("N1", d("2024-01-10"), 10), ("N1", d("2024-02-10"), -30),      # mean <= 0
    ("N1", d("2024-03-10"), 10), ("N1", d("2024-04-10"), 5),
    ("Q1", d("2024-05-10"), 1),                                     # after the window
]


@pytest.fixture
def xyz_db(db):
    store(db, ROWS)
    return db


def _by_id(db, params):
    return analyze(db, "t", params).customers.set_index("customer_id")


def test_cov_monthly(xyz_db) -> None:
    c = _by_id(xyz_db, JAN_APR)
    assert "Q1" not in c.index
    assert c.loc["X1", "cov"] == 0 and c.loc["X1", "xyz"] == "X"
    assert c.loc["Y1", "cov"] == pytest.approx(1.0) and c.loc["Y1", "xyz"] == "Y"
    assert c.loc["Z1", "cov"] == pytest.approx(math.sqrt(3)) and c.loc["Z1", "xyz"] == "Z"
    assert c.loc["Z1", "mean"] == 100
    # L1 starts in March: 2 periods -> Z with short_history.
    assert c.loc["L1", "periods"] == 2 and c.loc["L1", "xyz"] == "Z"
    assert c.loc["L1", "flags"].startswith("short_history")
    # M1 starts in February: 60, 0 (net of a return), 60 -> mean 40, sd sqrt(800).
    assert c.loc["M1", "periods"] == 3
    assert c.loc["M1", "active_periods"] == 3  # March has rows although it nets to 0
    assert c.loc["M1", "cov"] == pytest.approx(math.sqrt(800) / 40)
    assert c.loc["M1", "xyz"] == "Y"
    # P1 first bought before the window: history starts at the window's first period.
    assert c.loc["P1", "periods"] == 4 and c.loc["P1", "first_purchase"] == date(2023, 12, 10)
    assert c.loc["P1", "cov"] == pytest.approx(1.0)
    assert c.loc["P1", "value"] == 200
    # N1: total -5 over 4 periods -> mean <= 0 -> Z (and non-positive, class C).
    assert c.loc["N1", "xyz"] == "Z" and c.loc["N1", "abc_xyz"] == "CZ"


def test_custom_and_classic_limits(xyz_db) -> None:
    c = _by_id(xyz_db, AnalysisParams(start=date(2024, 1, 1), end=date(2024, 4, 30),
                                      xyz_limits=(0.10, 0.25)))
    assert c.loc["X1", "xyz"] == "X"
    assert c.loc["M1", "xyz"] == "Z" and c.loc["Y1", "xyz"] == "Z"
    c = _by_id(xyz_db, AnalysisParams(start=date(2024, 1, 1), end=date(2024, 4, 30),
                                      xyz_limits=(1.0, 2.0)))
    assert c.loc["Y1", "xyz"] == "X" and c.loc["Z1", "xyz"] == "Y"


def test_frequency_metric(xyz_db) -> None:
    c = _by_id(xyz_db, AnalysisParams(start=date(2024, 1, 1), end=date(2024, 4, 30),
                                      xyz_metric="frequency"))
    assert c.loc["X1", "cov"] == 1.0 and c.loc["X1", "xyz"] == "X"
    assert c.loc["Y1", "cov"] == 0.5 and c.loc["Y1", "xyz"] == "Y"
    assert c.loc["Z1", "cov"] == 0.25 and c.loc["Z1", "xyz"] == "Z"
    assert c.loc["M1", "cov"] == 1.0 and c.loc["M1", "xyz"] == "X"
    assert c.loc["P1", "cov"] == 0.5 and c.loc["P1", "xyz"] == "Y"
    assert c.loc["L1", "xyz"] == "Z"  # short history beats frequency 1.0
    c = _by_id(xyz_db, AnalysisParams(start=date(2024, 1, 1), end=date(2024, 4, 30),
                                      xyz_metric="frequency", xyz_limits=(0.5, 0.25)))
    assert c.loc["Y1", "xyz"] == "X" and c.loc["Z1", "xyz"] == "Y"


def test_iso_weeks_start_on_monday(db) -> None:
    # 2024-01-01 is a Monday. Window Wed 2024-01-03 .. Sun 2024-01-21: weeks of Jan 1, 8, 15.
    store(db, [("W", d("2024-01-03"), 10), ("W", d("2024-01-14"), 10),  # Sun -> week 2
               ("W", d("2024-01-15"), 10),                              # Mon -> week 3
               ("V", d("2024-01-07"), 30)])                             # Sun -> week 1
    params = AnalysisParams(start=date(2024, 1, 3), end=date(2024, 1, 21), period="week")
    c = _by_id(db, params)
    assert c.loc["W", "periods"] == 3 and c.loc["W", "cov"] == 0 and c.loc["W", "xyz"] == "X"
    assert c.loc["V", "periods"] == 3
    assert c.loc["V", "cov"] == pytest.approx(math.sqrt(200) / 10)


def test_quarter_periods(db) -> None:
    store(db, [("Q", d(f"2024-{m:02d}-10"), 100) for m in (2, 5, 8, 11)]
          + [("R", d("2024-01-10"), 1)])
    year = {"start": date(2024, 1, 1), "end": date(2024, 12, 31)}
    q = _by_id(db, AnalysisParams(period="quarter", **year))
    assert q.loc["Q", "periods"] == 4 and q.loc["Q", "cov"] == 0 and q.loc["Q", "xyz"] == "X"
    m = _by_id(db, AnalysisParams(period="month", **year))
    assert m.loc["Q", "periods"] == 11  # history starts in February
    mean = 400 / 11
    sd = math.sqrt((4 * (100 - mean) ** 2 + 7 * mean ** 2) / 11)
    assert m.loc["Q", "cov"] == pytest.approx(sd / mean) == pytest.approx(1.3228756)
    assert m.loc["Q", "xyz"] == "Z"
