"""Access control: the sign-in gate and the session's role.

Settings come from ``st.secrets`` through :mod:`kam_analysis.auth` (README
"Safe deployment"): open mode, a password, or the company sign-in (OIDC).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from pathlib import Path

import streamlit as st
from streamlit import config as st_config

from kam_analysis.auth import (
    MODE_OIDC,
    MODE_OPEN,
    MODE_PASSWORD,
    ROLE_EDITOR,
    ROLE_VIEWER,
    ROLES,
    AuthSettings,
    attempt_sign_in,
)
from kam_analysis.formatting import fmt_count
from kam_analysis.i18n import t, tn
from ui.masking import K_MASK, forced, keep_choice

log = logging.getLogger("kam_analysis.app")

K_ROLE = "auth_role"          # "viewer" | "editor" for this session (never the password)
K_ROLE_FOR = "auth_settings"  # fingerprint of the password settings the role was granted under
K_USER = "auth_user"          # the signed-in e-mail (company sign-in)
LOCAL_ADDRESSES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
WRONG_PASSWORD_DELAY = 1.0    # seconds: slows guessing in one session down
MAX_REFUSAL_DELAY = 5.0       # seconds: a refused guess waits this much of its retry time
_SECRETS_PREFIX = re.compile(r"^Error parsing secrets file at .*?: ")


def auth_settings() -> AuthSettings:
    """Read the sign-in settings from ``st.secrets`` (no secrets file: open mode).

    Raises
    ------
    ValueError
        One line saying what is wrong: a secrets file that cannot be parsed, or
        ``[auth]`` settings that :meth:`AuthSettings.from_mapping` refuses.
    """
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError as exc:  # no secrets file - or one Streamlit cannot parse
        if any(Path(f).is_file() for f in st_config.get_option("secrets.files") or []):
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            raise ValueError(t("The secrets file cannot be read: {error}",
                               error=_SECRETS_PREFIX.sub("", lines[0]))) from None
        section = None
    return AuthSettings.from_mapping(None if section is None else {"auth": section})


def _fingerprint(settings: AuthSettings) -> str:
    text = f"{settings.mode}|{settings.password_hash}|{settings.editor_password_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Headers a reverse proxy adds: a request carrying one came from another machine.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _header(name: str) -> str | None:
    """All values of a request header of this session, joined (None if absent)."""
    try:
        values = st.context.headers.get_all(name)
    except Exception:  # no request context (a bare script run)
        return None
    return ", ".join(values) or None


def _local_only() -> bool:
    """True if only this machine can reach the app: the server listens on localhost
    and the request did not come through a reverse proxy (whatever the peer address,
    which is the proxy's own, often 127.0.0.1)."""
    if any(_header(name) for name in PROXY_HEADERS):
        return False
    address = st_config.get_option("server.address")
    return isinstance(address, str) and address.strip().lower() in LOCAL_ADDRESSES


def gate() -> str:
    """Let only signed-in users past, and return their role (``app.py`` calls it first).

    Open mode (no ``[auth]``): everybody is an editor; a warning banner says so
    when the server accepts connections from other machines. Password mode: a
    sign-in form; the granted role (never the password) is kept in session
    state. Company sign-in: Streamlit's ``st.login``; e-mails that are not
    allowed get a "no access" message. Settings that are wrong stop the app
    with a one-line message. The run stops until the user is signed in.
    """
    keep_choice()  # the masking toggle is drawn after the gate
    try:
        settings = auth_settings()
    except ValueError as exc:
        log.error("sign-in settings: %s", exc)
        st.error(t("Sign-in is not set up correctly, so the app stays closed. {error}",
                   error=str(exc)))
        st.stop()
    if settings.mode == MODE_OPEN:
        role = ROLE_EDITOR
        if not _local_only():
            st.warning(t("This app runs without sign-in and accepts connections from other "
                         "computers: anyone who reaches it can see and change the data. See "
                         "\"Safe deployment\" in the README."), icon=":material/lock_open:")
    elif settings.mode == MODE_PASSWORD:
        role = _password_gate(settings)
    else:
        role = _oidc_gate(settings)
    st.session_state[K_ROLE] = role
    return role


def _pause(seconds: float) -> None:
    """Answer this session's failed sign-in only after ``seconds``.

    ``time.sleep`` in the session's own script thread: it holds no CPU, releases
    the GIL and holds no lock, so other sessions run on meanwhile, while this
    session cannot guess again (its next run starts after this one ends). A
    refused guess waits too: answered at once, a flood of guesses would become a
    flood of script runs (each about 10 ms of CPU, see docs/reliability.md).
    """
    time.sleep(seconds)


def _password_gate(settings: AuthSettings) -> str:
    fingerprint = _fingerprint(settings)
    role = st.session_state.get(K_ROLE)
    if role in ROLES and st.session_state.get(K_ROLE_FOR) == fingerprint:
        return str(role)
    st.session_state.pop(K_ROLE, None)  # granted under other settings (or never)
    st.title(t("KAM Analysis"))
    with st.form("auth_login", clear_on_submit=True):
        password = st.text_input(t("Password"), type="password")
        submitted = st.form_submit_button(t("Sign in"), type="primary")
    if submitted:
        attempt = attempt_sign_in(
            settings, password, peer=st.context.ip_address,
            forwarded_for=_header("X-Forwarded-For"))
        if attempt.retry_after is not None:  # a process-wide or per-address limit
            _pause(min(float(attempt.retry_after), MAX_REFUSAL_DELAY))
            st.error(tn("Too many sign-in attempts; try again in {seconds} second.",
                        "Too many sign-in attempts; try again in {seconds} seconds.",
                        int(attempt.retry_after), seconds=fmt_count(attempt.retry_after)))
            st.stop()
        granted = attempt.role
        if granted is not None:
            st.session_state[K_ROLE] = granted
            st.session_state[K_ROLE_FOR] = fingerprint
            st.rerun()
        _pause(WRONG_PASSWORD_DELAY)
        st.error(t("Wrong password."))
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the run


def _oidc_provider() -> str | None:
    """The provider for ``st.login``: None for keys in ``[auth]``, else the first
    ``[auth.<name>]`` table with a ``client_id``."""
    try:
        section = st.secrets.get("auth") or {}
    except FileNotFoundError:
        return None
    if section.get("client_id"):
        return None
    named = [k for k, v in section.items()
             if hasattr(v, "get") and v.get("client_id") and "_" not in k]
    return named[0] if named else None


def _oidc_gate(settings: AuthSettings) -> str:
    from streamlit.errors import Error as StreamlitError

    user = st.user
    if not user.get("is_logged_in"):
        st.title(t("KAM Analysis"))
        st.write(t("Sign in with your company account to continue."))
        if st.button(t("Sign in"), type="primary", key="auth_login_oidc"):
            try:
                st.login(_oidc_provider())
            except StreamlitError as exc:
                log.error("st.login: %s", exc)
                st.error(t("Sign-in is not set up correctly: {error}",
                           error=str(exc).strip().splitlines()[0]))
        st.stop()
    email = user.get("email")
    email = email if isinstance(email, str) else None
    # A provider that says the address is unverified must not open an allow list.
    role = None if user.get("email_verified") is False else settings.role_for(email)
    if role is None:
        st.title(t("KAM Analysis"))
        st.error(t("{who} has no access to this app. Ask whoever runs it to add your e-mail "
                   "address or domain.", who=email or t("This account")))
        if st.button(t("Sign out"), key="auth_logout_denied"):
            st.logout()
            st.rerun()
        st.stop()
    st.session_state[K_USER] = email
    return role


def role() -> str:
    """Return the session's role, ``"editor"`` or ``"viewer"``.

    Set by :func:`gate`; a page run on its own (tests) is an editor in open mode
    and a viewer otherwise.
    """
    stored = st.session_state.get(K_ROLE)
    if stored in ROLES:
        return str(stored)
    try:
        return ROLE_EDITOR if auth_settings().mode == MODE_OPEN else ROLE_VIEWER
    except ValueError:
        return ROLE_VIEWER


def can_edit() -> bool:
    """True if the session may import, delete datasets and edit tags and dossiers."""
    return role() == ROLE_EDITOR


def sidebar_footer() -> None:
    """Draw the masking toggle and, when signed in, who and a sign-out button."""
    side = st.sidebar
    side.divider()
    locked = forced()
    if locked:  # a demo server: on, and no widget state can switch it off
        st.session_state[K_MASK] = True
    side.toggle(t("Mask customer names"), key=K_MASK, disabled=locked,
                help=t("This server always masks customer names.") if locked else
                t("Show stable pseudonyms instead of customer names and ids on every "
                  "page, chart and export of this session (for demos and slides)."))
    try:
        mode = auth_settings().mode
    except ValueError:
        return
    if mode == MODE_OPEN:
        return
    who = st.session_state.get(K_USER) if mode == MODE_OIDC else None
    role_text = t("editor") if can_edit() else t("viewer")
    side.caption(t("Signed in as {who} ({role})", who=who, role=role_text) if who
                 else t("Signed in ({role})", role=role_text))
    if side.button(t("Sign out"), key="auth_logout", icon=":material/logout:"):
        for key in (K_ROLE, K_ROLE_FOR, K_USER):
            st.session_state.pop(key, None)
        if mode == MODE_OIDC:
            st.logout()
        st.rerun()
