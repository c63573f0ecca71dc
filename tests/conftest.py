"""Shared fixtures: fresh databases and the deterministic demo dataset."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kam_analysis.db import Database, open_database
from kam_analysis.demo import DEMO_DATASET, generate_demo, load_demo

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
APP_TIMEOUT = 30


@pytest.fixture(autouse=True)
def _temporary_files_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files (the Data page's saved uploads among them) go to the test's own
    folder, so a test run leaves nothing in the system's temp folder."""
    folder = tmp_path / "tempfiles"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """An empty database in a fresh file."""
    database = open_database(tmp_path / "test.duckdb")
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_frame():
    """The demo transactions as a DataFrame (generated once per test run)."""
    return generate_demo()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database holding the demo dataset (read-only use: do not modify)."""
    database = open_database(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    load_demo(database, DEMO_DATASET)
    yield database
    database.close()


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A fresh database file set as $KAM_DB for the module; the app's first start
    (one AppTest run of ``app.py``) fills it with the demo dataset."""
    from streamlit.testing.v1 import AppTest

    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAM_DB", str(path))
        first = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
        assert not first.exception
        yield open_database(path)


@pytest.fixture
def navigation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every AppTest run in ``st.navigation`` mode, as a served app is after its first run.

    Streamlit 1.67 treats an app with a ``pages/`` folder as an old-style
    multipage app until ``st.navigation`` has run once in the process;
    ``ui.navigation.enter`` then calls ``st.navigation`` and reruns. A server does that once per
    process, but AppTest forgets the mode before every ``run()``, and the
    rerun would swallow each button click. A test that checks the switch itself
    calls ``monkeypatch.undo()``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
