"""Safe-deployment defaults stay on: XSRF protection, an upload limit, localhost binding,
secrets kept out of git."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_streamlit_config_keeps_xsrf_on_and_limits_uploads() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server = config["server"]
    assert server["enableXsrfProtection"] is True
    assert server.get("enableCORS", True) is True
    assert 1 <= server["maxUploadSize"] <= 1024  # MB
    assert config["browser"]["gatherUsageStats"] is False
    assert "address" not in server  # binding is decided on the command line (localhost)


def test_streamlit_config_skips_the_full_collection_after_every_run() -> None:
    """A full gc after each run cost every rerun ~0.1 s of CPU under the GIL, even a
    refused sign-in guess's (issue 14, finding 3; docs/reliability.md)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
    # no per-session source watcher walking every loaded module on the event loop
    assert config["server"]["fileWatcherType"] == "none"


def test_make_run_binds_to_localhost() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"streamlit run app\.py .*--server\.address localhost", run)


def test_real_secrets_are_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored
    assert (ROOT / ".streamlit" / "secrets.example.toml").exists()
