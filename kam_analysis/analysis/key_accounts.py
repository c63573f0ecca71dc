"""Key accounts (the key rule and its reasons) and account types (computed and hand-set)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kam_analysis.analysis.params import EPS, ROUND, KeyRule
from kam_analysis.analysis.ranking import Ranking
from kam_analysis.analysis.results import CapacityNote
from kam_analysis.formatting import fmt_count, fmt_pct
from kam_analysis.i18n import t
from kam_analysis.vocabulary import ACCOUNT_TYPES, KEY_REASONS, MANUAL_TAGS

#: A customer whose first purchase lies within this many days of the window end is new.
PERSPECTIVE_DAYS = 180
#: A customer with at least this share is always a key account, whatever the capacity.
ALWAYS_KEY_SHARE = 0.10
#: A breadwinner brings at least this share of the margin (or revenue without margin).
BREADWINNER_SHARE = 0.10


def key_reasons(r: Ranking, abc_idx: np.ndarray, window: tuple[date, date], rule: KeyRule
                ) -> dict[str, np.ndarray]:
    """One mask per code of ``vocabulary.KEY_REASONS`` (all False when that rule is off).

    Only customers in P (value > 0) can be key accounts.
    """
    n = len(r.values)
    off = np.zeros(n, dtype=bool)
    window_days = (window[1] - window[0]).days + 1
    bits = {
        "share": off if rule.min_share is None
        else np.round(r.share, ROUND) >= float(rule.min_share) - EPS,
        "cumulative": off if rule.cum_before is None
        else np.nan_to_num(r.cum_before, nan=2.0) < float(rule.cum_before) - EPS,
        "annual_value": off if rule.annual_value is None
        else r.values * 365.0 / window_days >= float(rule.annual_value),
        "top_n": off if rule.top_n is None else np.arange(1, n + 1) <= int(rule.top_n),
        "class_a": (abc_idx == 0) if rule.class_a else off,
    }
    return {code: bits[code] & r.positive for code in KEY_REASONS}


def key_account(reasons: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Whether any key reason holds."""
    return np.logical_or.reduce(list(reasons.values())) if n else np.zeros(n, dtype=bool)


def apply_capacity(wanted: np.ndarray, share: np.ndarray, capacity: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ``capacity`` key accounts (0 = no limit).

    Parameters
    ----------
    wanted : array of bool
        The customers the rule selects, in rank order.
    share : array of float
        Their shares of the total of P.
    capacity : int
        The capacity; 0 means no limit.

    Returns
    -------
    key, over_capacity : arrays of bool
        The key accounts: the ``capacity`` highest-ranked of ``wanted`` and any
        wanted customer with a share of at least :data:`ALWAYS_KEY_SHARE`; and
        the wanted customers the capacity left out.
    """
    wanted = np.asarray(wanted, dtype=bool)
    cap = int(capacity)
    if cap <= 0 or int(wanted.sum()) <= cap:
        return wanted, np.zeros(len(wanted), dtype=bool)
    position = np.cumsum(wanted)  # 1-based position among the wanted, in rank order
    big = np.round(np.asarray(share, dtype=float), ROUND) >= ALWAYS_KEY_SHARE - EPS
    key = wanted & ((position <= cap) | big)
    return key, wanted & ~key


def capacity_note(wanted: int, kept: int, capacity: int, positive_values_desc: np.ndarray
                  ) -> CapacityNote | None:
    """What the capacity did, when it left customers out (else ``None``).

    ``positive_values_desc`` are the values of P in rank order; the note says how
    many customers the first half of the value needs (and their share of P).
    """
    if kept >= wanted:
        return None
    values = np.asarray(positive_values_desc, dtype=float)
    cum = np.cumsum(values) / values.sum()
    first_half = int(np.argmax(cum >= 0.5 - EPS)) + 1
    return CapacityNote(code="mass_market", wanted=int(wanted), capacity=int(capacity),
                        key_accounts=int(kept), first_half=first_half,
                        first_half_share=first_half / len(values))


def capacity_text(note: CapacityNote) -> str:
    """The capacity note as a sentence for pages and the CLI (through ``t``)."""
    return t(
        "The rule selected {wanted} customers, more than the capacity of {capacity}: only "
        "the {kept} highest-ranked are key accounts, the others are flagged as over the "
        "capacity. The first half of the value needs {first_half} customers ({share} of the "
        "customers with a positive value): such a customer base looks like a mass market, "
        "which key account management alone does not fit; segment it instead.",
        wanted=fmt_count(note.wanted), capacity=fmt_count(note.capacity),
        kept=fmt_count(note.key_accounts), first_half=fmt_count(note.first_half),
        share=fmt_pct(note.first_half_share),
    )


def account_types(base: np.ndarray, first_purchase: np.ndarray, customer_ids: Any,
                  abc_idx: np.ndarray, positive: np.ndarray, end: date,
                  tags: dict[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """One mask per code of ``vocabulary.ACCOUNT_TYPES``.

    Parameters
    ----------
    base : array of float
        Margin per customer (revenue if the dataset has no margin).
    first_purchase : array of datetime64[D]
    customer_ids : Arrow array of str
    abc_idx : array of int
        ABC class index (0 = A, 1 = B, 2 = C).
    positive : array of bool
        Customers in P.
    end : date
        The window end.
    tags : dict
        customer_id -> hand-set account types.
    """
    n = len(base)
    off = np.zeros(n, dtype=bool)
    base_total = float(base[base > 0].sum())
    recent_first = first_purchase > np.datetime64(end - timedelta(days=PERSPECTIVE_DAYS), "D")
    bits = {
        "breadwinner": ((base > 0) & (base >= BREADWINNER_SHARE * base_total * (1 - EPS))
                        if base_total > 0 else off),
        "perspective": recent_first & (abc_idx <= 1) & positive,
    }
    for tag in MANUAL_TAGS:
        tagged = [cid for cid, codes in tags.items() if tag in codes]
        bits[tag] = (
            pc.is_in(customer_ids, value_set=pa.array(tagged, pa.large_string()))
            .to_numpy(zero_copy_only=False).astype(bool) if tagged and n else off)
    return {code: bits[code] for code in ACCOUNT_TYPES}
