"""Choices kept in the address (issue 12, point 4): the ABC-XYZ cell, the Pareto top N
and masking survive a refresh; a server setting forces masking on."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.db import Database
from tests.conftest import APP

pytestmark = pytest.mark.usefixtures("navigation_mode")

TIMEOUT = 30


def _refreshed(page: str, query: dict[str, str]) -> AppTest:
    """A new session (a refresh or a shared link) opened with ``query`` in the address."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _param(at: AppTest, key: str) -> str | None:
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def _cell_ids(at: AppTest) -> list[str]:
    """The ids in the ABC-XYZ cell list."""
    table = next(df.value for df in at.dataframe if "ID" in df.value.columns)
    assert len(table)
    return [str(i) for i in table["ID"]]


def test_the_chosen_cell_is_in_the_address_and_survives_a_refresh(app_db: Database) -> None:
    at = _refreshed("abc_xyz", {})
    at.session_state["abc_cell"] = "CZ"
    at.run()
    assert _param(at, "cell") == "CZ"
    again = _refreshed("abc_xyz", {"cell": "CZ"})
    assert again.session_state["abc_cell"] == "CZ"
    assert "Customers in CZ" in [h.value for h in again.subheader]
    bad = _refreshed("abc_xyz", {"cell": "QQ"})  # an invalid cell is ignored
    assert bad.session_state["abc_cell"] != "QQ"


def test_the_pareto_top_n_is_in_the_address_and_survives_a_refresh(app_db: Database) -> None:
    at = _refreshed("pareto", {})
    assert _param(at, "top") is None  # the default is not written
    at.number_input(key="par_top_n").set_value(50).run()
    assert _param(at, "top") == "50"
    again = _refreshed("pareto", {"top": "50"})
    assert again.number_input(key="par_top_n").value == 50
    assert _refreshed("pareto", {"top": "7000"}).number_input(key="par_top_n").value == 30


def test_masking_survives_a_refresh(app_db: Database) -> None:
    at = _refreshed("overview", {})
    assert _param(at, "mask") is None
    at.sidebar.toggle(key="sb_mask").set_value(True).run()
    assert _param(at, "mask") == "1"
    at.switch_page("pages/pareto.py").run()  # another page keeps it in the address
    assert _param(at, "mask") == "1"
    again = _refreshed("abc_xyz", {"mask": "1"})
    assert again.sidebar.toggle(key="sb_mask").value
    assert _param(again, "mask") == "1"
    ids = _cell_ids(again)
    assert all(str(i).startswith("C-") for i in ids)


def test_a_server_can_force_masking_on(app_db: Database,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAM_FORCE_MASKING", "1")
    at = _refreshed("abc_xyz", {})
    toggle = at.sidebar.toggle(key="sb_mask")
    assert toggle.value and toggle.disabled
    at.session_state["sb_mask"] = False  # a forged widget state
    at.run()
    assert at.sidebar.toggle(key="sb_mask").value
    ids = _cell_ids(at)
    assert all(str(i).startswith("C-") for i in ids)
