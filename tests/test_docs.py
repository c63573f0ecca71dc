"""The README documents every command, option, setting and field a user can set."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import pytest

from kam_analysis.cli import build_parser
from kam_analysis.vocabulary import FIELD_NAMES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"python -m kam_analysis {command}" in README


@pytest.mark.parametrize(
    ("command", "option"),
    sorted(
        (name, opt)
        for name, sub in _subcommands().items()
        for action in sub._actions
        for opt in action.option_strings
        if opt.startswith("--") and opt != "--help"
    ),
)
def test_every_cli_option_is_documented(command: str, option: str) -> None:
    assert re.search(rf"{re.escape(option)}\b", README), f"{command} {option}"


@pytest.mark.parametrize("field", FIELD_NAMES)
def test_every_import_field_is_documented(field: str) -> None:
    assert f"`{field}`" in README


def test_every_auth_setting_of_the_example_is_documented() -> None:
    text = (ROOT / ".streamlit" / "secrets.example.toml").read_text(encoding="utf-8")
    keys = set(tomllib.loads(text)["auth"])
    keys |= set(re.findall(r"^# (\w+) = ", text, flags=re.M))  # the commented-out option
    assert keys, "the example defines settings"
    missing = sorted(k for k in keys if f"`{k}`" not in README and f"{k} =" not in README)
    assert missing == []


def test_every_server_setting_is_documented() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    for key in ("maxUploadSize", "enableXsrfProtection"):
        assert key in config["server"]
        assert key in README
