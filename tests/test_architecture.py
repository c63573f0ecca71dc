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


DB = ENGINE / "db"


def test_sql_lives_only_in_the_db_package() -> None:
    offenders = []
    for path in [*ENGINE.rglob("*.py"), ROOT / "app.py", *(ROOT / "pages").rglob("*.py"),
                 *(ROOT / "ui").rglob("*.py")]:
        if not path.exists() or DB in path.parents:
            continue
        if _SQL.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_db_never_formats_sql_with_runtime_values() -> None:
    """f-strings in SQL may only interpolate module constants (upper-case or _-prefixed
    names built from constants), never function arguments; in every module of db/."""
    modules = sorted(DB.rglob("*.py"))
    assert modules
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
            for node in ast.walk(fn):
                if isinstance(node, ast.JoinedStr):
                    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                    if not _SQL.search(text.upper()):
                        continue
                    used = {n.id for v in node.values if isinstance(v, ast.FormattedValue)
                            for n in ast.walk(v) if isinstance(n, ast.Name)}
                    assert not (used & params), (
                        f"{path.name}: {fn.name} formats {used & params} into SQL"
                    )


# DuckDB's module-level functions (duckdb.sql, duckdb.execute, duckdb.query, duckdb.read_csv,
# ...) run on a hidden process-wide default connection that is shared between threads and
# bypasses Database's write lock and snapshots. Only Database.__init__ may open the database
# file (duckdb.connect(path)); everything else goes through a Database cursor. The one other
# exception: a module of db/ may open a private in-memory instance, ``duckdb.connect()`` with no
# arguments, for work that involves no database (a Parquet preview before any import).
_DUCKDB_DEFAULT_CONNECTION = re.compile(r"\bduckdb\s*\.\s*(sql|execute|query|connect)\s*\(")


