"""Demo masking: stable pseudonyms for customers, so real data can be shown safely.

A :class:`Masker` turns every customer id into a code derived from
HMAC-SHA256(salt, id), e.g. id ``"000123"`` -> code ``"4F7A2"``, shown as
``"C-4F7A2"`` in id columns and ``"Customer 4F7A2"`` in name columns. The same
id always gives the same code within one Masker (one session), in every table
and chart; another salt gives other codes, and without the salt the codes
cannot be traced back to the ids.

Codes are unique within a Masker: when two ids share the first five hex digits,
the one seen later (or, within one call, the one with the larger digest) gets
more digits of its own digest. Ids are converted with ``str`` before hashing,
so ``123`` and ``"123"`` are the same customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Iterable
from typing import Any

import pandas as pd

#: Hex digits in a code before collisions force more.
CODE_LENGTH = 5

_ID_COLUMN = re.compile(r"(^|_)customer_?id$", re.IGNORECASE)
_NAME_COLUMN = re.compile(r"(^|_)customer_?name$", re.IGNORECASE)


def is_customer_id_column(name: object) -> bool:
    """True for ``customer_id`` and names like ``top_customer_id`` or ``CustomerID``."""
    return isinstance(name, str) and bool(_ID_COLUMN.search(name))


def is_customer_name_column(name: object) -> bool:
    """True for ``customer_name`` and names like ``top_customer_name``."""
    return isinstance(name, str) and bool(_NAME_COLUMN.search(name))


class Masker:
    """Stable, unique pseudonyms for customer ids and names within one session.

    Parameters
    ----------
    salt : str
        Secret key of the HMAC. Keep it for the session (same salt -> same
        pseudonyms); a new salt gives new pseudonyms.

    Raises
    ------
    ValueError
        If ``salt`` is empty or not text.
    """

    def __init__(self, salt: str) -> None:
        if not isinstance(salt, str) or not salt:
            raise ValueError("The masking salt must be a non-empty string.")
        self._key = salt.encode("utf-8")
        self._codes: dict[str, str] = {}      # id -> code
        self._taken: set[str] = set()         # codes in use
        self._names: dict[str, str] = {}      # real name -> code of its customer
        self._ids: dict[str, str] = {}        # code -> id (for :meth:`real_id`)
        self._lock = threading.Lock()

    @classmethod
    def random(cls) -> Masker:
        """Return a Masker with a fresh secret salt (pseudonyms differ per session)."""
        return cls(secrets.token_hex(16))

    # ---- codes ------------------------------------------------------------------------

    def _digest(self, text: str) -> str:
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest().upper()

    def _assign(self, key: str, digest: str) -> str:
        """Give ``key`` the shortest free prefix of ``digest`` (caller holds the lock)."""
        for length in range(CODE_LENGTH, len(digest) + 1):
            code = digest[:length]
            if code not in self._taken:
                self._taken.add(code)
                self._codes[key] = code
                self._ids[code] = key
                return code
        # 64 equal hex digits would mean an HMAC-SHA256 collision; fall back to a counter.
        code = f"{digest}-{len(self._taken)}"
        self._taken.add(code)
        self._codes[key] = code
        self._ids[code] = key
        return code

    def code(self, customer_id: object) -> str:
        """Return the customer's code, e.g. ``"4F7A2"`` (assigned on first use)."""
        key = str(customer_id)
        with self._lock:
            found = self._codes.get(key)
            return found if found is not None else self._assign(key, self._digest(key))

    def register(self, customer_ids: Iterable[object]) -> None:
        """Assign codes to many ids at once, in an order that does not depend on theirs.

        New ids are taken by digest, so the same set of ids gets the same codes
        whatever order they come in.
        """
        with self._lock:
            fresh = {str(i) for i in customer_ids} - self._codes.keys()
            for digest, key in sorted((self._digest(k), k) for k in fresh):
                self._assign(key, digest)

    def customer_label(self, customer_id: object) -> str:
        """Return the display name that replaces the customer's name: ``"Customer 4F7A2"``."""
        return f"Customer {self.code(customer_id)}"

    def customer_id_label(self, customer_id: object) -> str:
        """Return the pseudonym that replaces the customer's id: ``"C-4F7A2"``."""
        return f"C-{self.code(customer_id)}"

    def real_id(self, pseudonym: object) -> str | None:
        """Return the id behind a pseudonym this Masker issued, or None.

        Accepts the id pseudonym (``"C-4F7A2"``); the app uses it to look up
        the customer a user picked from a masked list. Name pseudonyms and
        anything else give None.

        Parameters
        ----------
        pseudonym : object
            A value shown instead of a customer id.
        """
        if not isinstance(pseudonym, str) or not pseudonym.startswith("C-"):
            return None
        with self._lock:
            key = self._ids.get(pseudonym[2:])
        return None if key is None or key.startswith("\x00name\x00") else key

    def name_label(self, name: object) -> str:
        """Return the label for a customer name seen without its id.

        A name seen next to its id in :meth:`mask_frame` gets that customer's label;
        any other name gets a label of its own, derived from the name.
        """
        key = str(name)
        with self._lock:
            code = self._names.get(key)
        if code is None:
            code = self.code("\x00name\x00" + key)
        return f"Customer {code}"

    # ---- frames -----------------------------------------------------------------------

    def mask_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of ``df`` with every customer id and name column pseudonymised.

        Columns (and a named index) called ``customer_id``/``customer_name`` or
        ending in ``_customer_id``/``_customer_name`` (case-insensitive) are
        replaced; missing values stay missing. A name column next to an id column
        with the same prefix (``customer_name`` with ``customer_id``,
        ``top_customer_name`` with ``top_customer_id``) gets that id's label.

        Parameters
        ----------
        df : DataFrame
            Any result table.

        Returns
        -------
        DataFrame
            A new frame; ``df`` is not changed.
        """
        if not isinstance(df, pd.DataFrame):
            raise ValueError("mask_frame expects a pandas DataFrame.")
        out = df.copy()
        id_columns = [c for c in out.columns if is_customer_id_column(c)]
        name_columns = [c for c in out.columns if is_customer_name_column(c)]
        self.register(v for c in id_columns for v in out[c].dropna().unique())
        # Learn which name belongs to which customer before replacing anything.
        for name_col in name_columns:
            id_col = _partner(name_col, id_columns)
            if id_col is None:
                continue
            pairs = out[[id_col, name_col]].dropna().drop_duplicates()
            with self._lock:
                for cid, name in zip(pairs[id_col], pairs[name_col], strict=True):
                    self._names.setdefault(str(name), self._codes[str(cid)])
        for name_col in name_columns:
            id_col = _partner(name_col, id_columns)
            if id_col is not None:
                ids = out[id_col]
                names = out[name_col]
                out[name_col] = [
                    None if _missing(n) else
                    (self.name_label(n) if _missing(i) else self.customer_label(i))
                    for i, n in zip(ids, names, strict=True)
                ]
            else:
                out[name_col] = _map(out[name_col], self.name_label)
        for id_col in id_columns:
            out[id_col] = _map(out[id_col], self.customer_id_label)
        if is_customer_id_column(out.index.name):
            out.index = pd.Index(_map(out.index.to_series(), self.customer_id_label),
                                 name=out.index.name)
        elif is_customer_name_column(out.index.name):
            out.index = pd.Index(_map(out.index.to_series(), self.name_label),
                                 name=out.index.name)
        return out


def _partner(name_col: str, id_columns: list[Any]) -> Any:
    prefix = _NAME_COLUMN.sub("", name_col)
    for id_col in id_columns:
        if _ID_COLUMN.sub("", id_col) == prefix:
            return id_col
    return None


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _map(series: pd.Series, label: Any) -> list[str | None]:
    return [None if _missing(v) else label(v) for v in series]
