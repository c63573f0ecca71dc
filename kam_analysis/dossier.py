"""Account dossiers: what the key account manager knows about a customer.

A dossier is kept per customer id, independent of datasets, so it survives
re-imports. It holds general information, the decision makers (name, role,
attitude), competitors, the next review date, next steps, and a relationship
history of dated events (deliveries, tenders, wins, losses, meetings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from kam_analysis.db import Database, notes

#: Kinds of relationship-history events.
EVENT_KINDS: tuple[str, ...] = ("delivery", "tender", "win", "loss", "meeting", "other")

#: Attitudes a decision maker can have towards us.
ATTITUDES: tuple[str, ...] = ("supporter", "neutral", "critic", "unknown")

#: Keys of one decision-maker entry.
DECISION_MAKER_FIELDS: tuple[str, ...] = ("name", "role", "attitude")

_MAX_TEXT = 20_000


@dataclass(frozen=True)
class Dossier:
    """The dossier of one customer.

    Attributes
    ----------
    customer_id : str
        The customer the dossier belongs to.
    general : str
        General information (free text).
    decision_makers : tuple of dict
        One dict per person with keys ``name``, ``role``, ``attitude``.
    competitors : str
        Competitors active at this customer (free text).
    next_review : date or None
        When the account is reviewed next.
    next_steps : str
        Agreed next steps (free text).
    updated_at : datetime or None
        When the dossier was last saved (None if never saved).
    updated_by : str or None
        Who saved it last, if known.
    """

    customer_id: str
    general: str = ""
    decision_makers: tuple[dict[str, str], ...] = field(default_factory=tuple)
    competitors: str = ""
    next_review: date | None = None
    next_steps: str = ""
    updated_at: datetime | None = None
    updated_by: str | None = None


def _check_customer_id(customer_id: str) -> str:
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise ValueError("The customer id is empty.")
    return customer_id


def _clean_text(value: str | None, what: str) -> str:
    text = "" if value is None else str(value)
    if len(text) > _MAX_TEXT:
        raise ValueError(f"{what} is longer than {_MAX_TEXT:,} characters.")
    return text


def _clean_people(people: Iterable[Mapping[str, object]]) -> tuple[dict[str, str], ...]:
    cleaned = []
    for number, person in enumerate(people, start=1):
        if not isinstance(person, Mapping):
            raise ValueError(f"Decision maker {number} is not a record of name, role, attitude.")
        entry = {}
        for key in DECISION_MAKER_FIELDS:
            value = person.get(key)
            entry[key] = "" if value is None or pd.isna(value) else str(value).strip()
        if not any(entry.values()):
            continue  # an empty row of the editor
        if not entry["name"]:
            raise ValueError(f"Decision maker {number} has no name.")
        if entry["attitude"] and entry["attitude"] not in ATTITUDES:
            raise ValueError(
                f"Decision maker {entry['name']!r} has an unknown attitude "
                f"{entry['attitude']!r}; use one of {', '.join(ATTITUDES)}."
            )
        cleaned.append(entry)
    return tuple(cleaned)


def get_dossier(db: Database, customer_id: str) -> Dossier:
    """Return the dossier of ``customer_id`` (an empty one if none was saved).

    Parameters
    ----------
    db : Database
        The database.
    customer_id : str
        The customer id (as in the sales data).

    Returns
    -------
    Dossier
        The stored dossier, or an empty dossier with ``updated_at`` None.

    Raises
    ------
    ValueError
        If ``customer_id`` is empty.
    """
    _check_customer_id(customer_id)
    row = notes.dossier_row(db, customer_id)
    if row is None:
        return Dossier(customer_id=customer_id)
    _, general, people, competitors, next_review, next_steps, updated_at, updated_by = row
    try:
        loaded = json.loads(people) if people else []
        decision_makers = _clean_people(loaded if isinstance(loaded, list) else [])
    except (ValueError, TypeError):
        decision_makers = ()  # unreadable legacy text: show none rather than fail
    return Dossier(
        customer_id=customer_id,
        general=general or "",
        decision_makers=decision_makers,
        competitors=competitors or "",
        next_review=next_review,
        next_steps=next_steps or "",
        updated_at=updated_at,
        updated_by=updated_by,
    )


def save_dossier(
    db: Database,
    customer_id: str,
    *,
    general: str | None = "",
    decision_makers: Iterable[Mapping[str, object]] = (),
    competitors: str | None = "",
    next_review: date | None = None,
    next_steps: str | None = "",
    updated_by: str | None = None,
) -> Dossier:
    """Store the dossier of ``customer_id``, replacing the previous version.

    Parameters
    ----------
    db, customer_id
        As in :func:`get_dossier`.
    general, competitors, next_steps : str
        Free texts (at most 20,000 characters each).
    decision_makers : iterable of mappings
        Records with keys ``name``, ``role``, ``attitude`` (one of
        :data:`ATTITUDES` or empty); completely empty records are dropped.
    next_review : date, optional
        Next review date.
    updated_by : str, optional
        Who saves the dossier.

    Returns
    -------
    Dossier
        The dossier as stored.

    Raises
    ------
    ValueError
        For an empty customer id, a text that is too long, a decision maker
        without a name or with an unknown attitude, or a next review that is
        not a date.
    """
    _check_customer_id(customer_id)
    if next_review is not None and not isinstance(next_review, date):
        raise ValueError("The next review must be a date.")
    if isinstance(next_review, datetime):
        next_review = next_review.date()
    people = _clean_people(decision_makers)
    values = {
        "general": _clean_text(general, "The general information"),
        "competitors": _clean_text(competitors, "The competitors text"),
        "next_steps": _clean_text(next_steps, "The next steps text"),
    }
    updated_at = notes.upsert_dossier(
        db,
        customer_id,
        values["general"],
        json.dumps(list(people), ensure_ascii=False),
        values["competitors"],
        next_review,
        values["next_steps"],
        updated_by,
    )
    return Dossier(
        customer_id=customer_id,
        decision_makers=people,
        next_review=next_review,
        updated_at=updated_at,
        updated_by=updated_by,
        **values,
    )


def add_event(
    db: Database, customer_id: str, event_date: date, kind: str, note: str | None = ""
) -> None:
    """Add one event to the relationship history of ``customer_id``.

    Parameters
    ----------
    db, customer_id
        As in :func:`get_dossier`.
    event_date : date
        When it happened.
    kind : str
        One of :data:`EVENT_KINDS`.
    note : str, optional
        What happened (at most 20,000 characters).

    Raises
    ------
    ValueError
        For an empty customer id, an unknown kind, a date that is not a date or
        a note that is too long.
    """
    _check_customer_id(customer_id)
    if kind not in EVENT_KINDS:
        raise ValueError(f"Unknown event kind {kind!r}; use one of {', '.join(EVENT_KINDS)}.")
    if not isinstance(event_date, date):
        raise ValueError("The event date must be a date.")
    if isinstance(event_date, datetime):
        event_date = event_date.date()
    notes.insert_dossier_event(db, customer_id, event_date, kind, _clean_text(note, "The note"))


def list_events(db: Database, customer_id: str) -> pd.DataFrame:
    """Return the relationship history of ``customer_id``, newest first.

    Returns
    -------
    DataFrame
        Columns ``event_date`` (date), ``kind``, ``note``, ``created_at``;
        empty if there are no events.
    """
    _check_customer_id(customer_id)
    events = notes.dossier_events(db, customer_id)
    if len(events):
        events["event_date"] = pd.to_datetime(events["event_date"]).dt.date
    return events
