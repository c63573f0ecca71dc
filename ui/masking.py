"""Demo masking (:mod:`kam_analysis.masking`): one Masker per session.

While the sidebar toggle is on, every page, chart and export of the session
shows stable pseudonyms instead of customer names and ids.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from kam_analysis import analysis as engine
from kam_analysis.i18n import t
from kam_analysis.masking import Masker

K_MASK = "sb_mask"              # the sidebar toggle
K_MASKER = "ui_masker"          # this session's Masker (its salt never leaves the server)
K_MASK_MEMO = "ui_mask_memo"    # masked results of this session, by what they mask
_MEMO_SIZE = 8


QUERY_MASK = "mask"             # the address keeps masking on across refreshes: ?mask=1
ENV_FORCE = "KAM_FORCE_MASKING"  # a demo server: masking always on, the toggle disabled
_TRUE = {"1", "true", "yes", "on"}


def forced() -> bool:
    """True when the server forces masking on: ``KAM_FORCE_MASKING=1`` in the environment
    or ``force_masking = true`` in the secrets (top level or in ``[masking]`` as ``force``)."""
    if str(os.environ.get(ENV_FORCE, "")).strip().lower() in _TRUE:
        return True
    try:
        section = st.secrets.get("masking") or {}
        value = st.secrets.get("force_masking", section.get("force", False))
    except Exception:  # no secrets file, or one that cannot be read (the gate says so)
        return False
    return value is True or str(value).strip().lower() in _TRUE


def masking() -> bool:
    """True while the session shows pseudonyms instead of customer names and ids (always
    when the server forces it: no session state can switch it off then)."""
    return forced() or bool(st.session_state.get(K_MASK))


def read_from_url() -> None:
    """On a session's first run, switch masking on when the address says ``mask=1``."""
    if st.query_params.get(QUERY_MASK) == "1":
        st.session_state[K_MASK] = True


def masker() -> Masker:
    """Return the session's Masker (made on first use with a random salt)."""
    found = st.session_state.get(K_MASKER)
    if not isinstance(found, Masker):
        found = Masker.random()
        st.session_state[K_MASKER] = found
    return found


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with customer id and name columns pseudonymised while masking is on."""
    return masker().mask_frame(df) if masking() else df


def customer_label(customer_id: object, name: object = None) -> str:
    """Return how to show a customer: its name (or id), or its pseudonym while masking."""
    if masking():
        return masker().customer_label(customer_id)
    if isinstance(name, str) and name:
        return name
    return str(customer_id)


def shown_id(customer_id: object) -> str:
    """Return how to show a customer id: itself, or ``C-…`` while masking."""
    return masker().customer_id_label(customer_id) if masking() else str(customer_id)


def real_id(shown: object) -> str:
    """Return the customer id behind a shown id (a pseudonym while masking)."""
    if masking():
        found = masker().real_id(shown)
        if found is not None:
            return found
    return str(shown)


def hidden_note() -> str:
    """The text shown instead of free text while names are masked."""
    return t("hidden while names are masked")


#: A reject reason quoting one value: ``column 'Umsatz': 'ACME' is not a number``.
_REASON_VALUE = re.compile(r"^(column '[^']*': )'(.*)'( [^']*)$", re.S)
#: A quoted stretch: from a quote to the next quote followed by a space, punctuation or
#: the end; a column name (``column 'Umsatz'``) is kept.
_QUOTED = re.compile(r"(column )?'(.*?)'(?=[\s,.;:)\]]|$)", re.S)


def mask_message(text: object) -> str:
    """Return an import message (a reject reason, a warning, an error) with every value
    it quotes from the file hidden; column names and the message itself stay.

    ``column 'Umsatz': 'ACME' is not a number`` becomes ``column 'Umsatz':
    '(hidden while names are masked)' is not a number``; details in parentheses after
    a broken row (which quote the line) are hidden too.
    """
    message = "" if text is None else str(text)
    hidden = hidden_note()
    found = _REASON_VALUE.match(message)
    if found:
        return f"{found.group(1)}'{hidden}'{found.group(3)}"
    if "(" in message and message.rstrip().endswith(")") and "'" not in message:
        return message[:message.index("(")] + f"({hidden})"
    return _QUOTED.sub(lambda m: m.group(0) if m.group(1) else f"'{hidden}'", message)


def shown_message(text: object) -> str:
    """Return ``text`` as this session may show it: :func:`mask_message` while masking."""
    return mask_message(text) if masking() else ("" if text is None else str(text))


def keep_choice() -> None:
    """Keep the masking choice even in runs that do not draw the toggle."""
    if K_MASK in st.session_state:
        st.session_state[K_MASK] = st.session_state[K_MASK]


def memo(key: tuple, make: Callable[[], Any]) -> Any:
    """Return the session's masked result for ``key`` (made by ``make`` on a miss)."""
    found = st.session_state.setdefault(K_MASK_MEMO, {})
    if key not in found:
        if len(found) >= _MEMO_SIZE:
            found.pop(next(iter(found)))
        found[key] = make()
    return found[key]


def mask_analysis(result: engine.Analysis) -> engine.Analysis:
    """Return ``result`` with its customers and the largest customer pseudonymised."""
    m = masker()
    customers = m.mask_frame(result.customers)
    c = result.concentration
    if c.top_customer_id is not None:
        top_id: str | None = m.customer_id_label(c.top_customer_id)
        top_name: str | None = m.customer_label(c.top_customer_id)
    else:
        top_id = None
        top_name = None if c.top_customer_name is None else m.name_label(c.top_customer_name)
    concentration = dataclasses.replace(c, top_customer_id=top_id, top_customer_name=top_name)
    return dataclasses.replace(result, customers=customers, concentration=concentration)
