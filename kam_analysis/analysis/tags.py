"""Hand-set account types (tags), kept per customer id across re-imports."""

from __future__ import annotations

from collections.abc import Iterable

from kam_analysis.db import Database, notes
from kam_analysis.vocabulary import MANUAL_TAGS


def get_tags(db: Database) -> dict[str, tuple[str, ...]]:
    """Return customer_id -> hand-set account types (kept across re-imports)."""
    return notes.account_tags(db)


def set_tags(db: Database, customer_id: str, tags: Iterable[str]) -> None:
    """Replace the hand-set account types of one customer.

    Parameters
    ----------
    customer_id : str
        Customer id (any dataset: tags are kept per id).
    tags : iterable of str
        Subset of ``vocabulary.MANUAL_TAGS``; empty clears the customer's tags.

    Raises
    ------
    ValueError
        For an unknown tag or an empty customer id.
    """
    cid = str(customer_id)
    if not cid.strip():
        raise ValueError("The customer id is empty.")
    tags = list(tags)
    unknown = sorted({t for t in tags if t not in MANUAL_TAGS})
    if unknown:
        raise ValueError(
            f"Unknown account type(s) {', '.join(unknown)}; use {', '.join(MANUAL_TAGS)}."
        )
    notes.replace_account_tags(db, cid, tags)
