"""Shared fixtures: fresh databases and the deterministic demo dataset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kam_analysis.demo import DEMO_DATASET, generate_demo, load_demo
from kam_analysis.storage import Database, open_database

ROOT = Path(__file__).resolve().parent.parent


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
