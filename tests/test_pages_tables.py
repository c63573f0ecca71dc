"""Customer lists you can work with (issue 12, point 6): the search and the filters of
ui/tables.py on the key-account list, the win-back list and the ABC-XYZ cell list."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.db import Database
from tests.conftest import APP
from ui.tables import search_mask

pytestmark = pytest.mark.usefixtures("navigation_mode")

TIMEOUT = 30


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest, column: str, after: int = 0) -> pd.DataFrame:
    """The ``after``-th table with ``column``."""
    return [df.value for df in at.dataframe if column in df.value.columns][after]


def test_search_matches_name_or_id_case_insensitively() -> None:
    frame = pd.DataFrame({"customer_id": ["C1", "X22"], "customer_name": ["Acme", None]})
    assert search_mask(frame, "acm").tolist() == [True, False]
    assert search_mask(frame, "x2").tolist() == [False, True]
    assert search_mask(frame, " ").tolist() == [True, True]


def test_a_search_narrows_the_key_account_list_to_the_customer(app_db: Database) -> None:
    at = _page("key_accounts")
    listed = _table(at, "Why key")
    assert len(listed) > 1
    wanted = listed.iloc[1]
    at.text_input(key="ka_list_search").input(str(wanted["Customer"]).upper()).run()
    assert not at.exception
    narrowed = _table(at, "Why key")
    assert narrowed["ID"].tolist() == [wanted["ID"]]
    assert any("1 of" in c.value for c in at.caption)
    at.text_input(key="ka_list_search").input(str(wanted["ID"])).run()
    assert _table(at, "Why key")["ID"].tolist() == [wanted["ID"]]


def test_filters_by_region_and_class_on_the_key_account_list(app_db: Database) -> None:
    at = _page("key_accounts")
    listed = _table(at, "Why key")
    region = str(listed["Region"].dropna().iloc[0])
    at.multiselect(key="ka_list_region").select(region).run()
    narrowed = _table(at, "Why key")
    assert len(narrowed) and set(narrowed["Region"]) == {region}
    cls = str(narrowed["Class"].iloc[0])
    at.multiselect(key="ka_list_abc_xyz").select(cls).run()
    assert set(_table(at, "Why key")["Class"]) == {cls}


def test_the_win_back_list_and_the_cell_list_have_the_search(app_db: Database) -> None:
    at = _page("key_accounts")
    watch = _table(at, "Days since last purchase")
    wanted = watch.iloc[0]
    at.text_input(key="ka_watch_search").input(str(wanted["ID"])).run()
    assert _table(at, "Days since last purchase")["ID"].tolist() == [wanted["ID"]]
    at.multiselect(key="ka_watch_flags").select("lost").run()
    assert not at.exception
    cells = _page("abc_xyz")
    listed = _table(cells, "XYZ metric")
    wanted = listed.iloc[-1]
    cells.text_input(key="abc_list_search").input(str(wanted["ID"])).run()
    assert _table(cells, "XYZ metric")["ID"].tolist() == [wanted["ID"]]
