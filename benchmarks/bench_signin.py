"""Sign-in flood benchmark: a signed-in user's page time while others guess passwords.

Starts the app (``streamlit run app.py``) on a free local port with its own
temporary database and a team password (real scrypt cost), then drives one
real browser session (Playwright + Debian's Chromium) and many cheap guessers:

* one user signs in and switches between two pages; each switch is timed from
  the click until the new page's heading is shown and the app is idle;
* ``idle``: these times with nobody else connected;
* ``loaded``: the same while ``--guessers`` sessions (default 48) submit wrong
  passwords as fast as the server answers, each from its own client address
  (``X-Forwarded-For``, believed because the benchmark sets
  ``trusted_proxies = ["127.0.0.1"]``: the hardest case for the limits, which
  then cannot simply throttle the one address; ``--one-address`` drops it).
  The guessers are not browsers but raw websocket sessions speaking
  Streamlit's protocol (``BackMsg`` / ``ForwardMsg`` on ``/_stcore/stream``), so
  that they cost the client little and every guess reaches the server.

Prints the median and maximum page time of both phases, their ratio (target:
the loaded median within 2x of idle), how the guesses ended (wrong password,
refused for too many attempts) and the server's peak RSS. Stops by itself
within about two minutes.

Usage: python benchmarks/bench_signin.py [--guessers 48] [--seconds 40] [--one-address]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright  # noqa: E402
from served_app import CHROMIUM, CHROMIUM_ARGS, start, stop  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ClientState_pb2 import ClientState  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from kam_analysis.auth import hash_password  # noqa: E402

PASSWORD = "benchmark team password"
PAGES = (("Pareto", "Pareto"), ("Overview", "Overview"))  # nav label, heading
STATUS = '[data-testid="stStatusWidget"]'
TIMEOUT_MS = 60_000


def _start_server(work: Path, trust_local_proxy: bool) -> tuple[subprocess.Popen, str]:
    """Run the app with cwd ``work``, whose .streamlit holds the config and a password."""
    settings = work / ".streamlit"
    settings.mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", settings / "config.toml")
    proxies = 'trusted_proxies = ["127.0.0.1"]\n' if trust_local_proxy else ""
    (settings / "secrets.toml").write_text(
        f'[auth]\npassword_hash = "{hash_password(PASSWORD)}"\n{proxies}', encoding="utf-8")
    return start(work, {"KAM_DB": str(work / "bench.duckdb"), "PYTHONPATH": str(ROOT)},
                 cwd=work, timeout=60)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _idle(page: Page) -> None:
    """Wait until the app has finished its run (the running indicator is gone)."""
    await page.wait_for_timeout(50)
    await page.locator(STATUS).wait_for(state="hidden", timeout=TIMEOUT_MS)


async def _sign_in(page: Page, url: str) -> None:
    await page.goto(url)
    await page.locator('input[type="password"]').fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Overview").first.wait_for(timeout=TIMEOUT_MS)
    await _idle(page)


async def _page_times(page: Page, seconds: float) -> list[float]:
    """Switch between two pages for ``seconds``; return each switch's time in seconds."""
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for label, heading in PAGES:
            started = time.perf_counter()
            await page.get_by_role("link", name=label).first.click()
            await page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
            await _idle(page)
            times.append(time.perf_counter() - started)
    return times


class _Session:
    """One raw Streamlit session over ``/_stcore/stream`` (no browser).

    Speaks the app's own protocol: a ``BackMsg`` rerun request, answered by
    ``ForwardMsg`` deltas until ``script_finished``.
    """

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids: dict[str, str] = {}  # "text_input" / "button" -> widget id

    async def rerun(self, states: list[WidgetState]) -> list[str]:
        """Ask for a rerun with ``states``; return the error texts the run showed."""
        message = BackMsg(rerun_script=ClientState(
            widget_states=WidgetStates(widgets=states)))
        await self.socket.send(message.SerializeToString())
        errors: list[str] = []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.socket.recv())
            kind = forward.WhichOneof("type")
            if kind == "script_finished":
                return errors
            if kind != "delta" or forward.delta.WhichOneof("type") != "new_element":
                continue
            element = forward.delta.new_element
            name = element.WhichOneof("type")
            if name in ("text_input", "button"):
                self.ids[name] = getattr(element, name).id
            elif name == "alert":
                errors.append(element.alert.body)


async def _guesser(url: str, index: int, distinct: bool,
                   stop: asyncio.Event, outcomes: dict[str, int]) -> None:
    """Guess wrong passwords as fast as the server answers, over a raw websocket."""
    headers = {"X-Forwarded-For": f"10.{index // 250}.{index % 250}.7"} if distinct else {}
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with connect(stream, additional_headers=headers, subprotocols=["streamlit"],
                           max_size=None, open_timeout=TIMEOUT_MS / 1000) as socket:
            session = _Session(socket)
            await session.rerun([])  # the first run draws the sign-in form
            n = 0
            while not stop.is_set():
                n += 1
                errors = await asyncio.wait_for(session.rerun([
                    WidgetState(id=session.ids["text_input"],
                                string_value=f"wrong guess {index}-{n}"),
                    WidgetState(id=session.ids["button"], trigger_value=True),
                ]), TIMEOUT_MS / 1000)
                if any("Too many" in e for e in errors):
                    kind = "refused"
                elif any("Wrong password" in e for e in errors):
                    kind = "wrong"
                else:
                    kind = "other"
                outcomes[kind] = outcomes.get(kind, 0) + 1
    except Exception as exc:  # the end of the run, or a timeout under load
        if not stop.is_set():
            outcomes["errors"] = outcomes.get("errors", 0) + 1
            print(f"guesser {index}: {type(exc).__name__}: {exc}", file=sys.stderr)


def _summary(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(f"{name:7s} page switches: {len(times):3d}  median {median:6.2f} s  "
          f"max {max(times):6.2f} s")
    return median


async def _run(args: argparse.Namespace, url: str) -> tuple[list[float], list[float], dict]:
    outcomes: dict[str, int] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        user = await (await browser.new_context(viewport={"width": 1400, "height": 1000})
                      ).new_page()
        user.set_default_timeout(TIMEOUT_MS)
        await _sign_in(user, url)
        await _page_times(user, 3)  # warm the caches
        idle = await _page_times(user, args.seconds / 2)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_guesser(url, i, not args.one_address,
                                              stop, outcomes))
                 for i in range(args.guessers)]
        await asyncio.sleep(5)  # let the guessers connect and start
        loaded = await _page_times(user, args.seconds)
        stop.set()
        await asyncio.wait(tasks, timeout=20)
        await browser.close()
    return idle, loaded, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guessers", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=40,
                        help="time under load (the idle phase takes half of it)")
    parser.add_argument("--one-address", action="store_true",
                        help="all guessers from one address (no X-Forwarded-For)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kam-bench-signin-") as tmp:
        proc, url = _start_server(Path(tmp), trust_local_proxy=not args.one_address)
        try:
            idle, loaded, outcomes = asyncio.run(_run(args, url))
            peak = _peak_rss_mb(proc.pid)
        finally:
            stop(proc)
    base = _summary("idle", idle)
    under = _summary("loaded", loaded)
    print(f"guessers: {args.guessers} ({'one address' if args.one_address else 'one address each'})"
          f"; guesses: {outcomes}")
    ratio = under / base
    print(f"ratio loaded/idle (median): {ratio:.2f}x  (target: within 2x) "
          f"{'OK' if ratio <= 2 else 'MISSED'}")
    print(f"server peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
