"""Sign-in, roles and demo masking in the running app (AppTest on the demo data).

Password hashes use the smallest scrypt cost auth accepts, to keep the tests fast.
Company sign-in (OIDC) cannot reach a real identity provider here: the tests set
``AppTest.user`` (what the app reads as ``st.user``) and replace ``st.login``.
"""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
import streamlit
from google.protobuf import text_format
from openpyxl import load_workbook
from streamlit.delta_generator import DeltaGenerator
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe
from streamlit.testing.v1.util import patch_config_options

from kam_analysis.analysis import analyze
from kam_analysis.auth import hash_password
from kam_analysis.db import Database
from kam_analysis.demo import DEMO_DATASET
from ui import access

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 30
VIEWER_PW = "viewer-secret-1"
EDITOR_PW = "editor-secret-2"
PAGES = ("overview", "abc_xyz", "pareto", "concentration", "key_accounts", "dossier", "data")


pytestmark = pytest.mark.usefixtures("navigation_mode")


def _app_widgets(at) -> list[str]:
    """The sidebar's select boxes other than the language (which comes before sign-in)."""
    return [s.key for s in at.sidebar.selectbox if s.key != "sb_language_select"]


@pytest.fixture(scope="module")
def password_secrets() -> dict:
    return {"auth": {"password_hash": hash_password(VIEWER_PW, n=2**10),
                     "editor_password_hash": hash_password(EDITOR_PW, n=2**10)}}


OIDC = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 32,
        "client_id": "kam", "client_secret": "s3cret",
        "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
        "allowed_domains": ["example.com"], "allowed_emails": ["guest@partner.org"],
        "editors": ["boss@example.com"]}


