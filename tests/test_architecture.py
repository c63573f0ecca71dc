"""Architecture rules that keep the engine reusable and the SQL safe."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "kam_analysis"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_streamlit() -> None:
    offenders = [p.name for p in ENGINE.rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


_SQL = re.compile(r"\b(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE|UPDATE \w+ SET)\b")


def test_sql_lives_only_in_storage_module() -> None:
    offenders = []
    for path in [*ENGINE.rglob("*.py"), ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]:
        if not path.exists() or path.name == "storage.py":
            continue
        if _SQL.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_storage_never_formats_sql_with_runtime_values() -> None:
    """f-strings in SQL may only interpolate module constants (upper-case or _-prefixed
    names built from constants), never function arguments."""
    source = (ENGINE / "storage.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
        for node in ast.walk(fn):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if not _SQL.search(text.upper()):
                    continue
                used = {n.id for v in node.values if isinstance(v, ast.FormattedValue)
                        for n in ast.walk(v) if isinstance(n, ast.Name)}
                assert not (used & params), f"{fn.name} formats {used & params} into SQL"
