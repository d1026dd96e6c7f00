"""The layout the README draws (issue 19): storage is small repositories behind one
transaction API, and the core and the adapters never see a database library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONGEST = 420  # lines: "no file over ~400"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_database_library_outside_storage() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "adapters")
        for path in (ROOT / folder).rglob("*.py")
        if _imports(path) & {"aiosqlite", "psycopg", "psycopg_pool"}
    ]
    assert offenders == []


def test_storage_modules_are_small() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "storage").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert long == {}


def test_the_readme_layout_names_every_storage_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("## Benchmarks")]
    missing = [
        path.name
        for path in (ROOT / "storage").glob("*.py")
        if path.name != "__init__.py" and f"`{path.name}`" not in layout
    ]
    assert missing == []
