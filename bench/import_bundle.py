"""`fanbot import` and `fanbot export` of a 100,000-fact bundle, as an operator runs them.

The synthetic bundle (bench/synth.py: 100,000 facts over 10,000 subjects) is written as
`fanbot export` writes it, then imported by the real command into a fresh store, imported
again (nothing changes: every fact compared, none written), and exported. Each step is its own
process; wall time and its peak RSS are measured. The floor is loading the same file with
json alone, line by line, and `fanbot ask "/help"` (a process start over the store).

Run: `python -m bench.import_bundle`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synth import synth_bundle
from storage import bundle as bundles

N_FACTS = 100_000


def _run(args: list[str], db: Path) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS (MB), what it printed, and CPU seconds of one `fanbot` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FANBOT_", "TELEGRAM_"))}
    env["FANBOT_DB"] = str(db)
    pid = os.fork()
    if pid == 0:  # a child of its own, so its peak RSS is its own
        out = os.open(db.with_suffix(".out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execve(sys.executable, [sys.executable, "-m", "adapters.cli", *args], env)
    started = time.perf_counter()
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    printed = db.with_suffix(".out").read_text("utf-8")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"fanbot {' '.join(args)} failed: {printed}")
    return wall, usage.ru_maxrss / 1024, printed, usage.ru_utime + usage.ru_stime


def write_bundle(path: Path) -> None:
    """The synthetic bundle as `fanbot export` writes it (run in a child: its memory goes)."""
    bundle = synth_bundle(n_facts=N_FACTS)
    bundle.exported_at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    path.write_text(bundles.dump(bundle), "utf-8")


_WRITE = "import sys, pathlib, bench.import_bundle as b; b.write_bundle(pathlib.Path(sys.argv[1]))"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = work / "bundle.yaml"
        # Written by a child, so the processes forked below start small.
        subprocess.run([sys.executable, "-c", _WRITE, str(path)], check=True)
        size = path.stat().st_size / 1e6

        started = time.perf_counter()
        rows = [
            json.loads(line[2:])
            for line in path.read_text("utf-8").splitlines()
            if line.startswith("- {")
        ]
        json_floor = time.perf_counter() - started
        facts = sum(1 for r in rows if "summary" in r)
        subjects = len(rows) - facts
        del rows

        db = work / "fanbot.db"
        start_floor = _run(["ask", "/help"], db)
        first = _run(["import", str(path)], db)
        again = _run(["import", str(path)], db)
        export = _run(["export", str(work / "out.yaml")], db)

    print(f"### Import and export ({facts:,} facts, {subjects:,} subjects)\n")
    print(f"The bundle: {size:.1f} MB, one line per entry. Each step its own process.\n")
    print("| step | wall | CPU | peak RSS |")
    print("| --- | ---: | ---: | ---: |")
    for label, (wall, rss, _, cpu) in (
        ("`fanbot import` into a fresh store", first),
        ("`fanbot import` again (nothing changes)", again),
        ("`fanbot export`", export),
        ("floor: `fanbot ask /help`", start_floor),
    ):
        print(f"| {label} | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MB |")
    print(f"| floor: json.loads of every line, in-process | {json_floor:.1f} s | | |")
    print(f"\n{first[2].strip()}")


if __name__ == "__main__":
    main()
