"""Notes kept per customer id, independent of datasets so they survive
re-imports and dataset replacement: hand-set account tags and account dossiers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from kam_analysis.db.connection import Database


def account_tags(db: Database) -> dict[str, tuple[str, ...]]:
    """Return customer_id -> hand-set account tags (sorted)."""
    with db.read() as cur:
        return account_tags_in(cur)


def account_tags_in(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """Like :func:`account_tags`, inside the caller's read snapshot."""
    rows = cur.execute(
        "SELECT customer_id, list(tag ORDER BY tag) FROM account_tags GROUP BY customer_id"
    ).fetchall()
    return {cid: tuple(tags) for cid, tags in rows}


def replace_account_tags(db: Database, customer_id: str, tags: Iterable[str]) -> None:
    """Set the hand-set tags of one customer (replacing earlier ones) in one transaction."""
    with db.write() as cur:
        cur.execute("DELETE FROM account_tags WHERE customer_id = ?", [customer_id])
        for tag in sorted(set(tags)):
            cur.execute("INSERT INTO account_tags VALUES (?, ?)", [customer_id, tag])


_DOSSIER_COLUMNS = (
    "customer_id, general, decision_makers, competitors, next_review, next_steps, "
    "updated_at, updated_by, steps, need, ability_to_pay, authority"
)
_DOSSIER_VALUES = ("general", "decision_makers", "competitors", "next_review", "steps", "need",
                   "ability_to_pay", "authority", "updated_by")


def dossier_row(db: Database, customer_id: str) -> tuple[Any, ...] | None:
    """Return the stored dossier row of ``customer_id`` (columns as in the table) or None.

    The columns are those of ``_DOSSIER_COLUMNS``: the eight of schema 1, then ``steps``
    (JSON rows), ``need``, ``ability_to_pay`` and ``authority`` (schema 4).
    """
    with db.read() as cur:
        rows = cur.execute(
            f"SELECT {_DOSSIER_COLUMNS} FROM dossiers WHERE customer_id = ?",  # noqa: S608
            [customer_id],
        ).fetchall()
    return rows[0] if rows else None


def upsert_dossier(db: Database, customer_id: str, values: Mapping[str, Any]) -> datetime:
    """Insert or replace the dossier of ``customer_id``; return the stored ``updated_at``.

    ``values`` holds ``general, decision_makers, competitors, next_review, steps, need,
    ability_to_pay, authority, updated_by`` (the stored strings and date). The legacy
    ``next_steps`` text column is cleared: the steps live in ``steps``.
    """
    params = [customer_id, *(values.get(key) for key in _DOSSIER_VALUES)]
    with db.write() as cur:
        cur.execute(
            """INSERT INTO dossiers (customer_id, general, decision_makers, competitors,
                   next_review, steps, need, ability_to_pay, authority, updated_by,
                   next_steps, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', now()::TIMESTAMP)
               ON CONFLICT (customer_id) DO UPDATE SET
                   general = excluded.general,
                   decision_makers = excluded.decision_makers,
                   competitors = excluded.competitors,
                   next_review = excluded.next_review,
                   next_steps = excluded.next_steps,
                   steps = excluded.steps,
                   need = excluded.need,
                   ability_to_pay = excluded.ability_to_pay,
                   authority = excluded.authority,
                   updated_at = excluded.updated_at,
                   updated_by = excluded.updated_by""",
            params,
        )
        [(updated_at,)] = cur.execute(
            "SELECT updated_at FROM dossiers WHERE customer_id = ?", [customer_id]
        ).fetchall()
    db.checkpoint()
    return updated_at


def insert_dossier_event(
    db: Database, customer_id: str, event_date: date, kind: str, note: str | None
) -> None:
    """Append one relationship-history event to the dossier of ``customer_id``."""
    with db.write() as cur:
        cur.execute(
            "INSERT INTO dossier_events VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
            [customer_id, event_date, kind, note],
        )
    db.checkpoint()


def dossier_events(db: Database, customer_id: str) -> pd.DataFrame:
    """Return the events of ``customer_id``, newest first.

    Columns: ``event_date, kind, note, created_at``.
    """
    with db.read() as cur:
        return cur.execute(
            "SELECT event_date, kind, note, created_at FROM dossier_events "
            "WHERE customer_id = ? ORDER BY event_date DESC, created_at DESC",
            [customer_id],
        ).df()
