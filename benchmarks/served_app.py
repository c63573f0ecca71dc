"""The app served for the browser benchmarks (``bench_browser.py``,
``bench_signin.py``): ``streamlit run app.py`` on a free local port, and the
Chromium that drives it (Debian's, with the flags the browser tests use)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def free_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the app at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def start(work: Path, env: dict[str, str], cwd: Path = ROOT,
          timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """Run the app from ``cwd`` with ``env`` added to the environment, its log in
    ``work/streamlit.log``; return the process and its address once it is healthy
    (or exit with the log's end)."""
    url = f"http://127.0.0.1:{(port := free_port())}"
    log_path = work / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit(f"the app did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.3)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    """Stop the app (killed if it does not end within 20 s)."""
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    if proc.poll() is None:
        proc.kill()


@contextlib.contextmanager
def serving(work: Path, env: dict[str, str]) -> Iterator[str]:
    """:func:`start` for the ``with`` block; yields the address."""
    proc, url = start(work, env)
    try:
        yield url
    finally:
        stop(proc)