def _new(secrets: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    return at


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page(at: AppTest, page: str) -> AppTest:
    return _ok(at.switch_page(f"pages/{page}.py").run())


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def _sign_in(at: AppTest, password: str) -> AppTest:
    at.text_input[0].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return _ok(at.run())


def _can_edit_everything(at: AppTest) -> None:
    _page(at, "data")
    assert at.get("file_uploader"), "an editor can import"
    assert "Delete" in _buttons(at)
    _page(at, "key_accounts")
    assert "Save types" in _buttons(at)
    _page(at, "dossier")
    assert {"Save dossier", "Add event"} <= set(_buttons(at))


def _is_read_only(at: AppTest) -> None:
    _page(at, "data")
    assert not at.get("file_uploader")
    assert "Delete" not in _buttons(at)
    assert "Only editors can import data." in [i.value for i in at.info]
    _page(at, "key_accounts")
    assert "Save types" not in _buttons(at)
    assert "Only editors can set account types." in [c.value for c in at.caption]
    assert any("Why key" in df.value.columns for df in at.dataframe)  # analyses stay
    _page(at, "dossier")
    assert not {"Save dossier", "Add event"} & set(_buttons(at))
    assert not at.text_area
    assert "Only editors can edit the dossier." in [c.value for c in at.caption]


# ---- Open mode -------------------------------------------------------------------------


def test_open_mode_everybody_edits_and_a_banner_warns_off_localhost(app_db: Database) -> None:
    at = _ok(_new().run())
    assert at.session_state["auth_role"] == "editor"
    assert any("without sign-in" in w.value for w in at.warning)  # address not set: all
    _can_edit_everything(at)
    assert "Sign out" not in _buttons(at)
    with patch_config_options({"server.address": "localhost"}):
        local = _ok(_new().run())
    assert not any("without sign-in" in w.value for w in local.warning)


def test_open_mode_banner_shows_behind_a_reverse_proxy(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy on the same machine connects from 127.0.0.1 to a server bound to
    localhost; its X-Forwarded-For header says the user is elsewhere."""
    from ui import access

    sent = {"X-Forwarded-For": "203.0.113.7"}
    monkeypatch.setattr(access, "_header", lambda name: sent.get(name))
    with patch_config_options({"server.address": "localhost"}):
        proxied = _ok(_new().run())
    assert any("without sign-in" in w.value for w in proxied.warning)
    sent.clear()
    with patch_config_options({"server.address": "127.0.0.1"}):
        local = _ok(_new().run())
    assert not any("without sign-in" in w.value for w in local.warning)


# ---- Password mode ---------------------------------------------------------------------


def test_password_mode_asks_and_refuses_a_wrong_password(
    app_db: Database, password_secrets: dict
) -> None:
    at = _ok(_new(password_secrets).run())
    assert "Sign in" in _buttons(at)
    assert not at.metric and not at.get("plotly_chart")  # nothing of the data yet
    assert _app_widgets(at) == []  # not even the dataset list (the language: yes)
    _page(at, "data")
    assert not at.get("file_uploader") and "Sign in" in _buttons(at)
    _sign_in(at, "guess")
    assert [e.value for e in at.error] == ["Wrong password."]
    assert "auth_role" not in at.session_state
    assert not at.metric


def test_too_many_attempts_refuse_even_the_right_password(
    app_db: Database, password_secrets: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam_analysis import auth
    from kam_analysis.signin_limits import SignInLimiter

    monkeypatch.setattr(auth, "DEFAULT_LIMITER", SignInLimiter(address_burst=1, clock=lambda: 0.0))
    monkeypatch.setattr(access, "_pause", lambda seconds: None)  # the waits: next test
    at = _ok(_new(password_secrets).run())
    _sign_in(at, "guess")
    assert [e.value for e in at.error] == ["Wrong password."]
    _sign_in(at, VIEWER_PW)
    assert [e.value for e in at.error] == ["Too many sign-in attempts; try again in 12 seconds."]
    assert "auth_role" not in at.session_state and "Sign in" in _buttons(at)


class _NoData(AssertionError):
    """Raised by whatever would open the database or build data."""


def test_a_refused_guess_checks_no_password_opens_no_database_and_waits_asleep(
    app_db: Database, password_secrets: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-in screen runs touch no data; a refused guess runs no scrypt; every failed
    guess is answered after a pause in ``time.sleep`` (no CPU, no GIL, no lock), so a
    flood of guesses cannot become a flood of script runs (issue 14, finding 3)."""
    import hashlib

    import duckdb

    from kam_analysis import auth
    from kam_analysis.signin_limits import SignInLimiter
    from ui import calls

    monkeypatch.setattr(auth, "DEFAULT_LIMITER", SignInLimiter(address_burst=1, clock=lambda: 0.0))
    scrypt, original = [], hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: scrypt.append(1) or original(*a, **k))
    pauses: list[float] = []
    monkeypatch.setattr(access, "_pause", pauses.append)

    def no_data(*args: object, **kwargs: object) -> None:
        raise _NoData("the sign-in screen touched the database")

    monkeypatch.setattr(duckdb, "connect", no_data)
    monkeypatch.setattr(calls, "_open", no_data)
    monkeypatch.setattr(calls, "ensure_demo", no_data)

    at = _ok(_new(password_secrets).run())
    assert "Sign in" in _buttons(at) and not scrypt and not pauses
    _sign_in(at, "guess")
    assert [e.value for e in at.error] == ["Wrong password."]
    assert scrypt and pauses == [access.WRONG_PASSWORD_DELAY]
    checked = len(scrypt)
    _sign_in(at, VIEWER_PW)
    assert [e.value for e in at.error] == ["Too many sign-in attempts; try again in 12 seconds."]
    assert len(scrypt) == checked  # refused before any password check
    assert pauses[-1] == access.MAX_REFUSAL_DELAY == min(12, access.MAX_REFUSAL_DELAY)
    _sign_in(at, "")  # an empty password: no check, but the same pause
    assert len(scrypt) == checked and pauses[-1] == access.WRONG_PASSWORD_DELAY
    assert not at.metric and _app_widgets(at) == []


def test_a_pause_sleeps_rather_than_spins(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    access._pause(access.MAX_REFUSAL_DELAY)
    assert slept == [access.MAX_REFUSAL_DELAY]  # time.sleep releases the GIL


def test_viewer_password_reads_but_cannot_change(app_db: Database,
                                                  password_secrets: dict) -> None:
    at = _ok(_new(password_secrets).run())
    _sign_in(at, VIEWER_PW)
    assert not at.error
    assert at.session_state["auth_role"] == "viewer"
    assert at.metric and at.title[0].value == "Overview"
    stored = " ".join(repr(at.session_state[k]) for k in at.session_state)
    assert VIEWER_PW not in stored  # the role is kept, never the password
    _is_read_only(at)
    # Sign out: back to the form.
    at.sidebar.button(key="auth_logout").click()
    _ok(at.run())
    assert "auth_role" not in at.session_state
    assert "Sign in" in _buttons(at) and not at.metric


def test_editor_password_may_edit(app_db: Database, password_secrets: dict) -> None:
    at = _ok(_new(password_secrets).run())
    _sign_in(at, EDITOR_PW)
    assert at.session_state["auth_role"] == "editor"
    assert any("Signed in (editor)" in c.value for c in at.sidebar.caption)
    _can_edit_everything(at)


def test_a_role_granted_under_other_settings_does_not_carry_over(
    app_db: Database, password_secrets: dict
) -> None:
    at = _ok(_new(password_secrets).run())
    _sign_in(at, EDITOR_PW)
    at.secrets["auth"] = {"password_hash": hash_password("new team password", n=2**10)}
    _ok(at.run())
    assert "auth_role" not in at.session_state and "Sign in" in _buttons(at)


# ---- Misconfigured secrets -------------------------------------------------------------


def test_the_unfilled_example_secrets_stop_the_app_with_one_line(app_db: Database) -> None:
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text("utf-8"))
    at = _ok(_new(example).run())
    assert len(at.error) == 1
    message = at.error[0].value
    assert "not set up correctly" in message and "password_hash" in message
    assert "\n" not in message and "Traceback" not in message
    assert not at.metric and _app_widgets(at) == []


def test_oidc_without_an_allow_list_is_refused(app_db: Database) -> None:
    settings = {k: v for k, v in OIDC.items()
                if k not in ("allowed_domains", "allowed_emails", "editors")}
    at = _ok(_new({"auth": settings}).run())
    assert "anybody with an account" in at.error[0].value
    assert "Sign in" not in _buttons(at)


def test_an_unparsable_secrets_file_is_an_error_not_open_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "secrets.toml"
    broken.write_text('[auth\npassword_hash = "x"\n', encoding="utf-8")

    class Unreadable:
        def get(self, key: str, default: object = None) -> object:
            raise StreamlitSecretNotFoundError(
                f"Error parsing secrets file at {broken}: Expected ']' (at line 1, column 6)")

    monkeypatch.setattr(streamlit, "secrets", Unreadable())
    with (patch_config_options({"secrets.files": [str(broken)]}),
          pytest.raises(ValueError, match=r"cannot be read: Expected '\]'")):
        access.auth_settings()
    # No file at all is open mode.
    with patch_config_options({"secrets.files": [str(tmp_path / "none.toml")]}):
        assert access.auth_settings().mode == "open"


# ---- Company sign-in (OIDC) -----------------------------------------------------------


def test_oidc_signed_out_user_gets_a_sign_in_button(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(streamlit, "login", lambda provider=None: calls.append(provider))
    at = _ok(_new({"auth": OIDC}, {"is_logged_in": False}).run())
    assert not at.metric and _app_widgets(at) == []
    next(b for b in at.button if b.label == "Sign in").click()
    _ok(at.run())
    assert calls == [None]  # the provider configured directly in [auth]
    named = {k: v for k, v in OIDC.items()
             if k not in ("client_id", "client_secret", "server_metadata_url")}
    named["microsoft"] = {"client_id": "kam", "client_secret": "s",
                          "server_metadata_url": OIDC["server_metadata_url"]}
    at = _ok(_new({"auth": named}, {"is_logged_in": False}).run())
    next(b for b in at.button if b.label == "Sign in").click()
    _ok(at.run())
    assert calls == [None, "microsoft"]


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "eve@evil.com"},
    {"is_logged_in": True, "email": "anna@sales.example.com"},  # subdomain not listed
    {"is_logged_in": True, "email": "anna@example.com.evil.io"},
    {"is_logged_in": True, "email": "anna@example.com", "email_verified": False},
    {"is_logged_in": True},  # no e-mail from the provider
])
def test_oidc_refuses_users_not_allowed(app_db: Database, user: dict) -> None:
    at = _ok(_new({"auth": OIDC}, user).run())
    assert at.error and "has no access" in at.error[0].value
    assert not at.metric and _app_widgets(at) == []
    assert "auth_role" not in at.session_state
    next(b for b in at.button if b.label == "Sign out").click()
    _ok(at.run())
    assert at.user == {"is_logged_in": False}  # st.logout ran
    assert "Sign in" in _buttons(at)


