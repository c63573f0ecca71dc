"""Property tests (hypothesis) of the analysis invariants."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam_analysis.analysis import AnalysisParams, analyze
from kam_analysis.db import open_database
from tests.analysis_fixtures import frame, store

BASE = date(2024, 1, 1)

rows_strategy = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 500), st.integers(-200, 2000)),
    min_size=1, max_size=40,
)
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pdb(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("prop") / "p.duckdb")
    yield db
    db.close()


def _rows(raw):
    return [(f"c{c}", BASE + timedelta(days=day), float(v)) for c, day, v in raw]


@SETTINGS
@given(raw=rows_strategy, period=st.sampled_from(["week", "month", "quarter"]))
def test_invariants(pdb, raw, period) -> None:
    store(pdb, _rows(raw))
    res = analyze(pdb, "t", AnalysisParams(period=period))
    c = res.customers
    ranked = c[c["rank"].notna()]
    n = len(ranked)
    if n:
        assert ranked["share"].sum() == pytest.approx(1.0)
        assert list(ranked["rank"]) == list(range(1, n + 1))
        order = {"A": 0, "B": 1, "C": 2}
        classes = [order[x] for x in ranked["abc"]]
        assert classes == sorted(classes)  # never improves as rank worsens
        assert ranked["abc"].iloc[0] == "A"
        assert (ranked["value"].diff().dropna() <= 0).all()
        k = res.concentration
        assert 10000 / n - 1e-6 <= k.hhi <= 10000 + 1e-6
        assert 0 <= k.gini < 1
        assert res.pareto["y"].is_monotonic_increasing
        assert res.lorenz["y"].iloc[-1] == pytest.approx(1.0)
    rest = c[c["rank"].isna()]
    assert (rest["value"] <= 0).all() and (rest["abc"] == "C").all()
    assert all("non_positive" in f for f in rest["flags"])
    assert c["customer_id"].is_unique
    assert res.matrix["customers"].sum() == len(c)
    assert set(c["xyz"]) <= {"X", "Y", "Z"}
    assert ((c["periods"] >= 3) | (c["xyz"] == "Z")).all()


@SETTINGS
@given(raw=rows_strategy, seed=st.integers(0, 10_000), split_at=st.integers(0, 39),
       metric=st.sampled_from(["cov", "frequency"]))
def test_shuffle_and_split_do_not_change_results(pdb, raw, seed, split_at, metric) -> None:
    rows = _rows(raw)
    store(pdb, rows, "orig")
    df = frame(rows)
    i = split_at % len(df)
    half = float(int(df.loc[i, "revenue"]) // 2)
    extra = df.loc[[i]].copy()
    extra["revenue"] = df.loc[i, "revenue"] - half
    df.loc[i, "revenue"] = half
    df = pd.concat([df, extra]).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    df["source_line"] = np.arange(2, len(df) + 2)
    store(pdb, df, "shuffled")
    params = AnalysisParams(xyz_metric=metric)
    a = analyze(pdb, "orig", params).customers
    b = analyze(pdb, "shuffled", params).customers
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(-5, 30), min_size=1, max_size=25),
       method=st.sampled_from(["fixed", "computed"]), pick=st.integers(0, 24))
def test_single_customer_class_equals_full_ranking(values, method, pick) -> None:
    """customer_class_history's shortcut (class_of) agrees with the full ranking."""
    from kam_analysis.analysis import abc

    ids = [f"k{(i * 7) % 25:02d}" for i in range(len(values))]
    frame = pd.DataFrame({"customer_id": ids, "value": [float(v) for v in values]})
    params = AnalysisParams(abc_method=method)
    full = abc.classes_for(frame, params, "value").set_index("customer_id")
    i = pick % len(values)
    abc, share, rank = abc.class_of(frame["value"].to_numpy(), np.array(ids), i, params)
    row = full.loc[ids[i]]
    assert abc == row["abc"]
    assert share == pytest.approx(row["share"])
    assert rank == (None if pd.isna(row["rank"]) else int(row["rank"]))


@SETTINGS
@given(base=st.sampled_from([0.0, 1e6, 1e9]),
       months=st.lists(st.one_of(st.none(), st.integers(1, 1000)), min_size=3, max_size=24),
       first=st.integers(1, 1000), last=st.integers(1, 1000), precomputed=st.booleans())
def test_cov_equals_the_zero_padded_population_sd(pdb, base, months, first, last,
                                                  precomputed) -> None:
    """XYZ's CoV (one-pass sd with the empty months combined in) matches numpy's
    population sd over every month of the history, empty months as zero, also for
    large steady amounts where a naive sum-of-squares formula loses all digits."""
    from unittest import mock

    from kam_analysis.analysis import facts

    amounts = [float(first), *[None if m is None else float(m) for m in months], float(last)]
    rows = [("steady", date(2022 + i // 12, i % 12 + 1, 15), base + v)
            for i, v in enumerate(amounts) if v is not None]
    store(pdb, rows)
    with mock.patch.object(facts, "_use_precomputed", return_value=precomputed):
        c = analyze(pdb, "t", AnalysisParams(period="month")).customers.set_index("customer_id")
    padded = np.array([0.0 if v is None else base + v for v in amounts])
    assert c.loc["steady", "periods"] == len(amounts)
    assert c.loc["steady", "cov"] == pytest.approx(padded.std() / padded.mean(),
                                                   rel=1e-9, abs=1e-12)


@given(cells=st.lists(st.tuples(st.sampled_from(["a", "B", "c", "Ä", "10", "9", "z", "ß"]),
                                st.sampled_from([-5.0, 0.0, 1.0, 2.5, 2.5, 7.0, 100.0])),
                      min_size=1, max_size=8, unique_by=lambda c: c[0]),
       method=st.sampled_from(["fixed", "computed"]))
@settings(max_examples=80, deadline=None)
def test_class_per_customer_equals_the_ranked_frame(cells, method) -> None:
    """The revenue-by-margin matrix's classes (class_per_customer) are those of
    classes_for, customer by customer, with ties, zeros, returns and any id order."""
    from kam_analysis.analysis.abc import class_per_customer, classes_for
    from kam_analysis.analysis.ranking import text_order

    values = pd.DataFrame(cells, columns=["customer_id", "value"])
    params = AnalysisParams(abc_method=method)
    expected = classes_for(values, params, "value").set_index("customer_id")["abc"]
    got = class_per_customer(values["value"].to_numpy(), text_order(values["customer_id"]),
                             params)
    assert list(got) == [expected[c] for c in values["customer_id"]]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
                max_size=60))
def test_text_order_is_pythons_string_order(ids) -> None:
    """Each id's position when the ids are sorted as Python sorts text (by code point),
    equal ids in their order: the tie-break of every ranking."""
    from kam_analysis.analysis.ranking import text_order

    expected = np.empty(len(ids), dtype=np.int64)
    expected[sorted(range(len(ids)), key=lambda i: ids[i])] = np.arange(len(ids))
    assert text_order(ids).tolist() == expected.tolist()
