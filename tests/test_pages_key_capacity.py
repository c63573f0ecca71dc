"""The Key accounts page: the capacity in the rule form, its sentence, the rule in the URL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.analysis import AnalysisParams, KeyRule, analyze, capacity_text
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from tests.test_pages import APP, TIMEOUT, _app, _metric
from ui.settings import rule_from_query, rule_to_query

pytestmark = pytest.mark.usefixtures("navigation_mode")


def _capacity_warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "capacity" in w.value]


@pytest.mark.parametrize("rule", [
    KeyRule(),
    KeyRule(min_share=None, cum_before=None, top_n=5, capacity=0),
    KeyRule(min_share=0.05, cum_before=0.7, annual_value=250000.5, top_n=12, class_a=True,
            capacity=7),
    KeyRule(min_share=None, cum_before=None),
])
def test_rule_round_trips_through_the_address(rule) -> None:
    assert rule_from_query(rule_to_query(rule)) == rule


@pytest.mark.parametrize("text", [None, "", "share:2", "cap:-1", "top:0", "cum:x", "what:1",
                                  "share:0.1,,cap:5", "a:1", "annual:inf"])
def test_bad_rule_in_the_address_is_ignored(text) -> None:
    assert rule_from_query(text) is None


def test_capacity_in_the_rule_form_and_the_address(app_db: Database) -> None:
    at = _app("key_accounts")
    wanted = analyze(app_db, DEMO_DATASET).key_wanted
    assert wanted > 3
    assert at.number_input(key="ka_capacity").value == 50
    assert "rule" not in at.query_params  # the default rule stays out of the address
    at.number_input(key="ka_capacity").set_value(3)
    next(b for b in at.button if b.label == "Apply rule").click().run()
    assert not at.exception
    rule = KeyRule(capacity=3)
    res = analyze(app_db, DEMO_DATASET, AnalysisParams(key_rule=rule))
    assert _metric(at, "Key accounts") == f"{int(res.customers['key_account'].sum()):,}"
    assert _capacity_warnings(at) == [capacity_text(res.capacity_note)]
    assert at.query_params["rule"] in ("share:0.1,cum:0.5,cap:3", ["share:0.1,cum:0.5,cap:3"])
    at.switch_page("pages/pareto.py").run()  # the rule applies on every page ...
    assert at.query_params["rule"] in ("share:0.1,cum:0.5,cap:3", ["share:0.1,cum:0.5,cap:3"])


def test_rule_from_the_address_survives_a_refresh(app_db: Database) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["rule"] = "top:5,cap:50"
    at.run()
    at.switch_page("pages/key_accounts.py").run()
    assert not at.exception
    assert _metric(at, "Key accounts") == "5"
    assert at.checkbox(key="ka_use_top").value and not at.checkbox(key="ka_use_share").value
    assert _capacity_warnings(at) == []