def test_oidc_allowed_users_get_their_role(app_db: Database) -> None:
    viewer = _ok(_new({"auth": OIDC}, {"is_logged_in": True,
                                        "email": "Anna@Example.com"}).run())
    assert viewer.session_state["auth_role"] == "viewer"
    assert viewer.metric and not viewer.error
    assert any("Anna@Example.com (viewer)" in c.value for c in viewer.sidebar.caption)
    _is_read_only(viewer)
    guest = _ok(_new({"auth": OIDC}, {"is_logged_in": True,
                                       "email": "guest@partner.org"}).run())
    assert guest.session_state["auth_role"] == "viewer"
    editor = _ok(_new({"auth": OIDC}, {"is_logged_in": True, "email": "boss@example.com",
                                        "email_verified": True}).run())
    assert editor.session_state["auth_role"] == "editor"
    _can_edit_everything(editor)


# ---- Demo masking ------------------------------------------------------------------------


def _rendered(at: AppTest) -> str:
    """Everything the run sent to the browser, as text (tables as CSV)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, Dataframe):
            parts.append(node.value.to_csv())
            parts.extend(str(c) for c in node.value.columns)
            return
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@pytest.fixture()
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The data handed to every download button drawn in a column, by widget key."""
    seen: dict[str, object] = {}
    original = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        seen[kwargs.get("key") or label] = data
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    return seen


