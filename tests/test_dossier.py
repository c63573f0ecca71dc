"""Account dossiers: stored per customer id, validated, kept across re-imports."""

from __future__ import annotations

from datetime import date

import pytest

from kam_analysis.db import replace_dataset
from kam_analysis.demo import generate_demo
from kam_analysis.dossier import (
    EVENT_KINDS,
    Dossier,
    add_event,
    get_dossier,
    list_events,
    save_dossier,
)


def test_missing_dossier_is_empty(db) -> None:
    assert get_dossier(db, "C1") == Dossier(customer_id="C1")
    assert list_events(db, "C1").empty


def test_save_and_read_back(db) -> None:
    people = [
        {"name": "Olga Ivanova", "role": "Head of purchasing", "attitude": "supporter"},
        {"name": "", "role": None, "attitude": ""},  # empty editor row: dropped
        {"name": "Max Braun", "role": "CFO", "attitude": None},
    ]
    saved = save_dossier(
        db, "C1", general="Family-owned, 3 plants", decision_makers=people,
        competitors="Würth, Hilti", next_review=date(2026, 12, 1), next_steps="Call",
        updated_by="anna",
    )
    got = get_dossier(db, "C1")
    assert got == saved
    assert got.general == "Family-owned, 3 plants"
    assert got.competitors == "Würth, Hilti"
    assert got.next_review == date(2026, 12, 1)
    assert got.decision_makers == (
        {"name": "Olga Ivanova", "role": "Head of purchasing", "influence": "",
         "attitude": "supporter"},
        {"name": "Max Braun", "role": "CFO", "influence": "", "attitude": ""},
    )
    assert got.updated_at is not None and got.updated_by == "anna"
    # Saving again replaces, never duplicates.
    save_dossier(db, "C1", general="changed")
    again = get_dossier(db, "C1")
    assert again.general == "changed" and again.decision_makers == () and again.next_review is None
    assert get_dossier(db, "C2") == Dossier(customer_id="C2")


def test_events_newest_first_and_per_customer(db) -> None:
    add_event(db, "C1", date(2025, 3, 1), "tender", "Spring tender")
    add_event(db, "C1", date(2025, 6, 1), "win", "Won lot 2")
    add_event(db, "C2", date(2025, 7, 1), "meeting", "")
    events = list_events(db, "C1")
    assert list(events["event_date"]) == [date(2025, 6, 1), date(2025, 3, 1)]
    assert list(events["kind"]) == ["win", "tender"]
    assert list(events["note"]) == ["Won lot 2", "Spring tender"]
    assert len(list_events(db, "C2")) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: add_event(db, "C1", date(2025, 1, 1), "party"), "Unknown event kind"),
        (lambda db: add_event(db, "C1", "2025-01-01", "win"), "must be a date"),
        (lambda db: add_event(db, " ", date(2025, 1, 1), "win"), "customer id is empty"),
        (lambda db: save_dossier(db, "C1", decision_makers=[{"role": "CEO"}]), "has no name"),
        (lambda db: save_dossier(db, "C1", decision_makers=[{"name": "A", "attitude": "x"}]),
         "unknown attitude"),
        (lambda db: save_dossier(db, "C1", general="x" * 20_001), "longer than"),
        (lambda db: save_dossier(db, "C1", next_review="soon"), "must be a date"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(db, call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(db)
    assert get_dossier(db, "C1") == Dossier(customer_id="C1")
    assert list_events(db, "C1").empty


def test_dossier_survives_reimport(db) -> None:
    frame = generate_demo(customers=5, years=2)
    replace_dataset(db, "Sales", [frame])
    customer = str(frame["customer_id"].iloc[0])
    save_dossier(db, customer, general="kept")
    add_event(db, customer, date(2026, 1, 5), "delivery", "first")
    replace_dataset(db, "Sales", [frame])  # re-import replaces the dataset
    assert get_dossier(db, customer).general == "kept"
    assert list(list_events(db, customer)["kind"]) == ["delivery"]


def test_every_kind_is_accepted(db) -> None:
    for i, kind in enumerate(EVENT_KINDS):
        add_event(db, "C9", date(2025, 1, 1 + i), kind)
    assert sorted(list_events(db, "C9")["kind"]) == sorted(EVENT_KINDS)