def _duckdb_calls(path: Path) -> list[tuple[int, str, str]]:
    """Return (line, enclosing qualified function, attribute) for every ``duckdb.x(...)``
    call and every ``from duckdb import x`` / ``import duckdb as y`` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str, str]] = []

    def private_in_memory(call: ast.Call) -> bool:
        return call.func.attr == "connect" and not call.args and not call.keywords

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                inner = f"{scope}.{child.name}" if scope else child.name
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and isinstance(child.func.value, ast.Name)
                and child.func.value.id == "duckdb"
                and child.func.attr[:1].islower()
            ):
                attr = "connect()" if private_in_memory(child) else child.func.attr
                found.append((child.lineno, scope, attr))
            if isinstance(child, ast.ImportFrom) and child.module == "duckdb":
                found.extend(
                    (child.lineno, scope, f"from duckdb import {a.name}")
                    for a in child.names
                    if a.name[:1].islower()
                )
            if isinstance(child, ast.Import):
                found.extend(
                    (child.lineno, scope, f"import duckdb as {a.asname}")
                    for a in child.names
                    if a.name == "duckdb" and a.asname
                )
            visit(child, inner)

    visit(tree, "")
    return found


def _python_sources() -> list[Path]:
    paths = [*ENGINE.rglob("*.py"), ROOT / "app.py", *(ROOT / "pages").rglob("*.py")]
    return [p for p in paths if p.exists()]


_THE_ONE_CONNECT = ("kam_analysis/db/connection.py", "Database.__init__", "connect")
_DB_PREFIX = "kam_analysis/db/"


def test_no_duckdb_default_connection_anywhere() -> None:
    offenders = []
    for path in _python_sources():
        rel = str(path.relative_to(ROOT))
        for line, scope, attr in _duckdb_calls(path):
            if (rel, scope, attr) == _THE_ONE_CONNECT or (
                rel.startswith(_DB_PREFIX) and attr == "connect()"
            ):
                continue
            offenders.append(f"{rel}:{line} {scope or '<module>'}: duckdb.{attr}")
        # Belt and braces for calls the AST walk cannot see (e.g. inside strings passed to exec).
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DUCKDB_DEFAULT_CONNECTION.search(text) and not (
                (rel == _THE_ONE_CONNECT[0] and "self._con = duckdb.connect(" in text)
                or (rel.startswith(_DB_PREFIX) and "duckdb.connect()" in text)
            ):
                offenders.append(f"{rel}:{number}: {text.strip()}")
    assert offenders == []


def test_default_connection_checker_catches_offenders(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import duckdb\nfrom duckdb import sql\n"
        "def f():\n    duckdb.sql('SELECT 1')\n    duckdb.read_csv('x.csv')\n"
        "    duckdb.connect('kam.duckdb')\n    duckdb.connect()\n",
        encoding="utf-8",
    )
    attrs = sorted(attr for _, _, attr in _duckdb_calls(bad))
    assert attrs == ["connect", "connect()", "from duckdb import sql", "read_csv", "sql"]
    assert _DUCKDB_DEFAULT_CONNECTION.search("x = duckdb.connect(path)")


def test_public_api_has_docstrings_and_type_hints() -> None:
    import importlib
    import inspect
    import pkgutil

    import kam_analysis
    import kam_analysis.db

    missing = []
    packages = (kam_analysis, kam_analysis.db)
    for info in [i for p in packages for i in pkgutil.iter_modules(p.__path__, f"{p.__name__}.")]:
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if not inspect.getdoc(obj):
                missing.append(f"{info.name}.{name}: docstring")
            if inspect.isfunction(obj):
                sig = inspect.signature(obj)
                untyped = [p for p, v in sig.parameters.items() if v.annotation is v.empty]
                if untyped or sig.return_annotation is sig.empty:
                    missing.append(f"{info.name}.{name}: type hints")
    assert missing == []


_PRIVATE_STREAMLIT = re.compile(r"\bstreamlit\.(runtime|web)\b|\bst\._\w")


def _private_streamlit_imports(path: Path) -> list[str]:
    """Return the private Streamlit names ``path`` imports or uses: the modules
    ``streamlit.runtime`` and ``streamlit.web``, and ``_``-prefixed names."""
    source = path.read_text(encoding="utf-8")
    found = [m.group(0) for m in _PRIVATE_STREAMLIT.finditer(source)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [(node.module, [alias.name for alias in node.names])]
        else:
            continue
        for module, names in modules:
            parts = module.split(".")
            if parts[0] != "streamlit":
                continue
            private = [p for p in parts[1:] if p.startswith("_") or p in ("runtime", "web")]
            found += [module] if private else []
            found += [f"{module}.{n}" for n in names if n.startswith("_")]
    return found


def test_pages_holds_only_registered_pages_and_no_private_streamlit_api() -> None:
    """``pages/`` holds only the pages ``app.py`` registers (its page registry is
    ``ui.navigation``); app.py, pages/ and ui/ use no private Streamlit API."""
    from ui import navigation

    registered = {f"{stem}.py" for entries in navigation.SECTIONS.values()
                  for stem, _title, _icon in entries}
    present = {p.name for p in (ROOT / "pages").iterdir() if p.name != "__pycache__"}
    assert present == registered
    assert "navigation.registry()" in (ROOT / "app.py").read_text(encoding="utf-8")
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in [ROOT / "app.py", *(ROOT / "pages").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
        if (found := _private_streamlit_imports(path))
    }
    assert offenders == {}


#: The most lines a module, and a function, may have (the project's guide).
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _code_files() -> list[Path]:
    """Every module of the engine, the UI, the pages, the entry point and the benchmarks."""
    folders = ("kam_analysis", "ui", "pages", "benchmarks")
    files = [ROOT / "app.py", *(p for folder in folders for p in (ROOT / folder).rglob("*.py"))]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def test_no_module_over_600_lines() -> None:
    """Each module at most :data:`MAX_MODULE_LINES` lines."""
    offenders = {
        str(path.relative_to(ROOT)): n
        for path in _code_files()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines: {offenders}"


def test_no_function_over_80_lines() -> None:
    """Each function (or method) at most :data:`MAX_FUNCTION_LINES` lines, decorators
    not counted: ``end_lineno - lineno + 1``."""
    offenders = {}
    for path in _code_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    name = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                    offenders[name] = length
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines: {offenders}"
