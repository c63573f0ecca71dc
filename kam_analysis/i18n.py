"""The one translation function for every user-facing text.

Texts are written in English in the code and looked up by their English form,
gettext-style: ``t("Customers")``. Placeholders use ``str.format`` names:
``t("{n} customers", n=12)``. Catalogs for other languages map the English
text to the translation; a missing entry falls back to English, so adding a
language never breaks a page.
"""

from __future__ import annotations

import os

LANGUAGES: dict[str, str] = {"en": "English"}

# language code -> {English text: translation}. Russian and German will follow.
_CATALOGS: dict[str, dict[str, str]] = {"en": {}}

_language = os.environ.get("KAM_LANG", "en")


def set_language(code: str) -> None:
    """Select the language for :func:`t` (unknown codes fall back to English).

    Parameters
    ----------
    code : str
        Language code such as ``"en"``.
    """
    global _language
    _language = code if code in _CATALOGS else "en"


def get_language() -> str:
    """Return the language code in use."""
    return _language


def t(text: str, /, **values: object) -> str:
    """Translate ``text`` into the current language and fill its placeholders.

    Parameters
    ----------
    text : str
        The English text, used as the catalog key.
    **values
        Values for ``{name}`` placeholders in the text.

    Returns
    -------
    str
        The translated, formatted text.
    """
    translated = _CATALOGS.get(_language, {}).get(text, text)
    return translated.format(**values) if values else translated
