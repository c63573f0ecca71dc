"""Saved copies of uploads are bounded in total size and age and go with their session
(issue 14, finding 9). The conftest points the temp folder at the test's own folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kam_analysis.db import Database
from ui import uploads
from ui.uploads import UploadLimits, UploadSpaceExhausted

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_copies_of_ended_sessions_go_at_the_next_sweep() -> None:
    """``alive`` is the hook for a way to tell ended sessions (the app has none: age)."""
    limits = UploadLimits()
    for n in range(13):  # 13 sessions ended with a file in the uploader
        uploads.save(b"x" * 1000, ".csv", f"ended-{n}", limits)
    uploads.save(b"y", ".csv", "alive", limits)
    uploads.save(b"z", ".csv", "me", limits)
    deleted = uploads.sweep(limits, current="me", alive=lambda sid: sid == "alive")
    assert deleted == 13
    assert sorted(p.name for p in uploads.root().iterdir()) == ["alive", "me"]


def test_idle_copies_go_by_age(tmp_path: Path) -> None:
    limits = UploadLimits(max_age_seconds=3600)
    old = uploads.save(b"x", ".csv", "old", limits)
    new = uploads.save(b"x", ".csv", "new", limits)
    _age(old.parent, 3700)
    legacy = uploads.root().parent / "kam_upload_legacy.csv"
    legacy.write_bytes(b"x")
    _age(legacy, 3700)
    assert uploads.sweep(limits, alive=None) == 2
    assert not old.exists() and new.exists() and not legacy.exists()


def test_total_size_is_bounded() -> None:
    limits = UploadLimits(max_bytes=2500)
    uploads.save(b"x" * 1000, ".csv", "a", limits)
    uploads.save(b"x" * 1000, ".csv", "b", limits)
    with pytest.raises(UploadSpaceExhausted):
        uploads.save(b"x" * 1000, ".csv", "c", limits)
    # a session replacing its own copy frees its space first
    uploads.save(b"x" * 1400, ".csv", "b", limits)
    assert len(list((uploads.root() / "b").iterdir())) == 1


def test_limits_from_the_environment() -> None:
    assert UploadLimits.from_env({}) == UploadLimits()
    assert UploadLimits.from_env({"KAM_UPLOAD_MAX_MB": "10", "KAM_UPLOAD_MAX_AGE_HOURS": "0.5"}
                                 ) == UploadLimits(max_bytes=10 * 2**20, max_age_seconds=1800)
    assert UploadLimits.from_env({"KAM_UPLOAD_MAX_MB": "-1"}) == UploadLimits()


@pytest.mark.usefixtures("navigation_mode")
def test_a_session_start_sweeps_and_an_upload_lands_in_the_sessions_folder(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAM_UPLOAD_MAX_AGE_HOURS", "1")
    stale = uploads.save(b"x", ".csv", "a-session-that-ended", UploadLimits())
    _age(stale.parent, 2 * 3600)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert not stale.exists()  # swept when the session started, before any upload
    at.switch_page("pages/data.py").run()
    at.get("file_uploader")[0].upload("s.csv", b"Kunde;Datum;Umsatz\nC1;01.02.2025;1\n",
                                      "text/csv").run()
    saved = Path(at.session_state["data_temp"][1])
    assert saved.parent.parent == uploads.root() and saved.exists()
    at.get("file_uploader")[0].clear().run()
    assert not saved.parent.exists()  # the session's folder goes with its file


@pytest.mark.usefixtures("navigation_mode")
def test_an_upload_beyond_the_total_is_refused(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAM_UPLOAD_MAX_MB", "0.001")  # about 1 KB
    uploads.save(b"x" * 1500, ".csv", "another-live-session", UploadLimits())
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/data.py").run()
    at.get("file_uploader")[0].upload("s.csv", b"Kunde;Datum;Umsatz\nC1;01.02.2025;1\n",
                                      "text/csv").run()
    assert not at.exception
    assert any("too many uploaded files" in e.value for e in at.error)


@pytest.mark.usefixtures("navigation_mode")
def test_thirteen_ended_sessions_leave_no_copy_behind(
    app_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """13 sessions upload a file and end (their tabs close): an hour later the next
    session's start deletes all 13 copies; a session still running keeps its copy."""
    csv = b"Kunde;Datum;Umsatz\nC1;01.02.2025;1\n"
    ended = []
    for _ in range(13):
        at = AppTest.from_file(APP, default_timeout=30).run()
        at.switch_page("pages/data.py").run()
        at.get("file_uploader")[0].upload("s.csv", csv, "text/csv").run()
        ended.append(Path(at.session_state["data_temp"][1]))
    for path in ended:
        _age(path.parent, 3700)
    running = AppTest.from_file(APP, default_timeout=30).run()
    running.switch_page("pages/data.py").run()
    running.get("file_uploader")[0].upload("s.csv", csv, "text/csv").run()
    mine = Path(running.session_state["data_temp"][1])
    _age(mine.parent, 3700)
    running.run()  # a run of a living session marks its folder as in use
    AppTest.from_file(APP, default_timeout=30).run()  # a new session starts
    assert not any(p.exists() for p in ended)
    assert mine.exists()