def _real_names(db: Database) -> tuple[list[str], list[str]]:
    customers = analyze(db, DEMO_DATASET).customers
    return customers["customer_name"].dropna().tolist(), customers["customer_id"].tolist()


def _leaks(text: str, names: list[str], ids: list[str]) -> list[str]:
    """Real names found anywhere, real ids found as a whole token (not inside 0.0100015)."""
    found = [n for n in names if n in text]
    found += [i for i in ids if re.search(rf"(?<![\d.]){re.escape(i)}(?!\d)", text)]
    return found


def test_masking_hides_every_name_and_id_on_every_page(app_db: Database,
                                                        downloads: dict) -> None:
    names, ids = _real_names(app_db)
    plain = _page(_ok(_new().run()), "key_accounts")
    assert _leaks(_rendered(plain), names, ids), "unmasked pages show the names (sanity)"

    at = _ok(_new().run())
    at.sidebar.toggle(key="sb_mask").set_value(True)
    _ok(at.run())
    for page in PAGES:
        _page(at, page)
        assert not at.error, (page, [e.value for e in at.error])
        assert at.session_state["sb_mask"] is True, f"masking switched itself off on {page}"
        leaks = _leaks(_rendered(at), names, ids)
        assert not leaks, (page, leaks[:5])
    # Dossier: figures for the picked pseudonym, notes hidden, no editing.
    _page(at, "dossier")
    assert at.selectbox(key="dos_customer").value.startswith("C-")
    assert at.query_params["customer"] in (at.selectbox(key="dos_customer").value,
                                           [at.selectbox(key="dos_customer").value])
    assert any("hidden while names are masked" in i.value for i in at.info)
    assert not {"Save dossier", "Add event"} & set(_buttons(at))
    assert at.get("plotly_chart")  # the customer's sales are still shown
    # Exports: the CSV and the workbook carry pseudonyms only.
    _page(at, "key_accounts")
    data = downloads["ka_csv"]  # deferred: the bytes are made on click
    csv = (data() if callable(data) else data).decode("utf-8-sig")
    assert "Customer " in csv and "C-" in csv
    assert not _leaks(csv, names, ids)
    book = load_workbook(io.BytesIO(downloads["ka_xlsx"]()), read_only=True)
    cells = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)
    assert "Customer " in cells and not _leaks(cells, names, ids)


