"""The Data page's saved copies of uploads: one private folder per session, bounded in
total size and age.

The importer needs a file on disk, so an upload is copied to
``<temp>/kam_uploads/<session key>/`` (a random key kept in the session's state).
Streamlit has no session-end hook and no public API that tells whether a session still
exists (only the private runtime knows), so sessions are told apart by age: every run
of a session touches its folder, and at every upload and every session start

* a folder no run has touched for ``KAM_UPLOAD_MAX_AGE_HOURS`` (default 1) is deleted:
  its session has ended or sat idle that long (an idle session that comes back saves its
  upload again from the uploader);
* copies of the old layout (``kam_upload_*`` directly in the temp folder) go by age.

A new copy is refused when all copies together would exceed ``KAM_UPLOAD_MAX_MB``
(default 1024 MB). A copy is also deleted as soon as its file leaves the uploader.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

FOLDER = "kam_uploads"
LEGACY_PREFIX = "kam_upload_"


class UploadSpaceExhausted(RuntimeError):
    """Saved uploads would exceed the configured total size."""


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on saved uploads: total size in bytes and age in seconds."""

    max_bytes: int = 1024 * 2**20
    max_age_seconds: float = 3600

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> UploadLimits:
        """Read ``KAM_UPLOAD_MAX_MB`` and ``KAM_UPLOAD_MAX_AGE_HOURS`` (positive numbers;
        a missing or invalid value keeps the default)."""
        env = os.environ if env is None else env
        default = cls()
        mb = _positive(env.get("KAM_UPLOAD_MAX_MB"))
        hours = _positive(env.get("KAM_UPLOAD_MAX_AGE_HOURS"))
        return cls(max_bytes=int(mb * 2**20) if mb else default.max_bytes,
                   max_age_seconds=hours * 3600 if hours else default.max_age_seconds)


def _positive(text: str | None) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if value > 0 else None


def root() -> Path:
    """The folder holding one sub-folder per session (created private on first use)."""
    folder = Path(tempfile.gettempdir()) / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file():
                total += path.stat().st_size
    return total


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def sweep(limits: UploadLimits, current: str | None = None,
          alive: Callable[[str], bool] | None = None, now: float | None = None) -> int:
    """Delete the copies of ended sessions (when ``alive`` can tell) and those untouched
    for longer than the age limit.

    Parameters
    ----------
    limits : UploadLimits
        The bounds.
    current : str, optional
        The calling session's id (its folder is kept unless it is too old).
    alive : callable, optional
        ``alive(session_id)``: whether a session still exists; None -> by age only.
    now : float, optional
        The time (for tests).

    Returns
    -------
    int
        How many folders or files were deleted.
    """
    now = time.time() if now is None else now
    deleted = 0
    for folder in root().iterdir():
        ended = alive is not None and folder.name != current and not alive(folder.name)
        if ended or _age(folder, now) > limits.max_age_seconds:
            shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink(
                missing_ok=True)
            deleted += 1
    for old in Path(tempfile.gettempdir()).glob(LEGACY_PREFIX + "*"):
        if _age(old, now) > limits.max_age_seconds:
            with contextlib.suppress(OSError):  # another session may delete it first
                old.unlink()
                deleted += 1
    return deleted


def save(data: bytes | memoryview, suffix: str, session: str, limits: UploadLimits) -> Path:
    """Save an upload into the session's folder (replacing what the folder held).

    Raises
    ------
    UploadSpaceExhausted
        If the copies of all sessions together would exceed ``limits.max_bytes``.
    """
    folder = root() / session
    discard(session)
    if _size(root()) + len(data) > limits.max_bytes:
        raise UploadSpaceExhausted(len(data))
    folder.mkdir(mode=0o700, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=LEGACY_PREFIX, suffix=suffix, dir=folder)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return Path(path)


def discard(session: str) -> None:
    """Delete the session's folder of saved uploads."""
    shutil.rmtree(root() / session, ignore_errors=True)


K_SESSION = "ui_upload_session"  # session state: this session's random folder key


def session_id() -> str:
    """This session's folder key (random, made on first use, kept in session state)."""
    import streamlit as st

    key = st.session_state.get(K_SESSION)
    if not isinstance(key, str):
        key = secrets.token_hex(16)
        st.session_state[K_SESSION] = key
    return key


def sweep_now() -> int:
    """Sweep with the configured limits, keeping this session's folder."""
    return sweep(UploadLimits.from_env(), current=session_id())


def on_every_run() -> None:
    """``app.py`` calls it on every run: the session's first run sweeps; every run marks
    the session's folder (if it has one) as in use."""
    import streamlit as st

    with contextlib.suppress(OSError):
        if K_SESSION not in st.session_state:
            session_id()
            sweep_now()
            return
        folder = root() / session_id()
        if folder.exists():
            os.utime(folder)
