"""`make bench`: every benchmark, each in its own process, into one results file per run.

Each bench prints a Markdown section (its figures beside the baseline measured in the same run)
and writes every figure to a JSON file. This gathers them into `bench/results/latest.md` and
`latest.json`, stamped with the date, Python version and CPU count; `bench/readme_table.py`
copies the README's tables from there. With BENCH_SCALE below 1 (`make bench-quick`) the run
goes to `quick.md` and `quick.json` instead (not committed), so a quick check never passes for
the figures the README quotes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import SCALE

BENCHES = ("core", "telegram", "discord", "reminders", "admin", "catalog")
RESULTS = Path(__file__).parent / "results"


def section(name: str, text: str) -> str:
    """A bench's section between the markers readme_table.py copies by."""
    return f"<!-- bench:{name} -->\n{text.strip()}\n<!-- /bench:{name} -->\n"


def main() -> int:
    stem = "latest" if SCALE >= 1 else "quick"
    stamp = dt.datetime.now(dt.UTC)  # when this run was made: a label, not logic
    python = f"{platform.python_implementation()} {platform.python_version()}"
    header = (
        f"Run of {stamp:%Y-%m-%d %H:%M} UTC, {python}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}" + (f", at {SCALE:g}× the size" if SCALE != 1 else "") + "."
    )
    figures: dict = {
        "date": stamp.isoformat(timespec="seconds"),
        "python": python,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "scale": SCALE,
        "benches": {},
        "seconds": {},
        "failed": [],
    }
    sections = [section("header", header)]
    with tempfile.TemporaryDirectory() as tmp:
        for name in BENCHES:
            print(f"running bench.{name} …", file=sys.stderr, flush=True)
            out = Path(tmp) / f"{name}.json"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", f"bench.{name}"],
                capture_output=True,
                text=True,
                env={**os.environ, "BENCH_JSON": str(out)},
            )
            figures["seconds"][name] = round(time.perf_counter() - started, 1)
            if done.returncode != 0 or not out.exists():
                figures["failed"].append(name)
                text = f"### bench.{name} failed\n\n```\n{done.stderr[-2000:]}\n```"
            else:
                text = done.stdout
                figures["benches"][name] = json.loads(out.read_text("utf-8"))
            sections.append(section(name, text))
    sections.append(section("targets", _targets(figures)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    md = "\n".join(sections)
    (RESULTS / f"{stem}.md").write_text(f"# Benchmarks\n\n{md}", encoding="utf-8")
    (RESULTS / f"{stem}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(md)
    took = ", ".join(f"{k} {v:.0f} s" for k, v in figures["seconds"].items())
    print(f"wrote {RESULTS / stem}.md and .json ({took})", file=sys.stderr)
    return 1 if figures["failed"] else 0


def _targets(figures: dict) -> str:
    """Every target of the run, judged in it: met or missed."""
    lines = ["### Targets, judged in this run", ""]
    for name, bench in figures["benches"].items():
        for target, ok in bench.get("targets", {}).items():
            lines.append(f"- {target}: {'met' if ok else '**missed**'} ({name})")
    for name in figures["failed"]:
        lines.append(f"- bench.{name} failed: its targets were not judged")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
