"""Process-wide limits on password checks, so guessing cannot flood the server.

Each password check costs one or two scrypt derivations (about 0.1-0.3 s of CPU
and 32 MiB each). Without a limit, parallel wrong guesses from many sessions
slow every signed-in user down and grow the server's memory with the number of
simultaneous guesses. :class:`SignInLimiter` puts three bounds on them, all
thread-safe and shared by every session of the process:

* a **global budget**: a token bucket of ``global_burst`` failed checks that
  refills at ``global_per_minute`` per minute for the whole process;
* a **per-address budget**: the same for each client address (IPv6 addresses
  are grouped by their /64 network, which one host usually owns);
* a **bound on concurrent checks**: at most ``max_concurrent`` run at once; a
  check waits at most ``wait_seconds`` for its turn.

A check takes a token from both buckets before it runs, and gives them back when
the password was right: only wrong guesses use up the budgets, so a team signing
in at nine o'clock is not slowed down, while every guess of somebody who does not
know the password counts. Beyond a budget, or when no turn comes in time, the
guess is refused at once without running scrypt, with the seconds to wait.

:func:`client_address` finds the address to throttle: the connection's peer,
or - only when the peer is a trusted reverse proxy - the right-most address in
``X-Forwarded-For`` that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Defaults: 30 wrong guesses per minute for the process, 5 per minute per
#: address, one scrypt check at a time, waiting at most 2 s for the turn.
GLOBAL_PER_MINUTE = 30.0
GLOBAL_BURST = 30
ADDRESS_PER_MINUTE = 5.0
ADDRESS_BURST = 5
MAX_CONCURRENT = 1
WAIT_SECONDS = 2.0
#: Address buckets kept at most; full (unused) buckets are dropped first.
MAX_ADDRESSES = 10_000

#: What Streamlit reports as no address: a connection from this machine.
LOCAL_ADDRESS = "127.0.0.1"


@dataclass(frozen=True)
class Refusal:
    """A guess refused without checking it: the ``reason`` is ``"global"`` (process
    budget used up), ``"address"`` (this address's budget used up) or ``"busy"`` (no
    turn among the concurrent checks); a new attempt may be checked after
    ``retry_after`` whole seconds (at least 1).
    """

    reason: str
    retry_after: int


class _Bucket:
    """A token bucket; the caller holds the limiter's lock."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, burst: int, per_minute: float, now: float) -> None:
        self.burst, self.rate = float(burst), per_minute / 60.0
        self.tokens, self.stamp = float(burst), now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait(self) -> int:
        """Seconds until one token is back (call after :meth:`refill`)."""
        missing = 1.0 - self.tokens
        return max(1, math.ceil(missing / self.rate)) if self.rate > 0 else 3600

    def give_back(self) -> None:
        self.tokens = min(self.burst, self.tokens + 1.0)


