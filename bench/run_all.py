"""`make bench`: every benchmark, each in its own process, into one results file per run.

Each bench prints a Markdown section (its figures beside the baseline measured in the same run)
and writes every figure to a JSON file. This gathers them into `bench/results/latest.md` and
`latest.json`, stamped with the date, Python version and CPU count; `bench/readme_table.py`
copies the README's tables from there. With BENCH_SCALE below 1 (`make bench-quick`) the run
goes to `quick.md` and `quick.json` instead (not committed), so a quick check never passes for
the figures the README quotes.

`python -m bench.run_all --only web` (repeatable) runs only the benches named and merges them
into the existing results file: their sections, figures and targets replace those of the last
run, every other bench's stay, and the header says which were run on their own and when.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.readme_table import sections as sections_of
from bench.report import SCALE

BENCHES = ("core", "telegram", "discord", "reminders", "admin", "web", "catalog")
RESULTS = Path(__file__).parent / "results"


def section(name: str, text: str) -> str:
    """A bench's section between the markers readme_table.py copies by."""
    return f"<!-- bench:{name} -->\n{text.strip()}\n<!-- /bench:{name} -->\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks into one results file.")
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHES,
        metavar="BENCH",
        help=f"run only this bench ({', '.join(BENCHES)}) and merge it into the results file",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the folder of the results files"
    )
    args = parser.parse_args(argv)
    only, results = args.only, args.results
    stem = "latest" if SCALE >= 1 else "quick"
    stamp = dt.datetime.now(dt.UTC)  # when this run was made: a label, not logic
    python = f"{platform.python_implementation()} {platform.python_version()}"
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
    texts: dict[str, str] = {}
    if only:
        try:
            figures, texts = _earlier(results / stem, figures)
        except ValueError as exc:
            print(f"bench.run_all: {exc}", file=sys.stderr)
            return 2
        figures.setdefault("separately", {})
    with tempfile.TemporaryDirectory() as tmp:
        for name in only or BENCHES:
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
            figures["benches"].pop(name, None)
            figures["failed"] = [f for f in figures["failed"] if f != name]
            if only:
                figures["separately"][name] = stamp.isoformat(timespec="seconds")
            if done.returncode != 0 or not out.exists():
                figures["failed"].append(name)
                texts[name] = f"### bench.{name} failed\n\n```\n{done.stderr[-2000:]}\n```"
            else:
                texts[name] = done.stdout
                figures["benches"][name] = json.loads(out.read_text("utf-8"))
    sections = [section("header", _header(figures))]
    sections += [section(name, texts[name]) for name in BENCHES if name in texts]
    sections.append(section("targets", _targets(figures)))
    results.mkdir(parents=True, exist_ok=True)
    md = "\n".join(sections)
    (results / f"{stem}.md").write_text(f"# Benchmarks\n\n{md}", encoding="utf-8")
    (results / f"{stem}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(md)
    took = ", ".join(f"{k} {figures['seconds'][k]:.0f} s" for k in only or BENCHES)
    print(f"wrote {results / stem}.md and .json ({took})", file=sys.stderr)
    return 1 if figures["failed"] else 0


def _header(figures: dict) -> str:
    """When, on what and at what size the figures were made; benches run on their own named."""
    stamp = dt.datetime.fromisoformat(figures["date"])
    scale = figures["scale"]
    header = (
        f"Run of {stamp:%Y-%m-%d %H:%M} UTC, {figures['python']}, {figures['cpus']} CPUs, "
        f"{figures['machine']}" + (f", at {scale:g}× the size" if scale != 1 else "") + "."
    )
    for name, when in figures.get("separately", {}).items():
        header += (
            f" bench.{name} run on its own at {dt.datetime.fromisoformat(when):%Y-%m-%d %H:%M} UTC."
        )
    return header


def _earlier(stem: Path, fresh: dict) -> tuple[dict, dict[str, str]]:
    """The figures and bench sections of the last run, for --only to merge into; a fresh
    start when there is none. Refuses a file made at another
    scale."""
    md, js = stem.with_suffix(".md"), stem.with_suffix(".json")
    if not (md.exists() and js.exists()):
        return fresh, {}
    try:
        figures = json.loads(js.read_text("utf-8"))
        scale = figures["scale"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{js} is not a results file; move it away or run every bench") from None
    if scale != fresh["scale"]:
        raise ValueError(
            f"{js} was made at BENCH_SCALE={scale:g}, this run is at {fresh['scale']:g}: "
            "run --only at the same scale"
        )
    texts = {}
    for name, block in sections_of(md.read_text("utf-8")).items():
        if name in BENCHES:
            body = block.split("\n", 1)[1].rsplit(f"<!-- /bench:{name} -->", 1)[0]
            texts[name] = body
    return figures, texts


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
