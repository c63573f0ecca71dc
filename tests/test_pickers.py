"""Lists of many customers in the browser: the customer picker (a search box beside a
select box of at most ``pickers.CHOICES`` customers) and the row cap of the tables
(``tables.TABLE_ROWS``), on hand-made frames and on the pages (AppTest, demo data)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, analyze
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from ui import pickers, tables

APP = str(Path(__file__).resolve().parent.parent / "app.py")
pytestmark = pytest.mark.usefixtures("navigation_mode")

CUSTOMERS = pd.DataFrame({
    "customer_id": ["C1", "C2", "C3", "C4", "C5"],
    "customer_name": ["Alpha GmbH", None, "alphabet Ltd", "Beta", "ALPHA Nord"],
    "rank": [1.0, 2.0, 3.0, None, None],
})


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["customer_id"].tolist()


def test_no_search_offers_the_first_customers_in_order() -> None:
    shown, matches = pickers.offered(CUSTOMERS, "", None, limit=3)
    assert _ids(shown) == ["C1", "C2", "C3"]
    assert matches == 5


def test_search_matches_names_and_ids_without_case() -> None:
    shown, matches = pickers.offered(CUSTOMERS, " alpha ", None, limit=10)
    assert _ids(shown) == ["C1", "C3", "C5"]
    assert matches == 3
    shown, matches = pickers.offered(CUSTOMERS, "c4", None, limit=10)
    assert (_ids(shown), matches) == (["C4"], 1)


def test_the_chosen_customer_stays_offered_first() -> None:
    shown, matches = pickers.offered(CUSTOMERS, "alpha", "C4", limit=2)
    assert _ids(shown) == ["C4", "C1", "C3"]
    assert matches == 3  # C4 is kept, not counted as a match
    shown, _ = pickers.offered(CUSTOMERS, "alpha", "C3", limit=2)
    assert _ids(shown) == ["C1", "C3"]  # already among the matches: not repeated
    shown, _ = pickers.offered(CUSTOMERS, "", "C9", limit=2)
    assert _ids(shown) == ["C1", "C2"]  # not a customer of the frame: not offered


def test_labels_name_the_customer_and_its_rank() -> None:
    assert pickers.name_labels(CUSTOMERS.head(2)) == ["Alpha GmbH (C1)", "C2 (C2)"]
    assert pickers.rank_labels(CUSTOMERS.iloc[[0, 3]]) == ["#1 Alpha GmbH (C1)", "Beta (C4)"]


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.one_of(st.none(), st.text("abAB ", max_size=4)), min_size=0,
                      max_size=12),
       text=st.text("abAB ", max_size=3), limit=st.integers(1, 5),
       current=st.one_of(st.none(), st.integers(0, 14)))
def test_the_offer_is_the_first_matches_plus_the_chosen(names, text, limit, current) -> None:
    frame = pd.DataFrame({"customer_id": [f"id{i}" for i in range(len(names))],
                          "customer_name": names})
    chosen = None if current is None else f"id{current}"
    shown, matches = pickers.offered(frame, text, chosen, limit=limit)
    needle = text.strip().casefold()
    hits = [cid for cid, name in zip(frame["customer_id"], names, strict=True)
            if needle in cid.casefold() or (name is not None and needle in name.casefold())]
    assert matches == len(hits)
    expected = hits[:limit]
    if chosen in set(frame["customer_id"]) and chosen not in expected:
        expected = [chosen, *expected]
    assert _ids(shown) == expected


def _dossier(monkeypatch: pytest.MonkeyPatch, choices: int) -> AppTest:
    monkeypatch.setattr(pickers, "CHOICES", choices)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/dossier.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_dossier_offers_a_few_customers_and_finds_any_other(
        app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ranked = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers
    at = _dossier(monkeypatch, 3)
    box = at.selectbox(key="dos_customer")
    assert box.options == pickers.rank_labels(ranked.head(3))
    assert any(f"first 3 of {len(ranked):,} customers" in c.value for c in at.caption)
    # A search selects its first match, even one far down the list.
    last = ranked.iloc[-1]
    at.text_input(key="dos_customer_search").input(last["customer_id"]).run()
    assert not at.exception
    assert at.selectbox(key="dos_customer").value == last["customer_id"]
    assert at.query_params["customer"] in (last["customer_id"], [last["customer_id"]])
    # A search without a match keeps the customer and says so.
    at.text_input(key="dos_customer_search").input("no such customer").run()
    assert not at.exception
    assert at.selectbox(key="dos_customer").value == last["customer_id"]
    assert any(c.value == "No customer matches the search." for c in at.caption)


def test_dossier_link_to_a_customer_outside_the_offer(
        app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    ranked = analyze(app_db, DEMO_DATASET, AnalysisParams()).customers
    far = ranked["customer_id"].iloc[-1]
    monkeypatch.setattr(pickers, "CHOICES", 2)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.query_params["customer"] = far
    at.switch_page("pages/dossier.py").run()
    assert not at.exception
    assert at.selectbox(key="dos_customer").value == far
    assert len(at.selectbox(key="dos_customer").options) == 3  # far, then the first two


def test_tables_send_the_first_rows_and_say_how_many_there_are(
        app_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "TABLE_ROWS", 4)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    result = analyze(app_db, DEMO_DATASET, AnalysisParams())
    keys = result.customers[result.customers["key_account"]]
    assert len(keys) > 4
    table = next(df.value for df in at.dataframe if "Why key" in df.value.columns)
    assert list(table["ID"]) == list(keys["customer_id"].head(4))
    assert any(f"first 4 of {len(keys):,} rows" in c.value for c in at.caption)


def test_a_short_table_has_no_note(app_db: Database) -> None:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception
    assert not any("The table shows the first" in c.value for c in at.caption)


def test_the_pack_accounts_say_their_default_in_the_sessions_language(app_db: Database) -> None:
    # Without a placeholder Streamlit's browser side writes "Choose options" in English.
    from kam_analysis.i18n import language, t

    with language("de"):  # AppTest calls the widgets' format_func (t) in this thread
        at = AppTest.from_file(APP, default_timeout=30)
        at.query_params["lang"] = "de"
        at.run()
        at.switch_page("pages/key_accounts.py").run()
        assert not at.exception
        expected = t("every key account (the default)")
        assert expected == "alle Key Accounts (Standard)"
        assert at.multiselect(key="ka_pack_ids").proto.placeholder == expected
