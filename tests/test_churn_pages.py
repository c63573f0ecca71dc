"""P(alive) on the Key accounts and Account dossier pages equals the engine's."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, analyze, churn
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from tests.conftest import APP, APP_TIMEOUT
from ui import formatting

pytestmark = pytest.mark.usefixtures("navigation_mode")

# The demo's Pareto/NBD fit as of this end is the homogeneous dropout limit; as of the
# demo's eighth day too few customers have bought twice for a fit.
WINDOW = {"window": "custom", "start": "2025-07-01", "end": "2026-06-30"}
PARAMS = AnalysisParams(start=date(2025, 7, 1), end=date(2026, 6, 30))
UNFIT_WINDOW = {"window": "custom", "start": "2023-11-01", "end": "2023-11-08"}
UNFIT_PARAMS = AnalysisParams(start=date(2023, 11, 1), end=date(2023, 11, 8))


def _app(page: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_key_accounts_and_dossier_show_the_engines_p_alive(app_db: Database) -> None:
    alive = churn(app_db, DEMO_DATASET, PARAMS)
    assert alive.fitted
    by_id = alive.customers.set_index("customer_id")
    at = _app("key_accounts", WINDOW)
    for column in ("Why key", "Usual gap, days"):  # the key-account and win-back lists
        shown = next(df.value for df in at.dataframe if column in df.value.columns)
        np.testing.assert_allclose(shown["P(alive)"].to_numpy(dtype=float),
                                   by_id.loc[shown["ID"], "p_alive"].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            shown["Expected purchases, 13 weeks"].to_numpy(dtype=float),
            by_id.loc[shown["ID"], "expected_purchases_13w"].to_numpy(), rtol=1e-12)
        words = {"likely_active": "likely still active", "probably_lost": "probably lost"}
        assert list(shown["Model says"]) == [words[s] for s in by_id.loc[shown["ID"],
                                                                         "churn_status"]]
    assert any("P(alive): the probability" in c.value and alive.note in c.value
               for c in at.caption)

    top = analyze(app_db, DEMO_DATASET, PARAMS).customers.iloc[0]["customer_id"]
    at = _app("dossier", {**WINDOW, "customer": str(top)})
    labels = {m.label: m.value for m in at.metric}
    assert labels["P(alive)"] == formatting.fmt_pct(by_id.loc[top, "p_alive"])
    assert labels["Expected purchases, 13 weeks"] == (
        f"{by_id.loc[top, 'expected_purchases_13w']:,.1f}")


def test_pages_explain_when_the_model_cannot_be_fitted(app_db: Database) -> None:
    alive = churn(app_db, DEMO_DATASET, UNFIT_PARAMS)
    assert not alive.fitted and "bought more than once" in (alive.message or "")
    for page in ("key_accounts", "dossier"):
        at = _app(page, UNFIT_WINDOW)
        assert any(alive.message == i.value for i in at.info), [i.value for i in at.info]
        assert "P(alive)" not in [m.label for m in at.metric]
    shown = at.dataframe  # the dossier's tables carry no churn column
    assert all("P(alive)" not in getattr(d.value, "columns", ()) for d in shown)


def test_churn_and_migration_once_per_window_end(app_db: Database,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Both are as of the window's end: a new start with the same end reuses the fit and
    # the class migration (and the page still shows the window it was asked for).
    import kam_analysis.analysis as engine
    from ui import calls

    fits: list[AnalysisParams] = []
    original = engine.churn

    def counted(db, dataset, params, model="pareto-nbd"):
        fits.append(params)
        return original(db, dataset, params, model)

    monkeypatch.setattr(engine, "churn", counted)
    moves: list[AnalysisParams] = []
    original_migration = engine.migration

    def counted_migration(db, dataset, params, *args):
        moves.append(params)
        return original_migration(db, dataset, params, *args)

    monkeypatch.setattr(engine, "migration", counted_migration)
    calls.clear_caches()
    at = _app("key_accounts")  # the whole data
    at.radio(key="sb_window").set_value("12m").run()  # the last 12 months: the same end
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["sb_window"] == "12m"
    assert len(fits) == 1 and len(moves) == 1


def test_churn_columns_joined_once_per_window(app_db: Database,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # The join of 100,000 customers with their churn figures cost 0.12-0.2 s on every
    # run: the pages read it from the cache, and a rerun joins nothing again.
    import kam_analysis.analysis as engine
    from ui import calls

    joins: list[int] = []
    original = engine.with_churn

    def counted(customers, result):
        joins.append(len(customers))
        return original(customers, result)

    monkeypatch.setattr(engine, "with_churn", counted)
    calls.clear_caches()
    at = _app("key_accounts", WINDOW)
    at.run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    customers = analyze(app_db, DEMO_DATASET, PARAMS).customers
    assert joins == [len(customers)]
    shown = next(df.value for df in at.dataframe if "Why key" in df.value.columns)
    expected = original(customers, churn(app_db, DEMO_DATASET, PARAMS)).set_index("customer_id")
    np.testing.assert_allclose(shown["P(alive)"].to_numpy(dtype=float),
                               expected.loc[shown["ID"], "p_alive"].to_numpy(), rtol=1e-12)
