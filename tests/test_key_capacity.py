"""Key-account capacity (docs/definitions.md "Key accounts" > "Capacity"), by hand."""

from __future__ import annotations

import pytest

from kam_analysis.analysis import AnalysisParams, KeyRule, analyze, capacity_text
from tests.analysis_fixtures import d, store

# Values 25, 12, 9 x 6, 5, 4 (total 100). Default rule: share >= 10 % (K01, K02) or
# cum_before < 50 % (cum_before 0, .25, .37, .46 -> ranks 1-4): the rule wants 4.
VALUES = {"K01": 25, "K02": 12, "K03": 9, "K04": 9, "K05": 9, "K06": 9, "K07": 9,
          "K08": 9, "K09": 5, "K10": 4}


@pytest.fixture
def ten(db):
    store(db, [(cid, d("2024-03-01"), v) for cid, v in VALUES.items()])
    return db


def _run(db, capacity: int):
    return analyze(db, "t", AnalysisParams(key_rule=KeyRule(capacity=capacity)))


@pytest.mark.parametrize(("capacity", "key", "over"), [
    (0, ["K01", "K02", "K03", "K04"], []),          # 0 = no limit
    (4, ["K01", "K02", "K03", "K04"], []),          # exactly the capacity
    (3, ["K01", "K02", "K03"], ["K04"]),
    (1, ["K01", "K02"], ["K03", "K04"]),            # K02 has 12 % >= 10 %: always key
    (50, ["K01", "K02", "K03", "K04"], []),         # the default
])
def test_capacity_keeps_the_highest_ranked(ten, capacity, key, over) -> None:
    res = _run(ten, capacity)
    c = res.customers.set_index("customer_id")
    assert list(c.index[c["key_account"]]) == key
    assert list(c.index[c["over_capacity"]]) == over
    assert res.key_wanted == 4
    for cid in over:
        assert c.loc[cid, "key_reasons"] == ""          # not key: no reason shown
        assert "over_capacity" in c.loc[cid, "flags"].split(", ")
    assert c.loc["K02", "key_reasons"] == "share, cumulative"
    # the key share counts only the key accounts kept
    assert res.concentration.key_share == pytest.approx(sum(VALUES[k] for k in key) / 100)


def test_capacity_note_in_words(ten) -> None:
    assert _run(ten, 0).capacity_note is None
    assert _run(ten, 4).capacity_note is None
    note = _run(ten, 1).capacity_note
    assert note.to_dict() == {"code": "mass_market", "wanted": 4, "capacity": 1,
                              "key_accounts": 2, "first_half": 4, "first_half_share": 0.4}
    text = capacity_text(note)
    assert "selected 4 customers" in text and "capacity of 1" in text
    assert "first half of the value needs 4 customers (40.0%" in text
    assert "mass market" in text and "segment it" in text


def test_default_capacity_on_a_mass_market(db) -> None:
    """120 equal customers: the first half of the value needs 60; 50 are key."""
    store(db, [(f"c{i:03d}", d("2024-03-01"), 10.0) for i in range(120)])
    res = analyze(db, "t")
    c = res.customers
    assert res.key_wanted == 60
    assert int(c["key_account"].sum()) == 50
    assert list(c.loc[c["over_capacity"], "customer_id"]) == [f"c{i:03d}" for i in range(50, 60)]
    note = res.capacity_note
    assert (note.wanted, note.key_accounts, note.first_half) == (60, 50, 60)
    assert note.first_half_share == pytest.approx(0.5)
    assert "120" not in capacity_text(note) and "1,000" not in capacity_text(note)


def test_thousands_separators_in_the_sentence() -> None:
    from kam_analysis.analysis import CapacityNote

    note = CapacityNote("mass_market", 2262, 50, 50, 2262, 2262 / 23502)
    text = capacity_text(note)
    assert "2,262 customers" in text and "9.6%" in text


@pytest.mark.parametrize("capacity", [-1, 2.5, True, "50"])
def test_bad_capacity(ten, capacity) -> None:
    with pytest.raises(ValueError, match="capacity"):
        _run(ten, capacity)


def test_parameters_sheet_shows_the_capacity(ten) -> None:
    import io

    import openpyxl

    from kam_analysis.export import workbook_bytes

    res = analyze(ten, "t", AnalysisParams(abc_method="computed",
                                           key_rule=KeyRule(capacity=1)))
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(res)))
    params = {r[0].value: r[1].value for r in wb["Parameters"].iter_rows(min_row=2)}
    assert (params["Key-account capacity"], params["Customers the rule selects"],
            params["Key accounts"]) == (1, 4, 2)
    assert "capacity of 1" in params["Capacity note"]
    assert (params["Computed limit A: share of the customers"]
            == res.computed_limits["A"]["effort"])
    assert params["Computed limit C: share of the value"] == pytest.approx(
        res.computed_limits["C"]["yield"])
    assert wb["Key accounts"].max_row == 1 + 2
