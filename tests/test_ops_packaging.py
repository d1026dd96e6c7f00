"""A real, non-editable install: the wheel carries the code, migrations and seeds, declares
every library fanbot imports, and the installed copy answers from its own seeds.

The wheel is built offline by setuptools' PEP 517 backend (what `pip install .` calls) from a
copy of the checkout, and installed with pip into a folder of its own; the installed copy then
runs with `python -S`, so neither the checkout nor the editable install can stand in for it.
"""

from __future__ import annotations

import ast
import email
import importlib.metadata
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.fanbot_process import ROOT, environment

PACKAGES = ("bot", "adapters", "storage", "seeds")
SKIP = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.pyc", "build", "*.egg-info", "data", ".*_cache", ".env"
)


def _name(requirement: str) -> str:
    """A requirement's project name, normalized as PEP 503 does (discord.py -> discord-py)."""
    name = re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "fanbot"
    shutil.copytree(ROOT, source, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    build = "import sys, setuptools.build_meta as b; print(b.build_wheel(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", build, str(out)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out / result.stdout.strip().splitlines()[-1]


def test_the_wheel_carries_code_migrations_and_seeds(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }  # code and every file it reads: migrations, seeds, templates, catalogues
    assert any(n.startswith("seeds/") and n.endswith(".yaml") for n in shipped)
    assert shipped <= names, sorted(shipped - names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "fanbot = adapters.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_wheel_declares_aiohttp_and_yarl(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    message = email.message_from_bytes(archive.read(metadata))
    required = {_name(r) for r in message.get_all("Requires-Dist") or [] if "extra ==" not in r}
    assert {"aiohttp", "yarl", "discord-py", "python-telegram-bot"} <= required


def _third_party_imports() -> dict[str, str]:
    """Top-level module -> a file importing it, over the code the wheel ships."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES:
                        found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_imported_library_is_declared() -> None:
    """An import that works only because another library pulled it in breaks on its upgrade."""
    declared = {
        _name(r)
        for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    providers = importlib.metadata.packages_distributions()
    undeclared = {
        module: where
        for module, where in _third_party_imports().items()
        if not {_name(d) for d in providers.get(module, [module])} & declared
    }
    assert undeclared == {}


def test_the_installed_copy_answers_from_its_own_seeds(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    done = subprocess.run(
        [*pip, "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    libraries = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = environment(tmp_path / "data" / "fanbot.db")
    env["PYTHONPATH"] = ":".join([str(target), *libraries])  # no .pth: no editable finder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [sys.executable, "-S", "-c", "import adapters.cli, bot.settings as s; "
         "print(adapters.cli.__file__); print(s.Settings(_env_file=None).fanbot_seeds)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    code_at, seeds_at = where.stdout.split()
    assert Path(code_at).is_relative_to(target) and Path(seeds_at) == target / "seeds"
    answer = subprocess.run(
        [sys.executable, "-S", "-m", "adapters.cli", "ask", "/milestone V"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    assert "Instagram" in answer.stdout and "created a new store" in answer.stderr
