"""CLI and running app on the same DuckDB file: one clear line, exit 1, and the documented
ways to import while the app runs really work."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kam_analysis.demo import DEMO_DATASET
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# Stands in for the running app: opens the database like the app does and keeps it open
# until its stdin closes.
_HOLDER = """
import sys
from kam_analysis.db import open_database
db = open_database(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
db.close()
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KAM_DB"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


@contextmanager
def _held(path: Path) -> Iterator[subprocess.Popen[str]]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)], cwd=ROOT, env=_env(),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kam_analysis", *args], cwd=ROOT, env=_env(**env),
        capture_output=True, text=True, timeout=120,
    )


def test_second_process_gets_one_line_saying_who_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kam.duckdb"
    with _held(path) as holder:
        for args in (("datasets", "--db", str(path)), ("demo", "--db", str(path))):
            done = _cli(*args)
            assert done.returncode == 1
            assert done.stdout == ""
            assert "Traceback" not in done.stderr
            lines = done.stderr.splitlines()
            assert len(lines) == 1, done.stderr
            line = lines[0]
            assert line.startswith("error: The database ")
            assert str(path) in line and "in use by another program" in line
            assert f"PID {holder.pid}" in line  # what holds it
            assert "Stop that program" in line and "--db" in line  # what to do
        # Through $KAM_DB as well.
        done = _cli("datasets", KAM_DB=str(path))
        assert done.returncode == 1 and len(done.stderr.splitlines()) == 1


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales 2025.csv"
    path.write_text(
        "Customer;Date;Revenue\n"
        + "".join(f"C{i % 7};{1 + i % 28:02d}.03.2025;{i},50\n" for i in range(60)),
        encoding="utf-8",
    )
    return path


def test_stop_the_app_then_import_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "kam.duckdb"
    csv = _csv(tmp_path)
    with _held(path):
        refused = _cli("import", str(csv), "--dataset", "Sales 2025", "--db", str(path))
        assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1
        assert "in use by another program" in refused.stderr
    done = _cli("import", str(csv), "--dataset", "Sales 2025", "--db", str(path))
    assert done.returncode == 0, done.stderr
    listed = _cli("datasets", "--db", str(path))
    assert listed.returncode == 0 and "Sales 2025" in listed.stdout
    assert "60 rows" in " ".join(listed.stdout.split())


def test_import_into_another_file_while_the_app_runs_then_switch(tmp_path: Path) -> None:
    live = tmp_path / "kam.duckdb"
    staging = tmp_path / "staging.duckdb"
    with _held(live):
        done = _cli("import", str(_csv(tmp_path)), "--dataset", "Sales 2025",
                    KAM_DB=str(staging))
        assert done.returncode == 0, done.stderr
        done = _cli("demo", KAM_DB=str(staging))
        assert done.returncode == 0, done.stderr
    # The app restarted with KAM_DB pointing at the new file sees the import.
    listed = _cli("datasets", KAM_DB=str(staging))
    assert listed.returncode == 0
    assert DEMO_DATASET in listed.stdout and "Sales 2025" in listed.stdout
    # Or, with the app stopped, the new file replaces the old one (after its CHECKPOINT
    # there is no .wal file to carry along).
    assert not staging.with_name(staging.name + ".wal").exists()
    staging.replace(live)
    listed = _cli("datasets", "--db", str(live))
    assert listed.returncode == 0
    assert DEMO_DATASET in listed.stdout and "Sales 2025" in listed.stdout