class SignInLimiter:
    """Bounds on password checks for the whole process (see the module doc).

    Parameters
    ----------
    global_per_minute, global_burst : float, int
        Process-wide token bucket of wrong guesses: refill rate and capacity.
    address_per_minute, address_burst : float, int
        The same for each client address.
    max_concurrent : int
        Checks that may run at the same time.
    wait_seconds : float
        How long a check waits for its turn before it is refused (0: not at all).
    clock : callable
        Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        *,
        global_per_minute: float = GLOBAL_PER_MINUTE,
        global_burst: int = GLOBAL_BURST,
        address_per_minute: float = ADDRESS_PER_MINUTE,
        address_burst: int = ADDRESS_BURST,
        max_concurrent: int = MAX_CONCURRENT,
        wait_seconds: float = WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min(global_burst, address_burst, max_concurrent) < 1:
            raise ValueError("Bursts and max_concurrent must be at least 1.")
        self._clock = clock
        self._lock = threading.Lock()
        self._turns = threading.BoundedSemaphore(max_concurrent)
        self._wait = max(0.0, wait_seconds)
        self._address_burst, self._address_rate = address_burst, address_per_minute
        self._global = _Bucket(global_burst, global_per_minute, clock())
        self._addresses: dict[str, _Bucket] = {}

    def attempt(self, address: str, check: Callable[[], T | None]) -> T | Refusal | None:
        """Run ``check`` within the limits, or refuse it without running it.

        Parameters
        ----------
        address : str
            The client address (see :func:`client_address`).
        check : callable
            The password check: returns a truthy value (e.g. the granted role)
            when the password is right, a falsy one when it is wrong.

        Returns
        -------
        object or Refusal
            What ``check`` returned, or a :class:`Refusal` if it did not run.
        """
        refusal = self._take(address)
        if refusal is not None:
            return refusal
        if not self._turns.acquire(timeout=self._wait):
            self._give_back(address)  # nothing was checked
            return Refusal("busy", max(1, math.ceil(self._wait)))
        right = False
        try:
            result = check()
            right = bool(result)
        finally:
            self._turns.release()
            if right:
                self._give_back(address)
        return result

    def _take(self, address: str) -> Refusal | None:
        with self._lock:
            now = self._clock()
            self._global.refill(now)
            bucket = self._addresses.get(address)
            if bucket is None:
                self._prune(now)
                bucket = self._addresses[address] = _Bucket(
                    self._address_burst, self._address_rate, now)
            bucket.refill(now)
            if bucket.tokens < 1.0:
                return Refusal("address", bucket.wait())
            if self._global.tokens < 1.0:
                return Refusal("global", self._global.wait())
            bucket.tokens -= 1.0
            self._global.tokens -= 1.0
            return None

    def _give_back(self, address: str) -> None:
        with self._lock:
            self._global.give_back()
            bucket = self._addresses.get(address)
            if bucket is not None:
                bucket.give_back()

    def _prune(self, now: float) -> None:
        """Keep the address table bounded: drop full buckets, then the oldest."""
        if len(self._addresses) < MAX_ADDRESSES:
            return
        for key, bucket in list(self._addresses.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.burst:
                del self._addresses[key]
        if len(self._addresses) >= MAX_ADDRESSES:
            oldest = sorted(self._addresses, key=lambda k: self._addresses[k].stamp)
            for key in oldest[: len(oldest) // 2]:
                del self._addresses[key]


# --------------------------------------------------------------------------
# Client address
# --------------------------------------------------------------------------


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse trusted proxy addresses or networks (``"10.0.0.1"``, ``"10.0.0.0/8"``).

    Raises
    ------
    ValueError
        If an entry is neither an IP address nor a network.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network.") from None
    return tuple(networks)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if text is None:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Iterable[IPNetwork] = ()
) -> str:
    """Return the address a sign-in attempt is counted under.

    Parameters
    ----------
    peer : str or None
        The connection's peer address; None means this machine (Streamlit's
        ``st.context.ip_address`` reports local connections as None).
    forwarded_for : str or None
        The ``X-Forwarded-For`` header (all its values joined by commas).
    trusted : iterable of ip networks
        Reverse proxies whose ``X-Forwarded-For`` is believed. Empty: the header
        is ignored, since any client can send it.

    Returns
    -------
    str
        An IPv4 address, or an IPv6 /64 network, as text; ``"unknown"`` when the
        peer is not an IP address.
    """
    trusted = tuple(trusted)
    current = _ip(LOCAL_ADDRESS if peer is None else peer)
    if current is None:
        return "unknown"

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in trusted)

    hops = [h for h in (forwarded_for or "").split(",") if h.strip()]
    while is_trusted(current) and hops:
        previous = _ip(hops.pop())
        if previous is None:  # garbage from the client side: keep the proxy's address
            break
        current = previous
    return _key(current)


#: The limiter every session of this process shares.
DEFAULT_LIMITER = SignInLimiter()
