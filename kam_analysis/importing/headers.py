"""Header names: matching a file's headers to the canonical fields (the names are
data in :mod:`kam_analysis.importing.header_vocabulary`), :func:`normalize_header`,
:func:`suggest_mapping` and :func:`unique_headers`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from kam_analysis.i18n import t
from kam_analysis.importing.header_vocabulary import (
    HEADER_NAMES,
    NAME_PARTS,
    NAME_WORDS,
    NET_WORDS,
    UNIT_WORDS,
    VAT_WORDS,
)
from kam_analysis.vocabulary import FIELD_NAMES

#: Letters that lose their mark without a Unicode decomposition, or are written
#: differently on different keyboards (Azerbaijani ə, dotless ı, Vietnamese đ,
#: Arabic yeh and kaf for the Persian ones, Persian and Arabic-Indic digits).
_FOLD = str.maketrans({"ə": "e", "ı": "i", "đ": "d", "ي": "ی", "ك": "ک", "ـ": None,
                       **{chr(0x06F0 + i): str(i) for i in range(10)},
                       **{chr(0x0660 + i): str(i) for i in range(10)}})


def normalize_header(text: str) -> str:
    """Return a header in the form used to match names: lower case, without
    diacritics (any normal form), punctuation and extra spaces removed
    (``"Кол-во, шт."`` -> ``"кол во шт"``, ``"Müştəri adı"`` -> ``"musteri adi"``,
    ``"Mã khách hàng"`` -> ``"ma khach hang"``; Arabic ي/ك -> Persian ی/ک)."""
    text = unicodedata.normalize("NFKD", str(text)).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_FOLD)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("№", " no ").replace("#", " # ")
    text = re.sub(r"[^\w#]+", " ", text)
    return " ".join(text.replace("_", " ").split())


def _spellings(name: str) -> tuple[str, ...]:
    """A name as written and with the usual substitutes: ə as a (Azerbaijani
    without its letter), ä/ö/ü as ae/oe/ue (German without umlauts)."""
    name = name.casefold()
    out = [name]
    if "ə" in name:
        out.append(name.replace("ə", "a"))
    if any(c in name for c in "äöü"):
        out.append(name.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue"))
    return tuple(out)


def _index(names: Sequence[str]) -> dict[str, int]:
    """Normalised name (also without spaces) -> its rank (the first one wins)."""
    index: dict[str, int] = {}
    for rank, name in enumerate(names):
        for spelling in _spellings(name):
            norm = normalize_header(spelling)
            index.setdefault(norm, rank)
            index.setdefault(norm.replace(" ", ""), rank)
    return index


#: Field -> normalised header name -> rank.
_NAMES: dict[str, dict[str, int]] = {
    field: _index([n for names in by_language.values() for n in names])
    for field, by_language in HEADER_NAMES.items()
}
_UNITS = frozenset(normalize_header(w) for w in UNIT_WORDS)
_VAT = frozenset(normalize_header(w) for w in VAT_WORDS)
_NET = frozenset(normalize_header(w) for w in NET_WORDS)
_NAME_WORDS = frozenset(normalize_header(w) for w in NAME_WORDS)
_OTHER_FIELDS = tuple(f for f in HEADER_NAMES if f not in ("customer_id", "customer_name"))


def _header_score(norm: str, names: dict[str, int]) -> tuple[int, int]:
    """(score, rank) of a normalised header for one field: score 2 = a name of the
    field (spaces aside), 1 = a name followed only by unit/currency words, else 0."""
    rank = names.get(norm, names.get(norm.replace(" ", "")))
    if rank is not None:
        return 2, rank
    words = norm.split()
    best: int | None = None
    for k in range(1, len(words)):
        rank = names.get(" ".join(words[:k]))
        if rank is None or (best is not None and rank >= best):
            continue
        rest = words[k:]
        if all(w in _UNITS or w.isdigit() for w in rest):
            has_vat = any(w in _VAT for w in rest)
            if not has_vat or any(w in _NET for w in rest):
                best = rank
    return (0, 0) if best is None else (1, best)


def _find(norms: Sequence[str], field_name: str, used: set[int]) -> int | None:
    best: tuple[int, int, int] | None = None  # (-score, alias rank, column)
    names = _NAMES[field_name]
    for i, norm in enumerate(norms):
        if i in used:
            continue
        score, rank = _header_score(norm, names)
        if score and (best is None or (-score, rank, i) < best):
            best = (-score, rank, i)
    return None if best is None else best[2]


def _says_name(norm: str) -> bool:
    return (any(w in norm for w in NAME_PARTS)
            or any(w in _NAME_WORDS for w in norm.split()))


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Suggest canonical field -> header from header names (six languages and ERP labels).

    An id column is preferred for ``customer_id``; a name column then maps to
    ``customer_name`` (with only a name column, it becomes the customer id).

    Parameters
    ----------
    headers : sequence of str
        The source headers.

    Returns
    -------
    dict
        Field -> header for every field found.
    """
    norms = [normalize_header(h) for h in headers]
    used: set[int] = set()
    found: dict[str, int] = {}
    id_col = _find(norms, "customer_id", used)
    if id_col is not None:
        used.add(id_col)
    name_col = _find(norms, "customer_name", used)
    if name_col is not None:
        used.add(name_col)
    if id_col is not None:
        found["customer_id"] = id_col
        if name_col is not None:
            found["customer_name"] = name_col
    elif name_col is not None:
        found["customer_id"] = name_col
        other = _find(norms, "customer_name", used)
        if other is not None:
            # Two customer columns and no id-like name ("Kunde", "Kundenname"): the one
            # called a name holds names, the other one identifies the customer.
            used.add(other)
            named = [c for c in (name_col, other) if _says_name(norms[c])]
            name_side = named[0] if len(named) == 1 else other
            found["customer_id"] = other if name_side == name_col else name_col
            found["customer_name"] = name_side
    for field_name in _OTHER_FIELDS:
        col = _find(norms, field_name, used)
        if col is not None:
            found[field_name] = col
            used.add(col)
    return {f: headers[found[f]] for f in FIELD_NAMES if f in found}


def _header_matches(cells: Sequence[str]) -> int:
    """How many canonical fields a row of cells names (used to find the header row)."""
    norms = [normalize_header(c) for c in cells if c is not None and str(c).strip()]
    if not norms:
        return 0
    return sum(1 for names in _NAMES.values()
               if any(_header_score(n, names)[0] for n in norms))


def unique_headers(cells: Sequence[object]) -> tuple[str, ...]:
    """Clean header cells: empty -> ``Column N``; duplicates -> ``Sum``, ``Sum (2)``."""
    out: list[str] = []
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) if cell is not None else ""
        if not name:
            name = t("Column {n}", n=i + 1)
        if name.casefold() in taken:
            k = 2
            while f"{name} ({k})".casefold() in taken:
                k += 1
            name = f"{name} ({k})"
        taken.add(name.casefold())
        out.append(name)
    return tuple(out)
