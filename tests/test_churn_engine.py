"""The churn engine: the per-customer summary from DuckDB, the fit and the scores of
``analysis.churn``, the CLI ``churn`` command, and the churn columns of the exports."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, timedelta

import numpy as np
import openpyxl
import pandas as pd
import pytest

from kam_analysis.analysis import AnalysisParams, Filters, analyze, churn, with_churn
from kam_analysis.analysis.churn import ALIVE_THRESHOLD, CHURN_COLUMNS, score
from kam_analysis.churn import customer_summary, expected_purchases, fit_model, p_alive, to_weeks
from kam_analysis.cli import main
from kam_analysis.db import Database, open_database
from kam_analysis.db.churn_sql import churn_customer_summary
from kam_analysis.demo import DEMO_DATASET
from kam_analysis.export import EXPORT_COLUMNS, workbook_bytes
from kam_analysis.export_sheets import column_label
from tests.analysis_fixtures import d, frame, store

END = date(2024, 12, 31)

# Purchase days by hand (window end 2024-12-31); several rows on one day are one day.
HAND = [
    ("a", d("2024-01-01"), 10, 1, "N", "Ann", "Tools", "Drill"),
    ("a", d("2024-01-01"), 5, 1, "N", "Ann", "Glue", "Epoxy"),    # same day: one purchase
    ("a", d("2024-03-01"), 20, 2, "N", "Ann", "Tools", "Saw"),
    ("a", d("2024-10-15"), -4, 0, "S", "Bob", "Tools", "Drill"),  # a return is a purchase day
    ("a", d("2025-01-10"), 99, 9, "N", "Ann", "Tools", "Drill"),  # after the end: ignored
    ("b", d("2023-06-30"), 7, 1, "S", "Bob", "Glue", "Epoxy"),    # before any window start
    ("b", d("2024-12-31"), 8, 1, "S", "Bob", "Glue", "Epoxy"),
    ("c", d("2024-12-01"), 3, 0, "N", "Ann", "Tools", "Saw"),     # bought once
    ("e", d("2025-02-01"), 3, 0, "N", "Ann", "Tools", "Saw"),     # first purchase after end
]


def _summary(db: Database, filters: dict | None = None, measure: str = "revenue",
             end: date = END) -> pd.DataFrame:
    with db.read() as cur:
        info = cur.execute("SELECT dataset_id FROM datasets WHERE name = 't'").fetchone()
        return churn_customer_summary(cur, info[0], measure, end, filters)


def test_summary_by_hand(db: Database) -> None:
    store(db, HAND)
    got = _summary(db)
    expected = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "frequency": [2, 1, 0],
        "recency": [(d("2024-10-15") - d("2024-01-01")).days, 550, 0],
        "T": [365, 550, 30],
        # revenue in (2024-06-30, 2024-12-31]
        "value_last_6m": [-4.0, 8.0, 3.0],
    })
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert list(got.dtypes[["frequency", "recency", "T"]]) == [np.int64] * 3


def test_summary_honours_the_filters(db: Database) -> None:
    store(db, HAND)
    by_region = _summary(db, {"region": ["N"]})
    assert list(by_region["customer_id"]) == ["a", "c"]
    assert by_region.iloc[0][["frequency", "recency", "T"]].tolist() == [1, 60, 365]
    by_manager = _summary(db, {"manager": ["Bob"]})
    assert list(by_manager["customer_id"]) == ["a", "b"]
    assert by_manager.iloc[0][["frequency", "recency", "T"]].tolist() == [0, 0, 77]
    by_category = _summary(db, {"category": ["Tools"]})
    assert by_category.set_index("customer_id")["frequency"].to_dict() == {"a": 2, "c": 0}
    by_product = _summary(db, {"product": ["Epoxy"]})
    assert by_product.set_index("customer_id")["T"].to_dict() == {"a": 365, "b": 550}
    margin = _summary(db, measure="margin")
    assert margin["value_last_6m"].tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="Unknown measure"):
        _summary(db, measure="price")


def test_summary_equals_the_model_package_on_the_demo(demo_db: Database,
                                                     demo_frame: pd.DataFrame) -> None:
    end = date(2026, 6, 30)
    result = churn(demo_db, DEMO_DATASET, AnalysisParams(end=end))
    expected = customer_summary(demo_frame, end).reset_index()
    got = result.customers[["customer_id", "frequency", "recency", "T"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_demo_default_window_fits_in_the_homogeneous_limit(demo_db: Database) -> None:
    """The demo's customers all drop out at about the same rate: Pareto/NBD's gamma
    shape s runs to its bound, which is the homogeneous dropout limit, not a failure."""
    result = churn(demo_db, DEMO_DATASET)
    assert result.fitted and result.message is None and result.fit.homogeneous_dropout
    alive = result.customers["p_alive"]
    assert alive.notna().all() and alive.between(0, 1).all()
    assert set(result.customers["churn_status"]) == {"likely_active", "probably_lost"}
    assert (result.customers["expected_purchases_13w"] >= 0).all()
    assert result.to_dict()["homogeneous_dropout"] is True
    assert "same dropout rate" in (result.note or "")
    bg = churn(demo_db, DEMO_DATASET, model="bg-nbd")
    assert bg.fitted and not bg.fit.homogeneous_dropout and bg.note is None


def _simulated(customers: int = 200, seed: int = 3) -> pd.DataFrame:
    """Purchase rows drawn from Pareto/NBD (weekly rates), over two years to END."""
    rng = np.random.default_rng(seed)
    days = 730
    start = rng.integers(0, days // 2, customers)
    age = (days - 1 - start) / 7.0
    rate = rng.gamma(2.0, 1 / 8.0, customers)
    alive = np.minimum(rng.exponential(1 / rng.gamma(1.0, 1 / 30.0, customers)), age)
    counts = rng.poisson(rate * alive)
    owner = np.repeat(np.arange(customers), counts)
    day = np.concatenate([start, start[owner] + np.floor(
        rng.uniform(0, alive[owner]) * 7).astype(int)])
    who = np.concatenate([np.arange(customers), owner])
    first = END - timedelta(days=days - 1)
    rows = [(f"k{w:03d}", first + timedelta(days=int(x)), float(10 + w % 7))
            for w, x in zip(who, day, strict=True)]
    return frame(rows)


@pytest.fixture
def fitted_db(db: Database) -> Database:
    store(db, _simulated())
    return db


def test_engine_scores_every_customer(fitted_db: Database) -> None:
    params = AnalysisParams(start=date(2024, 7, 1))
    result = churn(fitted_db, "t", params)
    assert result.fitted and result.message is None and result.model == "pareto-nbd"
    c = result.customers
    assert tuple(c.columns) == CHURN_COLUMNS and len(c) == 200 == result.fit.customers
    x, t_x, age = c["frequency"].to_numpy(float), to_weeks(c["recency"]), to_weeks(c["T"])
    fit = fit_model(x, t_x, age, "pareto_nbd")
    assert fit.params == pytest.approx(result.fit.params, rel=1e-9)
    np.testing.assert_allclose(c["p_alive"], p_alive(fit, x, t_x, age), rtol=1e-9)
    np.testing.assert_allclose(c["expected_purchases_13w"],
                               expected_purchases(fit, x, t_x, age, 13.0), rtol=1e-9)
    np.testing.assert_allclose(c["value_at_risk"], c["value_last_6m"] * (1 - c["p_alive"]))
    assert set(c["churn_status"]) == {"likely_active", "probably_lost"}
    assert (c["churn_status"] == "likely_active").eq(c["p_alive"] >= ALIVE_THRESHOLD).all()
    # the window start does not change the figures; BG/NBD is there too
    assert churn(fitted_db, "t").fit == result.fit
    bg = churn(fitted_db, "t", params, model="bg-nbd")
    assert bg.fit.model == "bg_nbd" and bg.to_dict()["params"].keys() == {"r", "alpha", "a", "b"}
    with pytest.raises(ValueError, match="Unknown churn model"):
        churn(fitted_db, "t", params, model="nbd")
    # merged into the analysis' customers: the listed ones (rows in the window)
    listed = analyze(fitted_db, "t", params).customers
    merged = with_churn(listed, result)
    assert list(merged["customer_id"]) == list(listed["customer_id"])
    by_id = c.set_index("customer_id")["p_alive"]
    np.testing.assert_allclose(merged["p_alive"], by_id[listed["customer_id"]].to_numpy())
    # a customer the result does not score gets NaN and no status; the index is kept;
    # a result with a customer twice is refused
    unknown = pd.concat([listed.iloc[:2], listed.iloc[:1].assign(customer_id="nobody")])
    unknown.index = [10, 11, 12]
    merged = with_churn(unknown, result)
    assert list(merged.index) == [10, 11, 12]
    assert np.isnan(merged["p_alive"].iloc[2]) and merged["churn_status"].iloc[2] == ""
    assert merged["churn_status"].iloc[0] in {"likely_active", "probably_lost"}
    twice = dataclasses.replace(result, customers=pd.concat([result.customers] * 2))
    with pytest.raises(ValueError):
        with_churn(listed, twice)


def test_not_fittable_says_why(db: Database) -> None:
    store(db, HAND)
    result = churn(db, "t")
    assert not result.fitted and result.fit is None
    assert "cannot be estimated" in result.message and "4 customers" in result.message
    assert "rule-based flags" in result.message
    c = result.customers
    assert c["p_alive"].isna().all() and c["expected_purchases_13w"].isna().all()
    assert (c["churn_status"] == "").all()
    assert result.to_dict()["params"] is None
    # everyone bought once: too few repeat purchases
    once = pd.DataFrame({"customer_id": [f"c{i}" for i in range(40)], "frequency": 0,
                         "recency": 0, "T": 100, "value_last_6m": 1.0})
    fit, message, scored = score(once)
    assert fit is None and "only 0 of 40 customers bought more than once" in message
    assert "pareto" not in message.lower()  # the user reads why, not the model's code
    assert scored["p_alive"].isna().all()


def test_cli_churn_json_equals_the_engine(fitted_db: Database, tmp_path, capsys) -> None:
    path = str(fitted_db.path)
    engine = {m: churn(fitted_db, "t", AnalysisParams(end=date(2024, 11, 30)), model=m)
              for m in ("pareto-nbd", "bg-nbd")}
    fitted_db.close()
    for model, names in (("pareto-nbd", ["r", "alpha", "s", "beta"]),
                         ("bg-nbd", ["r", "alpha", "a", "b"])):
        assert main(["churn", "--db", path, "--dataset", "t", "--to", "2024-11-30",
                     "--model", model, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert {"model", "time_unit", "params", "customers", "log_likelihood"} <= out.keys()
        assert out["model"] == model and out["time_unit"] == "week"
        assert list(out["params"]) == names
        fit = engine[model].fit
        assert list(out["params"].values()) == pytest.approx(list(fit.params), rel=1e-12)
        assert out["customers"] == fit.customers
        assert out["log_likelihood"] == pytest.approx(fit.log_likelihood, rel=1e-12)
    assert main(["churn", "--db", path, "--dataset", "t"]) == 0
    assert "log_likelihood" in capsys.readouterr().out


def test_cli_churn_not_fittable_is_one_line(db: Database, capsys) -> None:
    store(db, HAND)
    path = str(db.path)
    db.close()
    assert main(["churn", "--db", path, "--dataset", "t", "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: P(alive) cannot be estimated") and err.count("\n") == 1


def test_classify_and_workbook_carry_the_churn_figures(fitted_db: Database, tmp_path,
                                                      capsys) -> None:
    result = analyze(fitted_db, "t")
    alive = churn(fitted_db, "t")
    data = workbook_bytes(result, None, alive)
    ws = openpyxl.load_workbook(io.BytesIO(data))["All customers"]
    header = [c.value for c in ws[1]]
    assert header == [column_label(c) for c in EXPORT_COLUMNS]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    by_id = alive.customers.set_index("customer_id")
    col = header.index(column_label("p_alive"))
    for cid, row in rows.items():
        assert row[col] == pytest.approx(by_id.loc[cid, "p_alive"])
    path = str(fitted_db.path)
    fitted_db.close()
    out = tmp_path / "all.csv"
    assert main(["classify", "--db", path, "--dataset", "t", "--out", str(out), "--all",
                 "--codes"]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df.columns) == list(EXPORT_COLUMNS)
    np.testing.assert_allclose(df["expected_purchases_13w"],
                               by_id.loc[df["customer_id"], "expected_purchases_13w"])


def test_classify_without_a_fit_leaves_the_columns_empty(db: Database, tmp_path,
                                                         capsys) -> None:
    store(db, HAND)
    path = str(db.path)
    db.close()
    out = tmp_path / "all.csv"
    assert main(["classify", "--db", path, "--dataset", "t", "--out", str(out), "--all",
                 "--codes"]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert df["p_alive"].isna().all() and df["expected_purchases_13w"].isna().all()
    assert "cannot be estimated" in capsys.readouterr().err
    reopened = open_database(path)
    try:
        # the analysis has region and manager filters too
        filtered = churn(reopened, "t", AnalysisParams(filters=Filters(regions=("N",))))
        assert list(filtered.customers["customer_id"]) == ["a", "c", "e"]
    finally:
        reopened.close()
