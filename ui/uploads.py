"""The Data page's saved copies of uploads: one private folder per session, bounded in
total size and age.

The importer needs a file on disk, so an upload is copied to
``<temp>/kam_uploads/<session id>/``. Streamlit has no session-end hook, so folders
are swept at every upload and at every session start:

* a folder whose session the Streamlit runtime no longer knows
  (``Runtime.is_active_session``; when there is no runtime, as in a bare script, this
  check is skipped) is deleted at once;
* a folder older than ``KAM_UPLOAD_MAX_AGE_HOURS`` (default 6) is deleted whatever its
  session;
* copies of the old layout (``kam_upload_*`` directly in the temp folder) go by age.

A new copy is refused when all copies together would exceed ``KAM_UPLOAD_MAX_MB``
(default 1024 MB). A copy is also deleted as soon as its file leaves the uploader.
"""

from __future__ import annotations

import contextlib
import os
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
    max_age_seconds: float = 6 * 3600

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


def session_alive_checker() -> Callable[[str], bool] | None:
    """Return ``is_active_session`` of the running Streamlit runtime, or None without one."""
    try:
        from streamlit.runtime import Runtime, exists
    except ImportError:  # pragma: no cover - Streamlit is a dependency of the app
        return None
    if not exists():
        return None
    return Runtime.instance().is_active_session


def sweep(limits: UploadLimits, current: str | None = None,
          alive: Callable[[str], bool] | None = None, now: float | None = None) -> int:
    """Delete the copies of ended sessions and those older than the age limit.

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


K_SWEPT = "ui_uploads_swept"  # session state: this session has swept at its start


def session_id() -> str:
    """The running Streamlit session's id (``"bare"`` outside a session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "bare"


def sweep_now() -> int:
    """Sweep with the configured limits, keeping this session's folder."""
    return sweep(UploadLimits.from_env(), current=session_id(), alive=session_alive_checker())


def sweep_at_session_start() -> None:
    """Sweep once per session, at its first run (``app.py`` calls it on every run)."""
    import streamlit as st

    if not st.session_state.get(K_SWEPT):
        st.session_state[K_SWEPT] = True
        with contextlib.suppress(OSError):
            sweep_now()
