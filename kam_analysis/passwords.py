"""Team-password hashes: scrypt, self-describing, checked in constant time.

Hashes are strings ``scrypt$n$r$p$salt_b64$hash_b64`` (standard base64) made by
``python -m kam_analysis hash-password``; :mod:`kam_analysis.auth` reads them from
the ``[auth]`` settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

#: scrypt cost used by :func:`hash_password` (about 0.1 s and 32 MiB per check).
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1

# Bounds accepted when reading a stored hash, so an edited secrets file cannot
# make every login burn gigabytes of memory or minutes of CPU.
_MIN_LOG2_N, _MAX_LOG2_N = 10, 20
_MAX_R, _MAX_P = 32, 16
_SALT_BYTES = 16
_HASH_BYTES = 32


def _maxmem(n: int, r: int, p: int) -> int:
    return 128 * r * (n + p + 2) + 1024 * 1024


def hash_password(
    password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    """Hash a password with scrypt and a fresh random salt.

    Parameters
    ----------
    password : str
        The password; must not be empty.
    n, r, p : int
        scrypt cost parameters (``n`` a power of two between 2**10 and 2**20).

    Returns
    -------
    str
        ``"scrypt$n$r$p$salt_b64$hash_b64"``, to store as ``password_hash``.

    Raises
    ------
    ValueError
        If the password is empty or the parameters are out of range.
    """
    if not isinstance(password, str) or password == "":
        raise ValueError("The password is empty.")
    _check_params(n, r, p)
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
        maxmem=_maxmem(n, r, p), dklen=_HASH_BYTES,
    )
    return "$".join(
        ["scrypt", str(n), str(r), str(p),
         base64.b64encode(salt).decode("ascii"), base64.b64encode(digest).decode("ascii")]
    )


def _check_params(n: int, r: int, p: int) -> None:
    if n < 2**_MIN_LOG2_N or n > 2**_MAX_LOG2_N or n & (n - 1):
        raise ValueError(
            f"scrypt n must be a power of two from 2**{_MIN_LOG2_N} to 2**{_MAX_LOG2_N}."
        )
    if not 1 <= r <= _MAX_R:
        raise ValueError(f"scrypt r must be from 1 to {_MAX_R}.")
    if not 1 <= p <= _MAX_P:
        raise ValueError(f"scrypt p must be from 1 to {_MAX_P}.")


def parse_password_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """Split a stored hash into ``(n, r, p, salt, digest)``.

    Raises
    ------
    ValueError
        If ``stored`` is not a well-formed ``scrypt$n$r$p$salt_b64$hash_b64`` string
        with parameters in the accepted range.
    """
    if not isinstance(stored, str):
        raise ValueError("The password hash must be text.")
    parts = stored.strip().split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError(
            "The password hash is not of the form scrypt$n$r$p$salt$hash; "
            "make one with: python -m kam_analysis hash-password"
        )
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("The password hash has a malformed number or base64 field.") from None
    if not all(x.isdigit() for x in parts[1:4]):
        raise ValueError("The password hash has a malformed number field.")
    _check_params(n, r, p)
    if len(salt) < 8 or len(digest) < 16:
        raise ValueError("The password hash has a too short salt or hash.")
    return n, r, p, salt, digest


def verify_password(stored: str, candidate: str) -> bool:
    """Return True if ``candidate`` is the password behind ``stored``.

    The comparison is constant-time. A malformed or tampered hash string, or a
    candidate that is not text, never matches (returns False) rather than raising.

    Parameters
    ----------
    stored : str
        A hash made by :func:`hash_password`.
    candidate : str
        The password typed by the user.
    """
    return first_match(candidate, [(True, stored)]) is not None


def first_match(candidate: object, hashes: Iterable[tuple[T, str]]) -> T | None:
    """Return the tag of the first stored hash ``candidate`` matches, or None.

    Hashes that share scrypt parameters and salt share one derivation; hashes made
    by :func:`hash_password` each have a fresh salt, so each costs its own (an
    editor and a team password are two derivations per wrong guess: a common salt
    would let one offline derivation test a guess against both). Every hash is
    compared, so the time does not tell which one matched.

    Parameters
    ----------
    candidate : object
        The typed password; anything but text never matches.
    hashes : iterable of (tag, stored hash)
        In order of precedence; a malformed stored hash never matches.

    Returns
    -------
    object or None
        The tag of the first hash that matches, else None.
    """
    if not isinstance(candidate, str):
        return None
    derived: dict[tuple[int, int, int, bytes, int], bytes] = {}
    found: T | None = None
    for tag, stored in hashes:
        try:
            n, r, p, salt, digest = parse_password_hash(stored)
        except ValueError:
            continue
        key = (n, r, p, salt, len(digest))
        if key not in derived:
            derived[key] = hashlib.scrypt(
                candidate.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                maxmem=_maxmem(n, r, p), dklen=len(digest),
            )
        if hmac.compare_digest(derived[key], digest) and found is None:
            found = tag
    return found
