"""Account dossiers: what the key account manager knows about a customer.

A dossier is kept per customer id, independent of datasets, so it survives
re-imports. It holds general information, the contact map (one row per decision
maker: name, role, influence on the decision, attitude to us), competitors, the
next review date, next steps (step, owner, due date), the three P's of a
perspective account (need for the offer, ability to pay, authority to decide) and
a relationship history of dated events (deliveries, tenders, wins, losses, meetings).
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

#: How much a decision maker weighs in the buying decision.
INFLUENCES: tuple[str, ...] = ("decides", "high", "medium", "low", "unknown")

#: Keys of one decision-maker entry (a row of the contact map).
DECISION_MAKER_FIELDS: tuple[str, ...] = ("name", "role", "influence", "attitude")

#: Keys of one next step; ``due`` is a date or None.
NEXT_STEP_FIELDS: tuple[str, ...] = ("step", "owner", "due")

#: The three P's of a perspective account, in order.
THREE_PS: tuple[str, ...] = ("need", "ability_to_pay", "authority")

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
        The contact map: one dict per person with keys ``name``, ``role``,
        ``influence`` (one of :data:`INFLUENCES` or empty) and ``attitude``.
    competitors : str
        Competitors active at this customer (free text).
    next_review : date or None
        When the account is reviewed next.
    next_steps : tuple of dict
        Agreed next steps: dicts with ``step``, ``owner`` (str) and ``due`` (date or
        None). The free text of earlier versions comes back as one step.
    need, ability_to_pay, authority : str
        The three P's of a perspective account (free text each).
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
    next_steps: tuple[dict[str, object], ...] = field(default_factory=tuple)
    need: str = ""
    ability_to_pay: str = ""
    authority: str = ""
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


def _cell(value: object) -> str:
    """One text cell of an editor row: None and NaN become ``""``."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def _clean_people(people: Iterable[Mapping[str, object]]) -> tuple[dict[str, str], ...]:
    cleaned = []
    for number, person in enumerate(people, start=1):
        if not isinstance(person, Mapping):
            raise ValueError(
                f"Decision maker {number} is not a record of name, role, influence, attitude.")
        entry = {}
        for key in DECISION_MAKER_FIELDS:
            entry[key] = _cell(person.get(key))
        if not any(entry.values()):
            continue  # an empty row of the editor
        if not entry["name"]:
            raise ValueError(f"Decision maker {number} has no name.")
        if entry["influence"] and entry["influence"] not in INFLUENCES:
            raise ValueError(
                f"Decision maker {entry['name']!r} has an unknown influence "
                f"{entry['influence']!r}; use one of {', '.join(INFLUENCES)}."
            )
        if entry["attitude"] and entry["attitude"] not in ATTITUDES:
            raise ValueError(
                f"Decision maker {entry['name']!r} has an unknown attitude "
                f"{entry['attitude']!r}; use one of {', '.join(ATTITUDES)}."
            )
        cleaned.append(entry)
    return tuple(cleaned)


def _as_date(value: object, what: str) -> date | None:
    if value is None or value == "" or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what} must be a date.")


def _clean_steps(steps: str | Iterable[Mapping[str, object]] | None
                 ) -> tuple[dict[str, object], ...]:
    if steps is None:
        return ()
    if isinstance(steps, str):  # the free text of earlier versions: one step
        text = _clean_text(steps, "The next steps text").strip()
        return ({"step": text, "owner": "", "due": None},) if text else ()
    cleaned: list[dict[str, object]] = []
    for number, row in enumerate(steps, start=1):
        if not isinstance(row, Mapping):
            raise ValueError(f"Next step {number} is not a record of step, owner, due date.")
        texts = {key: _cell(row.get(key)) for key in ("step", "owner")}
        due = _as_date(row.get("due"), f"The due date of next step {number}")
        if not texts["step"] and not texts["owner"] and due is None:
            continue  # an empty row of the editor
        if not texts["step"]:
            raise ValueError(f"Next step {number} has no text.")
        cleaned.append({"step": _clean_text(texts["step"], "A next step"),
                        "owner": texts["owner"], "due": due})
    return tuple(cleaned)


def _load_steps(stored: str | None, legacy: str | None) -> tuple[dict[str, object], ...]:
    """Read the stored steps (JSON rows), or the legacy free text of schema 1-3."""
    try:
        loaded = json.loads(stored) if stored else None
        if isinstance(loaded, list):
            return _clean_steps(loaded)
    except (ValueError, TypeError):
        return ()  # unreadable: show none rather than fail
    return _clean_steps(legacy or "")


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
    (_, general, people, competitors, next_review, legacy_steps, updated_at, updated_by,
     steps, need, ability_to_pay, authority) = row
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
        next_steps=_load_steps(steps, legacy_steps),
        need=need or "",
        ability_to_pay=ability_to_pay or "",
        authority=authority or "",
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
    next_steps: str | Iterable[Mapping[str, object]] | None = (),
    need: str | None = "",
    ability_to_pay: str | None = "",
    authority: str | None = "",
    updated_by: str | None = None,
) -> Dossier:
    """Store the dossier of ``customer_id``, replacing the previous version.

    Parameters
    ----------
    db, customer_id
        As in :func:`get_dossier`.
    general, competitors, need, ability_to_pay, authority : str
        Free texts (at most 20,000 characters each).
    decision_makers : iterable of mappings
        The contact map: records with keys ``name``, ``role``, ``influence`` (one
        of :data:`INFLUENCES` or empty) and ``attitude`` (one of :data:`ATTITUDES`
        or empty); completely empty records are dropped.
    next_steps : iterable of mappings or str
        Records with keys ``step``, ``owner``, ``due`` (a date, an ISO date text or
        empty); completely empty records are dropped. A text is one step.
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
        without a name or with an unknown influence or attitude, a next step
        without text or with a due date that is not a date, or a next review that
        is not a date.
    """
    _check_customer_id(customer_id)
    if next_review is not None and not isinstance(next_review, date):
        raise ValueError("The next review must be a date.")
    if isinstance(next_review, datetime):
        next_review = next_review.date()
    people = _clean_people(decision_makers)
    step_rows = _clean_steps(next_steps)
    values = {
        "general": _clean_text(general, "The general information"),
        "competitors": _clean_text(competitors, "The competitors text"),
        "need": _clean_text(need, "The need for the offer"),
        "ability_to_pay": _clean_text(ability_to_pay, "The ability to pay"),
        "authority": _clean_text(authority, "The authority to decide"),
    }
    stored_steps = [{**row, "due": row["due"].isoformat() if row["due"] else ""}
                    for row in step_rows]
    updated_at = notes.upsert_dossier(db, customer_id, {
        **values, "decision_makers": json.dumps(list(people), ensure_ascii=False),
        "next_review": next_review, "steps": json.dumps(stored_steps, ensure_ascii=False),
        "updated_by": updated_by,
    })
    return Dossier(
        customer_id=customer_id,
        decision_makers=people,
        next_review=next_review,
        next_steps=step_rows,
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
