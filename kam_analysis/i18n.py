"""The one translation layer for every user-facing text: gettext catalogues, per context.

Texts are written in English in the code and looked up by their English form, the
gettext way: ``t("Customers")``; counted texts use the language's plural rules:
``tn("{n} customer", "{n} customers", n, n=n)`` (Russian has three forms). Texts
defined as data (labels in :mod:`kam_analysis.vocabulary`) are marked with
:func:`N_` so the extractor finds them, and translated where they are shown.
Placeholders use ``str.format`` names, so a translator may reorder them.

The catalogues are ordinary gettext ``.po`` files, one per language, under
``kam_analysis/locale/<lang>/LC_MESSAGES/kam_analysis.po``; ``make messages``
extracts the texts with Babel into ``kam_analysis/locale/kam_analysis.pot`` and
merges them into every ``.po`` file. They are compiled in memory when first used.

The language belongs to the caller's context (a :class:`contextvars.ContextVar`),
never to the process: every Streamlit script run sets its session's language
first, the CLI sets ``--lang``; code that set none gets ``$KAM_LANG`` or English.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

#: The languages of the interface: code -> the language's own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ru": "Русский",
    "de": "Deutsch",
    "az": "Azərbaycanca",
    "vi": "Tiếng Việt",
    "fa": "فارسی",
}
DEFAULT_LANGUAGE = "en"
#: Languages written right to left.
RTL_LANGUAGES: frozenset[str] = frozenset({"fa"})
#: The Babel/CLDR locale of each language (number, currency and date formats).
LOCALES: dict[str, str] = {"en": "en_US", "ru": "ru_RU", "de": "de_DE", "az": "az_Latn_AZ",
                           "vi": "vi_VN", "fa": "fa_IR"}

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kam_analysis"

_current: ContextVar[str | None] = ContextVar("kam_language", default=None)
#: Per language, the texts its catalogue translates (filled when it is read).
_KNOWN: dict[str, frozenset[str]] = {}
#: Diagnostics, not state: texts looked up that a catalogue lacks (bounded).
_MISSING: set[tuple[str, str]] = set()
_MISSING_LIMIT = 10_000


def normalize_language(code: str | None) -> str | None:
    """Return the supported language a code or locale names, or ``None``.

    Accepts ``"ru"``, ``"ru-RU"``, ``"ru_RU"``, ``"DE"`` and the first entry of an
    ``Accept-Language`` list (``"fa-IR,fa;q=0.9"``).
    """
    if not code or not isinstance(code, str):
        return None
    base = code.split(",")[0].split(";")[0].strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def default_language() -> str:
    """The server's default language: ``$KAM_LANG`` when supported, else English."""
    return normalize_language(os.environ.get("KAM_LANG")) or DEFAULT_LANGUAGE


def set_language(code: str | None) -> str:
    """Select the language of this context (a Streamlit script run, a CLI call).

    Unknown codes fall back to :func:`default_language`. Returns the code in use.
    """
    chosen = normalize_language(code) or default_language()
    _current.set(chosen)
    return chosen


def get_language() -> str:
    """Return the language of this context (``$KAM_LANG`` or English when none was set)."""
    return _current.get() or default_language()


@contextmanager
def language(code: str | None) -> Iterator[str]:
    """Use ``code`` for the texts inside the ``with`` block, then restore the previous one."""
    token = _current.set(normalize_language(code) or default_language())
    try:
        yield _current.get() or DEFAULT_LANGUAGE
    finally:
        _current.reset(token)


def is_rtl(code: str | None = None) -> bool:
    """Whether the language (default: this context's) is written right to left."""
    return (code or get_language()) in RTL_LANGUAGES


def locale_name(code: str | None = None) -> str:
    """The Babel locale of the language (default: this context's), e.g. ``"de_DE"``."""
    return LOCALES[code or get_language()]


