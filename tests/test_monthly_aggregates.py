"""The per-customer-per-month table (``sales_monthly``, schema version 5).

Every query that reads whole months from it (and the months a bound cuts from
the transactions) must give the figures of the day-by-day path: checked for random
windows, filters, measures and period units (hypothesis), plus the month
arithmetic, the split months and the migration of a version-4 file.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta
from unittest import mock

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.analysis import AnalysisParams, Filters, analyze, compare, migration
from kam_analysis.db import (
    datasets,
    open_database,
    queries,
    sources,
)
from kam_analysis.db.monthly_sql import BUILD_MONTHLY_SQL
from tests.analysis_fixtures import frame, reopened_as_version, store

FIRST = date(2023, 1, 1)
DAYS = 1000  # last date 2025-09-26: mid-month, so the default windows cut months
LAST = FIRST + timedelta(days=DAYS - 1)
REGIONS, MANAGERS, CATEGORIES = ("North", "South", "East"), ("Ann", "Bob", "Cid"), ("Glue", "Tools")
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _portfolio(n_rows: int = 3000, n_customers: int = 40, seed: int = 7) -> pd.DataFrame:
    """Customers of very different sizes, mostly one region and manager each but
    some rows (even on the same day) under another pair, 2 % returns, gaps."""
    rng = np.random.default_rng(seed)
    cust = np.minimum((n_customers * rng.random(n_rows) ** 2).astype(int), n_customers - 1)
    day = rng.integers(0, DAYS, n_rows)
    day = np.where(cust % 7 == 3, day % 200, day)  # some customers stop early (lost)
    other = rng.random(n_rows) < 0.15
    region = np.where(other, rng.integers(0, 3, n_rows), cust % 3)
    manager = np.where(rng.random(n_rows) < 0.1, rng.integers(0, 3, n_rows), cust % 3)
    sign = np.where(rng.random(n_rows) < 0.02, -1.0, 1.0)
    revenue = sign * np.round(10 + 1000 * rng.random(n_rows) ** 3, 2)
    rows = [
        (f"c{c:02d}", FIRST + timedelta(days=int(dd)), float(rv), round(float(rv) * 0.3, 2),
         REGIONS[r], MANAGERS[m], CATEGORIES[int(dd) % 2], f"p{int(dd) % 5}",
         float(1 + int(dd) % 4))
        for c, dd, rv, r, m in zip(cust, day, revenue, region, manager, strict=True)
    ]
    rows.append(("c99", LAST, 5.0, 1.0, "North", "Ann", "Glue", "p1", 1.0))
    return frame(rows)


@pytest.fixture(scope="module")
def mdb(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("monthly") / "m.duckdb")
    store(db, _portfolio(), name="m")
    yield db
    db.close()


@contextmanager
def _daily_only():
    """Every query reads the day-by-day rows (the path before schema version 5)."""
    with mock.patch.object(sources, "_monthly_source", return_value=None):
        yield


def _assert_same(monthly: pd.DataFrame, daily: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(monthly.reset_index(drop=True), daily.reset_index(drop=True),
                                  check_exact=False, rtol=1e-9, atol=1e-6, check_dtype=False)


def _both(fn):
    with _daily_only():
        daily = fn()
    return fn(), daily


day_offsets = st.integers(0, DAYS - 1)


@st.composite
def windows(draw) -> tuple[date, date]:
    """Any window in the data, often month-aligned or ending on the last date."""
    a, b = sorted((draw(day_offsets), draw(day_offsets)))
    start, end = FIRST + timedelta(days=a), FIRST + timedelta(days=b)
    if draw(st.booleans()):
        start = start.replace(day=1)
    if draw(st.booleans()):
        end = LAST
    return start, end


filters = st.builds(
    lambda r, m, c: Filters(regions=tuple(r), managers=tuple(m), categories=tuple(c)),
    st.lists(st.sampled_from(REGIONS), max_size=2, unique=True),
    st.lists(st.sampled_from(MANAGERS), max_size=2, unique=True),
    st.lists(st.sampled_from(CATEGORIES), max_size=1),  # read from the transactions
)


@SETTINGS
@given(window=windows(), flt=filters, measure=st.sampled_from(["revenue", "margin", "quantity"]),
       period=st.sampled_from(["week", "month", "quarter"]))
def test_analysis_equals_daily_path(mdb, window, flt, measure, period) -> None:
    params = AnalysisParams(start=window[0], end=window[1], filters=flt, measure=measure,
                            period=period)
    monthly, daily = _both(lambda: analyze(mdb, "m", params).customers)
    _assert_same(monthly, daily)


@SETTINGS
@given(window=windows(), flt=filters, period=st.sampled_from(["month", "quarter"]))
def test_window_queries_equal_daily_path(mdb, window, flt, period) -> None:
    start, end = window
    earlier = (start - timedelta(days=400), end - timedelta(days=400))
    with mdb.read() as cur:
        ds = datasets.dataset_in(cur, "m").dataset_id
        f = flt.as_dict()
        calls = [
            lambda: queries.analysis_two_windows(cur, ds, "margin", earlier, window, f),
            lambda: queries.analysis_three_windows(cur, ds, "revenue", window, earlier,
                                                   (start, end - timedelta(days=3)), f),
            lambda: queries.analysis_period_values(cur, ds, "quantity", start, end, period, f),
            lambda: queries.analysis_period_amounts(cur, ds, "margin", start, end, period,
                                                    f).to_pandas().sort_values(
                                                        ["period", "value"]),
            lambda: queries.analysis_flow_counts(cur, ds, start, end, period, f),
            # The dossier's periods of one customer and of several (the pack).
            lambda: queries.customer_period_values(cur, ds, "c00", start, end, period, f),
            lambda: queries.customers_period_values(cur, ds, ["c03", "c17", "c99"], start,
                                                    end, period, f),
        ]
        for call in calls:
            _assert_same(*_both(call))


@SETTINGS
@given(window=windows(), flt=filters)
def test_comparison_and_migration_equal_daily_path(mdb, window, flt) -> None:
    params = AnalysisParams(start=window[0], end=window[1], filters=flt)
    monthly, daily = _both(lambda: compare(mdb, "m", params).customers)
    _assert_same(monthly, daily)
    monthly, daily = _both(lambda: migration(mdb, "m", params).customers)
    _assert_same(monthly, daily)


def test_whole_months_read_no_daily_rows(mdb) -> None:
    """A month-aligned window and its 6-month bounds cut no month: no day-by-day rows."""
    sql, params = sources.bind_query("SELECT * FROM ({src})", 1, {}, None,
                                     cuts=sources.range_cuts((date(2024, 1, 1),
                                                              date(2024, 12, 31))))
    assert "FROM transactions" not in sql and "split" not in params
    sql, _ = sources.bind_query("SELECT * FROM ({src})", 1, {}, None, period="week",
                                cuts=[date(2024, 1, 1)])
    assert "sales_monthly" not in sql


def test_split_months_by_hand() -> None:
    cuts = sources.range_cuts((date(2024, 1, 1), date(2024, 3, 31)),
                              (date(2024, 2, 10), date(2024, 2, 29)),
                              (date(2023, 12, 31), date(2024, 5, 15)))
    assert sources.split_months(cuts) == [date(2023, 12, 1), date(2024, 2, 1), date(2024, 5, 1)]


@settings(max_examples=200, deadline=None)
@given(d=st.dates(date(1990, 1, 1), date(2100, 12, 31)), months=st.integers(0, 30))
def test_months_before_is_duckdb_interval(d, months) -> None:
    [(expected,)] = duckdb.sql(f"SELECT ($d::DATE - INTERVAL {months} MONTH)::DATE",
                               params={"d": d}).fetchall()
    assert sources.months_before(d, months) == expected


def test_version_4_database_gets_monthly_rows(tmp_path) -> None:
    path = tmp_path / "v4.duckdb"
    db = open_database(path)
    store(db, _portfolio(600, 12, seed=3), name="old")
    with db.read() as cur:
        info = datasets.dataset_in(cur, "old")
        built = cur.execute("SELECT * FROM sales_monthly ORDER BY ALL").df()
    params = AnalysisParams(start=date(2024, 2, 15), end=LAST)
    before = analyze(db, "old", params).customers
    with db.write() as cur:  # as a version-4 file: a day table, no monthly table
        cur.execute("DROP TABLE sales_monthly")
        cur.execute("ALTER TABLE transactions DROP COLUMN row_count")
        cur.execute("""CREATE TABLE sales_daily AS
            SELECT dataset_id, customer_id, order_date, region, manager,
                   sum(revenue) AS revenue, sum(margin) AS margin, sum(quantity) AS quantity,
                   count(*) AS row_count
            FROM transactions GROUP BY ALL""")
    db = reopened_as_version(db, path, 4)
    try:
        with db.read() as cur:
            migrated = cur.execute("SELECT * FROM sales_monthly ORDER BY ALL").df()
            assert len(migrated) > 0
            assert cur.execute("SELECT count(DISTINCT dataset_id) FROM sales_monthly"
                               ).fetchall() == [(1,)]
        pd.testing.assert_frame_equal(migrated, built, check_exact=False, rtol=1e-12)
        _assert_same(analyze(db, "old", params).customers, before)
        with db.write() as cur:  # building again for one dataset adds its rows only
            cur.execute("DELETE FROM sales_monthly")
            cur.execute(BUILD_MONTHLY_SQL, {"ds": info.dataset_id})
            assert cur.execute("SELECT count(*) FROM sales_monthly").fetchall() == [
                (len(built),)]
    finally:
        db.close()
