"""Access control: password hashes, allow lists, roles (no Streamlit involved)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_analysis.auth import (
    AuthSettings,
    SignInAttempt,
    attempt_sign_in,
    hash_password,
    normalize_email,
    parse_password_hash,
    verify_password,
)
from kam_analysis.signin_limits import SignInLimiter, client_address
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


def test_unicode_is_compared_exactly_not_case_folded() -> None:
    s = AuthSettings.from_mapping({"auth": {
        "redirect_uri": "https://kam.example.com/oauth2callback",
        "allowed_emails": ["strasse@example.com", "kate@example.com", "jörg@example.com"],
        "allowed_domains": ["bücher.example"],
    }})
    assert s.is_allowed("strasse@example.com") and not s.is_allowed("straße@example.com")
    assert s.is_allowed("KATE@Example.com")
    assert not s.is_allowed("\u212aate@example.com")    # Kelvin sign is not k
    assert normalize_email("\u212aate@example.com") is None
    assert s.is_allowed("jo\u0308rg@example.com")       # NFC: o + combining diaeresis
    assert s.is_allowed("anna@xn--bcher-kva.example")   # the same domain, IDNA-encoded
    assert not s.is_allowed("anna@xn--bcher-kva.example.evil")
    with pytest.raises(ValueError):
        AuthSettings.from_mapping({"auth": {"allowed_emails": ["\u212aate@example.com"]}})


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


# ---- limits on password checks ------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def two_passwords(stored: str) -> AuthSettings:
    editor = hash_password("editors only please", **FAST)
    return AuthSettings.from_mapping({"auth": {"password_hash": stored,
                                               "editor_password_hash": editor}})


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts scrypt derivations (one entry per call)."""
    calls: list[int] = []
    original = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def _in_parallel(count: int, work: Callable[[int], object]) -> list[object]:
    results: list[object] = [None] * count

    def run(i: int) -> None:
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_parallel_guesses_run_at_most_k_checks_at_once(
    two_passwords: AuthSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = SignInLimiter(global_burst=1000, max_concurrent=2, wait_seconds=0)
    lock, release = threading.Lock(), threading.Event()
    active, peak, refused = [0], [0], [0]
    original = hashlib.scrypt

    def blocking(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        release.wait(timeout=30)  # held until every other guess has come back
        with lock:
            active[0] -= 1
        return original(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", blocking)

    def guess(i: int) -> object:
        attempt = attempt_sign_in(two_passwords, f"guess {i}", peer=f"198.51.100.{i}",
                                  limiter=limiter)
        if attempt.retry_after is not None:
            with lock:
                refused[0] += 1
                if refused[0] == 22:
                    release.set()
        return attempt

    results = _in_parallel(24, guess)
    assert peak[0] == 2
    assert refused[0] == 22  # refused at once: "Too many sign-in attempts; try again in 1 s"
    assert sum(a.retry_after is None for a in results) == 2
    assert all(a.role is None for a in results)


def test_parallel_guesses_stay_within_the_global_budget(
    two_passwords: AuthSettings, derivations: list[int]
) -> None:
    clock = _Clock()
    limiter = SignInLimiter(global_per_minute=5, global_burst=5, address_burst=100,
                            max_concurrent=2, wait_seconds=30, clock=clock)
    results = _in_parallel(20, lambda i: attempt_sign_in(
        two_passwords, f"guess {i}", peer=f"198.51.100.{i}", limiter=limiter))
    assert len(derivations) == 5 * 2  # 5 checks of two different salts; no more
    refusals = [a.retry_after for a in results if a.retry_after is not None]
    assert len(refusals) == 15 and set(refusals) == {12}  # one token back per 12 s
    clock.now += 12
    assert attempt_sign_in(two_passwords, "x", peer="192.0.2.1", limiter=limiter).retry_after \
        is None
    assert attempt_sign_in(two_passwords, "y", peer="192.0.2.2", limiter=limiter).retry_after \
        == 12
    assert len(derivations) == 6 * 2  # the refused guesses ran no scrypt


def test_a_throttled_address_is_refused_even_with_the_right_password(
    two_passwords: AuthSettings, derivations: list[int]
) -> None:
    clock = _Clock()
    limiter = SignInLimiter(address_per_minute=3, address_burst=3, clock=clock)
    home = "203.0.113.9"
    for i in range(3):
        assert attempt_sign_in(two_passwords, f"guess {i}", peer=home,
                               limiter=limiter) == SignInAttempt(None)
    used = len(derivations)
    attempt = attempt_sign_in(two_passwords, "correct horse battery", peer=home, limiter=limiter)
    # The user sees: "Too many sign-in attempts; try again in 20 seconds."
    assert attempt.role is None and attempt.retry_after == 20
    assert len(derivations) == used  # refused before any scrypt
    other = attempt_sign_in(two_passwords, "correct horse battery", peer="203.0.113.10",
                            limiter=limiter)
    assert other.role == "viewer" and other.retry_after is None  # another address is not
    clock.now += 19
    assert attempt_sign_in(two_passwords, "editors only please", peer=home,
                           limiter=limiter).retry_after == 1
    clock.now += 1  # the window has passed: one attempt is back
    assert attempt_sign_in(two_passwords, "editors only please", peer=home,
                           limiter=limiter).role == "editor"
    # a right password gives its token back: the next attempt is checked too
    assert attempt_sign_in(two_passwords, "correct horse battery", peer=home,
                           limiter=limiter).role == "viewer"
    assert attempt_sign_in(two_passwords, "", peer=home, limiter=limiter) == SignInAttempt(None)


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    stored: str, derivations: list[int]
) -> None:
    proxy = "10.0.0.2"
    assert client_address(proxy, "198.51.100.7") == "10.0.0.2"
    direct = AuthSettings.from_mapping({"auth": {"password_hash": stored}})
    limiter = SignInLimiter(address_burst=2, clock=_Clock())
    for i in range(2):  # a client cannot get fresh budgets by inventing addresses
        attempt_sign_in(direct, "guess", peer=proxy, forwarded_for=f"192.0.2.{i}",
                        limiter=limiter)
    assert attempt_sign_in(direct, "guess", peer=proxy, forwarded_for="192.0.2.99",
                           limiter=limiter).retry_after is not None

    behind = AuthSettings.from_mapping({"auth": {"password_hash": stored,
                                                 "trusted_proxies": ["10.0.0.0/8", "::1"]}})
    nets = behind.trusted_proxies
    assert client_address(proxy, "198.51.100.7", nets) == "198.51.100.7"
    # the right-most address the trusted proxies did not write: not the client's own claim
    assert client_address(proxy, "192.0.2.66, 198.51.100.7, 10.0.0.5", nets) == "198.51.100.7"
    assert client_address(proxy, "not an address", nets) == "10.0.0.2"
    assert client_address("198.51.100.8", "192.0.2.1", nets) == "198.51.100.8"
    assert client_address(None, "192.0.2.1", nets) == "127.0.0.1"  # loopback not listed
    assert client_address("::1", "2001:db8:1:2:3::4", nets) == "2001:db8:1:2::/64"
    limiter = SignInLimiter(address_burst=2, clock=_Clock())
    for i in range(3):
        assert attempt_sign_in(behind, "guess", peer=proxy, forwarded_for=f"192.0.2.{i}",
                               limiter=limiter).retry_after is None
    with pytest.raises(ValueError, match="trusted_proxies"):
        AuthSettings.from_mapping({"auth": {"password_hash": stored,
                                            "trusted_proxies": ["proxy.example.com"]}})


def test_hashes_sharing_a_salt_share_one_derivation(stored: str, derivations: list[int]) -> None:
    n, r, p, salt_b64, _ = stored.split("$")[1:]
    salt = base64.b64decode(salt_b64)
    other = hashlib.scrypt(b"editors only please", salt=salt, n=int(n), r=int(r), p=int(p),
                           dklen=32)
    editor = "$".join(["scrypt", n, r, p, salt_b64, base64.b64encode(other).decode()])
    s = AuthSettings.from_mapping({"auth": {"password_hash": stored,
                                            "editor_password_hash": editor}})
    derivations.clear()
    assert s.role_for_password("wrong guess") is None and len(derivations) == 1
    assert s.role_for_password("editors only please") == "editor"
    assert s.role_for_password("correct horse battery") == "viewer"