def catalogue_path(code: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English: the texts themselves).

    Untranslated and fuzzy entries are left out, so they fall back to English.
    """
    path = catalogue_path(code)
    if code == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # Babel only where a catalogue is read
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    _KNOWN[code] = frozenset(
        msg.id[0] if isinstance(msg.id, tuple) else msg.id for msg in catalog
        if msg.id and not msg.fuzzy and all(msg.string if isinstance(msg.string, tuple)
                                             else (msg.string,)))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


#: A number and its sign stay on one line: "3 × ", "≥ 10", "> {limit}" in a
#: catalogue's text get no-break spaces (the values filled in are left as they are)...
_UNBREAKABLE = re.compile(r"(?<=[\d}]) (?=×)|(?<=[≥≤<>]) (?=[\d{])")
#: ... and "30 %" is written as the language writes its own percentages: "30 %" with a
#: no-break space in German and Russian, "30%" in English, Azerbaijani, Vietnamese and
#: Persian (so that "21.7% of the customers bring 80% of revenue" reads as one style).
_BEFORE_PERCENT = re.compile(r"(?<=[\d}]) (?=[%٪])")


@functools.lru_cache(maxsize=16)
def _percent_gap(code: str) -> str:
    """What stands between a number and its percent sign in the language: a no-break
    space, or nothing (from the locale's percent pattern, as Babel formats numbers)."""
    from babel import Locale

    pattern = Locale.parse(code).percent_formats[None].pattern
    return "\u00a0" if re.search(r"[\s\u00a0\u202f]%", pattern) else ""


@functools.lru_cache(maxsize=4096)
def _typeset(text: str, code: str) -> str:
    return _UNBREAKABLE.sub("\u00a0", _BEFORE_PERCENT.sub(_percent_gap(code), text))


def t(text: str, /, **values: object) -> str:
    """Translate ``text`` into this context's language and fill its placeholders.

    Parameters
    ----------
    text : str
        The English text, used as the catalogue key.
    **values
        Values for ``{name}`` placeholders in the text.

    Returns
    -------
    str
        The translated, formatted text.
    """
    code = get_language()
    translated = _typeset(translations(code).gettext(text), code)
    if code != DEFAULT_LANGUAGE:
        _note_missing(code, text)
    return translated.format(**values) if values else translated


def tn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """Translate a counted text with the language's plural rules and fill it in.

    Parameters
    ----------
    singular, plural : str
        The English forms (``"{n} customer"``, ``"{n} customers"``).
    n : int
        The count that chooses the form.
    **values
        Values for the placeholders (usually ``n=n`` too).
    """
    code = get_language()
    translated = _typeset(translations(code).ngettext(singular, plural, n), code)
    if code != DEFAULT_LANGUAGE:
        _note_missing(code, singular)
    return translated.format(**values) if values else translated


def _note_missing(code: str, text: str) -> None:
    if text and text not in _KNOWN.get(code, ()) and len(_MISSING) < _MISSING_LIMIT:
        _MISSING.add((code, text))


def missing_texts() -> set[tuple[str, str]]:
    """The ``(language, English text)`` pairs looked up so far in this process that
    the language's catalogue lacks (shown in English): what the tests check is empty."""
    return set(_MISSING)


def forget_missing() -> None:
    """Clear :func:`missing_texts` (tests)."""
    _MISSING.clear()


def sentence_case(text: str) -> str:
    """Upper-case the first letter the way this context's language does (Azerbaijani:
    ``i`` -> ``İ``, not ``I``)."""
    if not text:
        return text
    first = text[0]
    if first == "i" and get_language() in _DOTTED_I:
        return "İ" + text[1:]
    return first.upper() + text[1:]


_DOTTED_I = frozenset({"az", "tr"})
# Languages whose nouns keep their capital letter inside a sentence.
_CAPITAL_NOUNS = frozenset({"de"})


def mid_sentence(text: str) -> str:
    """A label (``Revenue``) as a word inside a sentence: its first letter in lower case
    the way this context's language does (Azerbaijani: ``İ`` -> ``i``, ``I`` -> ``ı``),
    except in German, whose nouns keep their capital (``der Kennzahl Umsatz``)."""
    lang = get_language()
    if not text or lang in _CAPITAL_NOUNS:
        return text
    first = text[0]
    if lang in _DOTTED_I and first in "İI":
        return ("i" if first == "İ" else "ı") + text[1:]
    return first.lower() + text[1:]


def N_(text: str) -> str:
    """Mark a text defined as data for extraction; it is translated where shown."""
    return text
