"""Access control without Streamlit: who may open the app, and who may change data.

The app passes ``st.secrets`` (any mapping) to :meth:`AuthSettings.from_mapping`.
Everything lives in the ``[auth]`` section of ``.streamlit/secrets.toml``, next to
the keys Streamlit's own ``st.login`` reads (``redirect_uri``, ``cookie_secret``,
``client_id``, ...):

* **open** (no ``[auth]`` settings): no sign-in, everybody is an editor. Meant for
  a single user on ``localhost``.
* **password**: ``password_hash`` is one team password stored as a hash made by
  ``python -m kam_analysis hash-password``. Who knows it is a viewer; who knows
  ``editor_password_hash`` (if set) is an editor. Without ``editor_password_hash``
  the team password makes everybody an editor.
* **oidc** (``st.login`` with an OpenID Connect provider): only e-mails listed in
  ``allowed_emails`` or whose domain is in ``allowed_domains`` get in; those listed
  in ``editors`` (e-mails or domains) are editors, everybody else a viewer.

Roles: ``viewer`` sees every analysis and exports; ``editor`` may also import,
replace and delete datasets and edit tags and dossiers.

Password hashes (:mod:`kam_analysis.passwords`, re-exported here) are
self-describing strings ``scrypt$n$r$p$salt_b64$hash_b64``, checked in constant
time; :func:`attempt_sign_in` checks a typed password within the process-wide
limits of :mod:`kam_analysis.signin_limits`.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kam_analysis.passwords import (  # noqa: F401  (re-exported: the API stays auth's)
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    first_match,
    hash_password,
    parse_password_hash,
    verify_password,
)
from kam_analysis.signin_limits import (
    DEFAULT_LIMITER,
    IPNetwork,
    Refusal,
    SignInLimiter,
    client_address,
    parse_networks,
)

ROLE_VIEWER = "viewer"
ROLE_EDITOR = "editor"
ROLES: tuple[str, ...] = (ROLE_VIEWER, ROLE_EDITOR)

MODE_OPEN = "open"
MODE_PASSWORD = "password"
MODE_OIDC = "oidc"
MODES: tuple[str, ...] = (MODE_OPEN, MODE_PASSWORD, MODE_OIDC)


# --------------------------------------------------------------------------
# E-mail and domain matching
# --------------------------------------------------------------------------


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _canonical(text: str) -> str | None:
    """NFC form with only ASCII letters lower-cased (no Unicode case folding, so
    ``ß`` stays ``ß``); None if an ASCII capital remains: NFC turns a Kelvin sign
    into ``K``, which must not pass for ``k``."""
    text = unicodedata.normalize("NFC", text.strip().translate(_ASCII_LOWER))
    return None if any("A" <= c <= "Z" for c in text) else text


def _canonical_domain(domain: str) -> str | None:
    """A valid domain in its Unicode form (``xn--`` labels decoded), or None."""
    labels = []
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                label = _canonical(label[4:].encode("ascii").decode("punycode")) or ""
            except UnicodeError:
                return None
        labels.append(label)
    text = ".".join(labels)
    return text if _valid_domain(text) else None


def normalize_email(email: str | None) -> str | None:
    """Return the e-mail in the form compared, or None if it is not a plain ``local@domain``.

    The form is NFC with ASCII letters lower-cased; other letters are compared
    exactly (``straße`` is not ``strasse``, a Kelvin sign is not ``k``), and
    ``xn--`` domain labels are decoded so both spellings of a domain match.
    Exactly one ``@``, a non-empty local part, a domain with a dot and no empty
    labels, and no whitespace or control characters: anything else never matches.
    """
    text = _canonical(email) if isinstance(email, str) else None
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        return None
    local, sep, domain = text.partition("@")
    domain = _canonical_domain(domain) if sep and local and "@" not in domain else None
    return None if domain is None else f"{local}@{domain}"


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(labels) and all(
        c.isalnum() or c == "-" for label in labels for c in label
    )


def _normalize_domain(entry: str) -> str:
    """``"@Example.com"`` -> ``"example.com"``; ``"*.example.com"`` stays a wildcard."""
    text = (_canonical(entry) or "").removeprefix("@")
    wildcard = text.startswith("*.")
    bare = _canonical_domain(text[2:] if wildcard else text)
    if bare is None:
        raise ValueError(f"{entry!r} is not a domain name (write it like example.com).")
    return f"*.{bare}" if wildcard else bare


def _domain_matches(domain: str, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        if entry.startswith("*."):
            if domain.endswith(entry[1:]):  # "*.example.com" -> any "x.example.com"
                return True
        elif domain == entry:
            return True
    return False


def _string_list(section: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = section.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"[auth] {key} must be a list of strings.")
    return tuple(v for v in value if v.strip())


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthSettings:
    """Who may use the app and in which role.

    Attributes
    ----------
    password_hash : str or None
        The team password's hash (password mode).
    editor_password_hash : str or None
        The editors' password hash (password mode, optional).
    allowed_emails : frozenset of str
        Lower-cased e-mails allowed to sign in (oidc mode).
    allowed_domains : frozenset of str
        Lower-cased domains (``example.com``, or ``*.example.com`` for any
        subdomain) whose users may sign in (oidc mode).
    editor_emails, editor_domains : frozenset of str
        Who is an editor (oidc mode); they may sign in even if not listed above.
    oidc : bool
        True when Streamlit's ``st.login`` is configured (or an allow list is set).
    trusted_proxies : tuple of ip networks
        Reverse proxies (``[auth] trusted_proxies``, addresses or networks) whose
        ``X-Forwarded-For`` header names the client a sign-in attempt is counted
        under; empty (the default) ignores the header.
    """

    password_hash: str | None = None
    editor_password_hash: str | None = None
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    editor_emails: frozenset[str] = frozenset()
    editor_domains: frozenset[str] = frozenset()
    oidc: bool = False
    trusted_proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> AuthSettings:
        """Read the ``[auth]`` section of ``mapping`` (e.g. ``st.secrets``).

        Parameters
        ----------
        mapping : Mapping or None
            The whole secrets mapping; only its ``auth`` key is read. None, a
            mapping without ``auth``, or ``st.secrets`` without a secrets file
            (its lookups raise ``FileNotFoundError``) gives open mode.

        Raises
        ------
        ValueError
            If a setting is malformed (bad hash string, e-mail or domain), or the
            settings mix password and OpenID Connect sign-in, or OpenID Connect is
            configured without any allowed e-mail or domain.
        """
        try:
            section = (mapping or {}).get("auth") or {}
        except FileNotFoundError:  # st.secrets without any secrets.toml
            section = {}
        if not isinstance(section, Mapping):
            raise ValueError("[auth] must be a table of settings.")
        password_hash = section.get("password_hash") or None
        editor_hash = section.get("editor_password_hash") or None
        for key, value in (("password_hash", password_hash),
                           ("editor_password_hash", editor_hash)):
            if value is not None:
                try:
                    parse_password_hash(value)
                except ValueError as exc:
                    raise ValueError(f"[auth] {key}: {exc}") from None
        if editor_hash and not password_hash:
            raise ValueError("[auth] editor_password_hash needs password_hash as well.")

        allowed_emails = {_email_setting("allowed_emails", e)
                          for e in _string_list(section, "allowed_emails")}
        allowed_domains = {_normalize_domain(d) for d in _string_list(section, "allowed_domains")}
        editor_emails: set[str] = set()
        editor_domains: set[str] = set()
        for entry in _string_list(section, "editors"):
            if "@" in entry.strip().removeprefix("@"):
                editor_emails.add(_email_setting("editors", entry))
            else:
                editor_domains.add(_normalize_domain(entry))

        oidc = bool(section.get("redirect_uri") or allowed_emails or allowed_domains)
        if oidc and password_hash:
            raise ValueError(
                "[auth] sets both a team password and OpenID Connect sign-in; use one of them."
            )
        if oidc and not (allowed_emails or allowed_domains or editor_emails or editor_domains):
            raise ValueError(
                "[auth] configures OpenID Connect sign-in but no allowed_emails or "
                "allowed_domains: anybody with an account at the provider could get in."
            )
        if (editor_emails or editor_domains) and not oidc:
            raise ValueError(
                "[auth] editors applies to OpenID Connect sign-in; with a team password "
                "use editor_password_hash."
            )
        try:
            proxies = parse_networks(_string_list(section, "trusted_proxies"))
        except ValueError as exc:
            raise ValueError(f"[auth] trusted_proxies: {exc}") from None
        return cls(
            trusted_proxies=proxies,
            password_hash=password_hash,
            editor_password_hash=editor_hash,
            allowed_emails=frozenset(allowed_emails),
            allowed_domains=frozenset(allowed_domains),
            editor_emails=frozenset(editor_emails),
            editor_domains=frozenset(editor_domains),
            oidc=oidc,
        )

    @property
    def mode(self) -> str:
        """``"open"``, ``"password"`` or ``"oidc"``."""
        if self.oidc:
            return MODE_OIDC
        if self.password_hash:
            return MODE_PASSWORD
        return MODE_OPEN

    def is_allowed(self, email: str | None) -> bool:
        """Return True if the signed-in user with ``email`` may use the app.

        Open and password modes do not look at e-mails: everybody (who passed the
        password check, in password mode) is allowed. In oidc mode the e-mail must
        be listed, or its domain must be listed exactly (``example.com`` does not
        admit ``sub.example.com`` unless ``*.example.com`` or ``sub.example.com``
        is listed), comparing as :func:`normalize_email` does.
        """
        if self.mode != MODE_OIDC:
            return True
        normal = normalize_email(email)
        if normal is None:
            return False
        domain = normal.rsplit("@", 1)[1]
        return (
            normal in self.allowed_emails
            or _domain_matches(domain, self.allowed_domains)
            or self._is_editor_email(normal)
        )

    def _is_editor_email(self, normal: str) -> bool:
        domain = normal.rsplit("@", 1)[1]
        return normal in self.editor_emails or _domain_matches(domain, self.editor_domains)

    def role_for(self, email: str | None) -> str | None:
        """Return the role of a signed-in user: ``"editor"``, ``"viewer"`` or None.

        Parameters
        ----------
        email : str or None
            The user's e-mail from the identity provider (ignored in open mode).

        Returns
        -------
        str or None
            Open mode: always ``"editor"`` (local single-user use). Oidc mode:
            None if the user is not allowed, ``"editor"`` if listed in ``editors``,
            else ``"viewer"``.

        Raises
        ------
        ValueError
            In password mode, where the role comes from the password: use
            :meth:`role_for_password`.
        """
        mode = self.mode
        if mode == MODE_OPEN:
            return ROLE_EDITOR
        if mode == MODE_PASSWORD:
            raise ValueError("In password mode the role comes from the password.")
        if not self.is_allowed(email):
            return None
        normal = normalize_email(email)
        return ROLE_EDITOR if normal and self._is_editor_email(normal) else ROLE_VIEWER

    def role_for_password(self, candidate: str) -> str | None:
        """Return the role the typed password grants, or None if it is wrong.

        The editor password gives ``"editor"``; the team password gives
        ``"viewer"`` when an editor password is set, else ``"editor"``.

        Raises
        ------
        ValueError
            If the settings are not in password mode.
        """
        if self.mode != MODE_PASSWORD or self.password_hash is None:
            raise ValueError("The app is not configured for a team password.")
        if not self.editor_password_hash:
            return first_match(candidate, [(ROLE_EDITOR, self.password_hash)])
        return first_match(candidate, [(ROLE_EDITOR, self.editor_password_hash),
                                        (ROLE_VIEWER, self.password_hash)])


def _email_setting(key: str, entry: str) -> str:
    normal = normalize_email(entry)
    if normal is None:
        raise ValueError(f"[auth] {key}: {entry!r} is not an e-mail address.")
    return normal


@dataclass(frozen=True)
class SignInAttempt:
    """The outcome of one password sign-in attempt.

    Attributes
    ----------
    role : str or None
        The granted role, or None (wrong password, or refused).
    retry_after : int or None
        Set when the attempt was refused without checking the password (too many
        attempts, or the checks are busy): seconds to wait before trying again.
    """

    role: str | None
    retry_after: int | None = None


def attempt_sign_in(
    settings: AuthSettings,
    candidate: str,
    *,
    peer: str | None,
    forwarded_for: str | None = None,
    limiter: SignInLimiter | None = None,
) -> SignInAttempt:
    """Check a typed password within the process-wide limits on password checks.

    Parameters
    ----------
    settings : AuthSettings
        Settings in password mode.
    candidate : str
        The typed password; an empty one is wrong without any check.
    peer : str or None
        The connection's address (``st.context.ip_address``; None: this machine).
    forwarded_for : str or None
        The ``X-Forwarded-For`` header, used only when ``peer`` is one of
        ``settings.trusted_proxies``.
    limiter : SignInLimiter, optional
        The limits to apply; by default the one shared by the whole process.

    Returns
    -------
    SignInAttempt
        The role granted, or None with ``retry_after`` set when the attempt was
        refused before checking (even a right password is refused then).
    """
    if not candidate:
        return SignInAttempt(None)
    address = client_address(peer, forwarded_for, settings.trusted_proxies)
    outcome = (limiter or DEFAULT_LIMITER).attempt(
        address, lambda: settings.role_for_password(candidate))
    if isinstance(outcome, Refusal):
        return SignInAttempt(None, outcome.retry_after)
    return SignInAttempt(outcome)
