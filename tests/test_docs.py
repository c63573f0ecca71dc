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


# ---- docs/definitions.md: the figure index names code and tests that exist ----

DEFINITIONS = ROOT / "docs" / "definitions.md"
NOT_IMPLEMENTED = "not implemented yet"


def _figure_index() -> list[tuple[str, str, str]]:
    """Rows (figure, code, test) of the table under the heading "Figure index"."""
    text = DEFINITIONS.read_text(encoding="utf-8")
    section = text.split("\n## Figure index", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("figure", "") or set(cells[0]) <= set("-: "):
            continue
        rows.append((cells[0], cells[1].strip("`"), cells[2].strip("`")))
    return rows


def _resolve(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted``, getattr the rest."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        try:
            obj: object = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # not a module: try a shorter prefix
            raise  # a module that exists failed to import
        for name in parts[i:]:
            obj = getattr(obj, name)  # AttributeError names the missing part
        return obj
    raise ModuleNotFoundError(dotted)


def _test_names(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_figure_index_lists_the_figures() -> None:
    figures = [f for f, _, _ in _figure_index()]
    assert len(figures) >= 40
    for word in ("ABC", "XYZ", "Pareto", "Lorenz", "Gini", "HHI", "CR1", "N50", "key share",
                 "migration", "revenue × margin", "sensitivity", "class history", "products"):
        assert any(word.lower() in f.lower() for f in figures), word


@pytest.mark.parametrize(("figure", "code", "test"), _figure_index())
def test_figure_index_names_existing_code_and_tests(figure: str, code: str, test: str) -> None:
    if code == NOT_IMPLEMENTED:
        assert test == NOT_IMPLEMENTED, figure
        return
    assert re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", code), f"{figure}: {code!r}"
    _resolve(code)
    file, _, name = test.partition("::")
    assert re.fullmatch(r"tests/test_\w+\.py", file) and name, f"{figure}: {test!r}"
    assert (ROOT / file).is_file(), f"{figure}: no file {file}"
    assert name in _test_names(ROOT / file), f"{figure}: no test {name} in {file}"


# ---- links stay inside the repository ----

DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M)}


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return _LINK.findall(text)


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(doc: Path) -> None:
    bad = []
    for target in _links(doc):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file, _, anchor = target.partition("#")
        dest = (doc.parent / file).resolve() if file else doc
        if not dest.is_relative_to(ROOT) or not dest.exists():
            bad.append(f"{target} (no such file in the repository)")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            bad.append(f"{target} (no such heading)")
    assert bad == [], f"{doc.relative_to(ROOT)}: {bad}"


# COORDINATOR: this test fails today for files other helpers own, whose module
# docstrings still name the specification outside the repository
# (``analysis-definitions.md``) or the merged ``docs/definitions-decisions.md``:
#   kam_analysis/analysis.py (and the modules split out of it, if they copied
#   the docstring). Point them to ``docs/definitions.md`` after the merge.
OUTSIDE_REFERENCES = re.compile(
    r"\.\./shared|(?<![\w.])/work/|analysis-definitions\.md|definitions-decisions\.md"
)
SCANNED = [
    ROOT / "README.md", ROOT / "app.py",
    *sorted((ROOT / "docs").glob("*.md")),
    *(p for folder in ("kam_analysis", "pages", "ui")
      for p in sorted((ROOT / folder).rglob("*.py"))),
]


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_outside_the_repository(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [f"{i}: {line.strip()}" for i, line in enumerate(lines, 1)
            if OUTSIDE_REFERENCES.search(line)]
    assert hits == [], f"{path.relative_to(ROOT)} points outside the repository: {hits}"
