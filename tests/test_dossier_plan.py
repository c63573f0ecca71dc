"""The dossier's contact map, next steps with owner and due date, and the three P's:
round trip, carried over from schema 3, kept across re-imports, editors only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kam_analysis.db import open_database, replace_dataset
from kam_analysis.demo import generate_demo
from kam_analysis.dossier import get_dossier, save_dossier

PEOPLE = [
    {"name": "Olga Ivanova", "role": "Head of purchasing", "influence": "decides",
     "attitude": "supporter"},
    {"name": "Max Braun", "role": "CFO", "influence": "high", "attitude": "critic"},
    {"name": None, "role": None, "influence": None, "attitude": None},  # empty editor row
]
STEPS = [
    {"step": "Send the offer", "owner": "Anna", "due": date(2026, 2, 1)},
    {"step": "Plant visit", "owner": "Ben", "due": "2026-03-15"},
    {"step": "", "owner": None, "due": None},  # empty editor row
]


def _save(db, customer: str = "C1"):
    return save_dossier(db, customer, decision_makers=PEOPLE, next_steps=STEPS,
                        need="New plant in 2026", ability_to_pay="Budget approved",
                        authority="CFO signs above 50k", updated_by="anna")


def test_contact_map_steps_and_three_ps_round_trip(db) -> None:
    saved = _save(db)
    got = get_dossier(db, "C1")
    assert got == saved
    assert got.decision_makers == tuple(PEOPLE[:2])
    assert got.next_steps == (
        {"step": "Send the offer", "owner": "Anna", "due": date(2026, 2, 1)},
        {"step": "Plant visit", "owner": "Ben", "due": date(2026, 3, 15)},
    )
    assert (got.need, got.ability_to_pay, got.authority) == (
        "New plant in 2026", "Budget approved", "CFO signs above 50k")
    save_dossier(db, "C1", general="only this")  # replaces, never merges
    again = get_dossier(db, "C1")
    assert again.next_steps == () and again.need == "" and again.decision_makers == ()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"decision_makers": [{"name": "A", "influence": "huge"}]}, "unknown influence"),
    ({"next_steps": [{"owner": "Anna"}]}, "has no text"),
    ({"next_steps": [{"step": "x", "due": "someday"}]}, "must be a date"),
    ({"need": "x" * 20_001}, "longer than"),
])
def test_bad_rows_are_refused(db, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        save_dossier(db, "C1", **kwargs)
    assert get_dossier(db, "C1").updated_at is None


def test_legacy_free_text_steps_come_back_as_one_step(db) -> None:
    save_dossier(db, "C1", next_steps="Call the CFO")
    assert get_dossier(db, "C1").next_steps == (
        {"step": "Call the CFO", "owner": "", "due": None},)


def test_schema_3_dossier_is_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    database = open_database(path)
    with database.write() as cur:  # a dossier as schema 3 stored it
        cur.execute("ALTER TABLE dossiers DROP COLUMN steps")
        for column in ("need", "ability_to_pay", "authority"):
            cur.execute(f"ALTER TABLE dossiers DROP COLUMN {column}")
        cur.execute("""INSERT INTO dossiers VALUES ('C1', 'old', '[{"name": "Olga",
            "role": "CEO", "attitude": "neutral"}]', 'Hilti', DATE '2026-01-01',
            'Call in spring', now()::TIMESTAMP, 'anna')""")
        cur.execute("DROP TABLE sales_monthly")  # schema 5
        cur.execute("ALTER TABLE transactions DROP COLUMN row_count")  # schema 6
        cur.execute("CREATE TABLE sales_daily (dataset_id BIGINT, customer_id VARCHAR, "
                    "order_date DATE, region VARCHAR, manager VARCHAR, revenue DOUBLE, "
                    "margin DOUBLE, quantity DOUBLE, row_count BIGINT)")  # until schema 6
        cur.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    database.close()
    database = open_database(path)
    try:
        got = get_dossier(database, "C1")
        assert got.general == "old" and got.competitors == "Hilti"
        assert got.decision_makers == (
            {"name": "Olga", "role": "CEO", "influence": "", "attitude": "neutral"},)
        assert got.next_steps == ({"step": "Call in spring", "owner": "", "due": None},)
        assert got.need == got.ability_to_pay == got.authority == ""
    finally:
        database.close()


def test_plan_survives_reimport(db) -> None:
    frame = generate_demo(customers=5, years=2)
    replace_dataset(db, "Sales", [frame])
    customer = str(frame["customer_id"].iloc[0])
    saved = _save(db, customer)
    replace_dataset(db, "Sales", [frame])
    assert get_dossier(db, customer) == saved


@pytest.mark.usefixtures("navigation_mode")
def test_viewer_sees_the_plan_but_cannot_edit(app_db) -> None:
    from streamlit.testing.v1 import AppTest

    from kam_analysis.auth import hash_password
    from tests.test_pages import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = {"password_hash": hash_password("viewer-secret-1", n=2**10),
                          "editor_password_hash": hash_password("editor-secret-2", n=2**10)}
    at.run()
    at.text_input[0].input("viewer-secret-1")
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert at.session_state["auth_role"] == "viewer"
    at.switch_page("pages/dossier.py").run()
    assert not at.exception
    customer = at.selectbox(key="dos_customer").value
    _save(app_db, customer)
    at.run()
    assert "Save dossier" not in [b.label for b in at.button] and not at.text_area
    views = [df.value for df in at.dataframe]
    assert any("Influence on the decision" in v.columns and len(v) == 2 for v in views)
    assert any("Owner" in v.columns and list(v["Owner"]) == ["Anna", "Ben"] for v in views)
    assert any("Budget approved" in md.value for md in at.markdown)
