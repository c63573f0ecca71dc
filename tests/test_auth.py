"""Access control: password hashes, allow lists, roles (no Streamlit involved)."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_analysis.auth import (
    AuthSettings,
    hash_password,
    normalize_email,
    parse_password_hash,
    verify_password,
)
from tests.conftest import ROOT

FAST = {"n": 2**10, "r": 8, "p": 1}  # cheap scrypt for tests; the format is the same


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("correct horse battery", **FAST)


def test_hash_round_trip_and_format(stored: str) -> None:
    parts = stored.split("$")
    assert parts[:4] == ["scrypt", "1024", "8", "1"]
    assert len(base64.b64decode(parts[4])) == 16 and len(base64.b64decode(parts[5])) == 32
    assert verify_password(stored, "correct horse battery")
    assert parse_password_hash(stored)[:3] == (1024, 8, 1)


def test_default_cost_is_strong() -> None:
    assert hash_password("x" * 12).split("$")[1:4] == ["32768", "8", "1"]


def test_same_password_gets_a_fresh_salt() -> None:
    a, b = hash_password("same password", **FAST), hash_password("same password", **FAST)
    assert a != b and verify_password(a, "same password") and verify_password(b, "same password")


@pytest.mark.parametrize(
    "candidate", ["correct horse batter", "Correct horse battery", "", "correct horse battery "]
)
def test_wrong_password_fails(stored: str, candidate: str) -> None:
    assert not verify_password(stored, candidate)


def test_non_text_candidate_fails(stored: str) -> None:
    assert not verify_password(stored, None)  # type: ignore[arg-type]
    assert not verify_password(stored, b"correct horse battery")  # type: ignore[arg-type]


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1:]


def test_tampered_hash_strings_never_match(stored: str) -> None:
    parts = stored.split("$")
    salt_at = len("$".join(parts[:4])) + 1
    hash_at = len("$".join(parts[:5])) + 1
    tampered = [
        _flip(stored, salt_at),                          # other salt
        _flip(stored, hash_at),                          # other digest
        "$".join([*parts[:1], "2048", *parts[2:]]),      # other cost
        "$".join([*parts[:3], "2", *parts[4:]]),
        "$".join(["bcrypt", *parts[1:]]),                # other scheme
        "$".join(parts[:5]),                             # field missing
        stored + "$x",                                   # field added
        "$".join([*parts[:1], "1000", *parts[2:]]),      # n not a power of two
        "$".join([*parts[:1], str(2**30), *parts[2:]]),  # absurd memory cost
        "$".join([*parts[:1], "-1024", *parts[2:]]),
        "$".join([*parts[:5], "!!notbase64!!"]),
        "$".join([*parts[:5], ""]),                      # empty digest
        "",
        "correct horse battery",                         # a plain password is not a hash
    ]
    for bad in tampered:
        assert not verify_password(bad, "correct horse battery"), bad


def test_empty_password_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


@settings(max_examples=15, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_password_round_trips(password: str) -> None:
    stored = hash_password(password, **FAST)
    assert verify_password(stored, password)
    assert not verify_password(stored, password + "x")


# ---- settings and modes ----------------------------------------------------------------


def test_empty_config_is_open_mode_with_editor_role() -> None:
    for mapping in (None, {}, {"auth": {}}, {"other": {"x": 1}}):
        s = AuthSettings.from_mapping(mapping)
        assert s.mode == "open"
        assert s.is_allowed(None) and s.role_for(None) == "editor"


class _NoSecretsFile(dict):
    """Behaves like st.secrets when there is no secrets.toml."""

    def get(self, key, default=None):
        raise FileNotFoundError("No secrets found.")


def test_missing_secrets_file_is_open_mode() -> None:
    assert AuthSettings.from_mapping(_NoSecretsFile()).mode == "open"


def test_password_mode_roles(stored: str) -> None:
    s = AuthSettings.from_mapping({"auth": {"password_hash": stored}})
    assert s.mode == "password"
    assert s.role_for_password("correct horse battery") == "editor"  # no editor password
    assert s.role_for_password("wrong") is None
    with pytest.raises(ValueError, match="password"):
        s.role_for("someone@example.com")

    editor = hash_password("editors only please", **FAST)
    s = AuthSettings.from_mapping({"auth": {"password_hash": stored,
                                            "editor_password_hash": editor}})
    assert s.role_for_password("correct horse battery") == "viewer"
    assert s.role_for_password("editors only please") == "editor"
    assert s.role_for_password("") is None


def test_malformed_settings_are_refused(stored: str) -> None:
    bad = [
        {"auth": {"password_hash": "plain text password"}},
        {"auth": {"editor_password_hash": stored}},
        {"auth": {"allowed_emails": ["not-an-email"]}},
        {"auth": {"allowed_emails": "a@example.com@evil.com"}},
        {"auth": {"allowed_domains": ["exa mple.com"]}},
        {"auth": {"allowed_domains": [42]}},
        {"auth": {"password_hash": stored, "allowed_domains": ["example.com"]}},
        {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback"}},  # nobody listed
        {"auth": {"password_hash": stored, "editors": ["boss@example.com"]}},
        {"auth": "yes"},
    ]
    for mapping in bad:
        with pytest.raises(ValueError):
            AuthSettings.from_mapping(mapping)


@pytest.fixture
def oidc() -> AuthSettings:
    return AuthSettings.from_mapping({"auth": {
        "redirect_uri": "https://kam.example.com/oauth2callback",
        "cookie_secret": "x" * 32,
        "allowed_emails": ["Consultant@Partner.org"],
        "allowed_domains": ["Example.com", "@other.net", "*.branch.example.org"],
        "editors": ["Boss@Example.com", "sales-ops.example.com", "owner@gmail.com"],
    }})


def test_oidc_emails_are_case_insensitive(oidc: AuthSettings) -> None:
    assert oidc.mode == "oidc"
    for email in ("consultant@partner.org", "CONSULTANT@PARTNER.ORG", " Consultant@partner.org "):
        assert oidc.is_allowed(email) and oidc.role_for(email) == "viewer"
    assert oidc.role_for("BOSS@example.COM") == "editor"
    assert oidc.role_for("anna@example.com") == "viewer"
    assert oidc.role_for("someone@partner.org") is None  # only that one address at partner.org


@pytest.mark.parametrize(
    "email",
    [
        "user@example.com.attacker",
        "user@evil.com.attacker",
        "user@notexample.com",
        "user@example.co",
        "user@sub.example.com",          # subdomain not listed
        "example.com@attacker.io",
        "user@attacker.io?@example.com",
        "user@example.com@attacker.io",
        "user@attacker.io\n@example.com",
        "user@exa\u200bmple.com",
        "@example.com",
        "user@",
        "user@.example.com",
        "user@example..com",
        "",
        None,
        "user@branch.example.org",       # "*.branch.example.org" means subdomains only
        "user@evilbranch.example.org",
    ],
)
def test_domain_matching_is_not_fooled(oidc: AuthSettings, email: str | None) -> None:
    assert not oidc.is_allowed(email)
    assert oidc.role_for(email) is None


def test_listed_subdomains_and_wildcards(oidc: AuthSettings) -> None:
    assert oidc.role_for("user@example.com") == "viewer"
    assert oidc.role_for("user@other.net") == "viewer"
    assert oidc.role_for("user@east.branch.example.org") == "viewer"
    assert oidc.role_for("user@a.b.branch.example.org") == "viewer"
    # editors are let in even if not on the allow lists
    assert oidc.role_for("owner@gmail.com") == "editor"
    assert oidc.role_for("ops@sales-ops.example.com") == "editor"
    assert oidc.role_for("other@gmail.com") is None


def test_normalize_email() -> None:
    assert normalize_email(" A.B@Example.COM ") == "a.b@example.com"
    assert normalize_email("a b@example.com") is None
    assert normalize_email("ab@localhost") is None


# ---- command line -------------------------------------------------------------------------


def test_cli_hash_password_reads_stdin_and_prints_a_verifiable_hash() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kam_analysis", "hash-password"],
        input="my team password\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert "\n" not in line and "my team password" not in done.stdout
    assert verify_password(line, "my team password")
    assert not verify_password(line, "my team password\n")


def test_cli_hash_password_refuses_short_password() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kam_analysis", "hash-password"],
        input="short\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "shorter than 10" in done.stderr


# ---- the documented example secrets file --------------------------------------------------


def test_example_secrets_file_works_once_filled_in() -> None:
    import re
    import tomllib

    text = (ROOT / ".streamlit" / "secrets.example.toml").read_text(encoding="utf-8")
    # As shipped, the placeholders are refused loudly (never an open app by accident).
    with pytest.raises(ValueError, match="password_hash"):
        AuthSettings.from_mapping(tomllib.loads(text))
    team = hash_password("team password 1", **FAST)
    editor = hash_password("editor password 1", **FAST)
    hashes = iter([team, editor])
    filled = re.sub(r'"scrypt\$[^"]*REPLACE[^"]*"', lambda _: f'"{next(hashes)}"', text)
    s = AuthSettings.from_mapping(tomllib.loads(filled))
    assert s.mode == "password"
    assert s.role_for_password("team password 1") == "viewer"
    assert s.role_for_password("editor password 1") == "editor"
    # Option 2: drop option 1 and uncomment the OpenID Connect section.
    option2 = text.split("# Option 2", 1)[1]
    uncommented = "\n".join(line.removeprefix("# ") for line in option2.splitlines()
                            if (line.startswith("# ") and "=" in line) or line == "# [auth]")
    s = AuthSettings.from_mapping(tomllib.loads(uncommented))
    assert s.mode == "oidc"
    assert s.role_for("HEAD.OF.SALES@example.com") == "editor"
    assert s.role_for("anna@example.com") == "viewer"
    assert s.role_for("anna@sales.example.com") is None
    assert s.role_for("bob@kam-team.example.com") == "editor"
