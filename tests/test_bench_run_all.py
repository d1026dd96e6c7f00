"""`bench.run_all --only NAME` runs one bench and merges it into the last run's results.

The bench run is real (bench.admin at a hundredth of its size, about a second); the earlier
run is a results pair written here, as `make bench-quick` would have left it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.readme_table import sections
from bot.settings import PROJECT_ROOT

SCALE = "0.01"
EARLIER_MD = """# Benchmarks

<!-- bench:header -->
Run of 2026-12-02 10:00 UTC, CPython 3.12.0, 2 CPUs, x86_64, at 0.01× the size.
<!-- /bench:header -->

<!-- bench:core -->
### Core: the earlier run's table
<!-- /bench:core -->

<!-- bench:admin -->
### Admin: the earlier run's table
<!-- /bench:admin -->

<!-- bench:targets -->
### Targets, judged in this run
<!-- /bench:targets -->
"""


def _earlier(folder: Path, scale: float = 0.01) -> None:
    figures = {
        "date": "2026-12-02T10:00:00+00:00",
        "python": "CPython 3.12.0",
        "cpus": 2,
        "machine": "x86_64",
        "scale": scale,
        "benches": {
            "core": {"p99": 1.5, "targets": {"core p99 ≤ 2× floor": False}},
            "admin": {"old": True},
        },
        "seconds": {"core": 30.0, "admin": 5.0},
        "failed": [],
    }
    (folder / "quick.md").write_text(EARLIER_MD, "utf-8")
    (folder / "quick.json").write_text(json.dumps(figures), "utf-8")


def _run_only(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--results", str(folder), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_SCALE": SCALE},
        timeout=300,
    )


def test_only_replaces_its_own_section_and_figures(tmp_path: Path) -> None:
    _earlier(tmp_path)
    done = _run_only(tmp_path, "--only", "admin")
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "quick.md").read_text("utf-8")
    figures = json.loads((tmp_path / "quick.json").read_text("utf-8"))
    found = sections(md)
    assert list(found) == ["header", "core", "admin", "targets"]
    assert "the earlier run's table" in found["core"]  # the other bench is left as it was
    assert "the earlier run's table" not in found["admin"]
    assert "| `edit` |" in found["admin"]  # the new run's table
    assert found["header"].startswith("<!-- bench:header -->\nRun of 2026-12-02 10:00 UTC")
    assert "bench.admin run on its own at" in found["header"]
    assert figures["benches"]["core"] == {"p99": 1.5, "targets": {"core p99 ≤ 2× floor": False}}
    assert "old" not in figures["benches"]["admin"] and figures["benches"]["admin"]["scale"]
    assert figures["seconds"]["core"] == 30.0 and figures["seconds"]["admin"] < 300
    assert set(figures["separately"]) == {"admin"}
    # Every target is judged again from the merged figures: the earlier bench's too.
    assert "core p99 ≤ 2× floor: **missed** (core)" in found["targets"]


def test_only_refuses_a_results_file_of_another_scale(tmp_path: Path) -> None:
    _earlier(tmp_path, scale=0.1)
    before = (tmp_path / "quick.json").read_text("utf-8")
    done = _run_only(tmp_path, "--only", "admin")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "BENCH_SCALE=0.1" in done.stderr and "same scale" in done.stderr
    assert (tmp_path / "quick.json").read_text("utf-8") == before


def test_only_names_a_bench_that_exists(tmp_path: Path) -> None:
    done = _run_only(tmp_path, "--only", "nosuch")
    assert done.returncode == 2 and "invalid choice: 'nosuch'" in done.stderr
    assert not (tmp_path / "quick.md").exists()