def test_pseudonyms_are_the_same_across_pages_and_differ_between_sessions(
    app_db: Database
) -> None:
    top = analyze(app_db, DEMO_DATASET).customers.iloc[0]
    at = _ok(_new().run())
    at.sidebar.toggle(key="sb_mask").set_value(True)
    _ok(at.run())
    label = at.session_state["ui_masker"].customer_label(top["customer_id"])
    overview = " ".join(m.value for m in at.markdown)
    assert f"The largest customer, {label}," in overview
    _page(at, "concentration")
    assert label in [c.value for c in at.caption]
    top_table = next(df.value for df in at.dataframe if "Cumulative share" in df.value.columns)
    assert top_table["Customer"].iloc[0] == label
    _page(at, "abc_xyz")
    at.segmented_control(key="abc_cell").set_value(top["abc_xyz"]).run()
    cell = next(df.value for df in at.dataframe if "XYZ metric" in df.value.columns)
    assert label in set(cell["Customer"])
    _page(at, "pareto")
    assert label in _rendered(at)
    other = _ok(_new().run())
    other.sidebar.toggle(key="sb_mask").set_value(True)
    _ok(other.run())
    assert other.session_state["ui_masker"].customer_label(top["customer_id"]) != label
    # Off again: the real name is back.
    at.sidebar.toggle(key="sb_mask").set_value(False)
    _page(at, "overview")
    assert top["customer_name"] in " ".join(m.value for m in at.markdown)


def test_masking_hides_raw_rejected_lines_on_the_data_page(app_db: Database) -> None:
    rows = "".join(f"Secret Kunde {i % 5};{1 + i % 28:02d}.03.2025;{100 + i},00\n"
                   for i in range(20))
    csv = ("Kunde;Datum;Umsatz\n" + rows + "Hidden Buyer GmbH;kein Datum;5,00\n").encode()
    at = _ok(_new().run())
    _page(at, "data")
    at.get("file_uploader")[0].upload("masked.csv", csv, "text/csv").run()
    assert any("Secret Kunde" in df.value.to_csv() for df in at.dataframe)  # the preview
    at.sidebar.toggle(key="sb_mask").set_value(True)
    _ok(at.run())
    assert "Secret Kunde" not in _rendered(at)  # the preview is hidden too
    next(ti for ti in at.text_input if ti.label == "Dataset name").input("Masked upload")
    next(b for b in at.button if b.label == "Import").click()
    _ok(at.run())
    rejects = [df.value for df in at.dataframe if "Reason" in df.value.columns]
    assert rejects and all(set(r["Row as read"]) == {"hidden while names are masked"}
                           for r in rejects)
    text = _rendered(at)
    assert "Hidden Buyer" not in text and "Secret Kunde" not in text
    at.sidebar.toggle(key="sb_mask").set_value(False)
    _ok(at.run())
    assert "Hidden Buyer GmbH" in _rendered(at)


def test_customer_helpers_follow_the_toggle() -> None:
    def page() -> None:  # AppTest runs this source alone: it imports what it needs
        import pandas as pd
        import streamlit as st

        from ui import masking

        st.session_state["sb_mask"] = False
        for value in (masking.customer_label("010001", "Acme"), masking.shown_id("010001"),
                      masking.real_id("010001")):
            st.text(value)
        st.session_state["sb_mask"] = True
        shown = masking.shown_id("010001")
        frame = masking.masked(pd.DataFrame({"customer_id": ["010001"],
                                             "customer_name": ["Acme"]}))
        for value in (masking.customer_label("010001", "Acme"), shown, masking.real_id(shown),
                      frame["customer_name"][0], frame["customer_id"][0]):
            st.text(value)

    at = AppTest.from_function(page, default_timeout=TIMEOUT).run()
    assert not at.exception
    values = [x.value for x in at.text]
    assert values[:3] == ["Acme", "010001", "010001"]
    label, shown, back, frame_name, frame_id = values[3:]
    assert label.startswith("Customer ") and shown.startswith("C-")
    assert back == "010001" and frame_name == label and frame_id == shown
