"""`make bench`: every benchmark, each in its own process, into bench/results/latest.md.

Each bench module prints a Markdown section with its figures beside the baseline measured in
the same run; the README quotes the latest of these.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

BENCHES = ("core", "telegram", "discord", "reminders", "admin")
RESULTS = Path(__file__).parent / "results" / "latest.md"


def main() -> int:
    sections = [
        f"## Benchmarks, {dt.date.today().isoformat()}\n\n"
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}. Medians and ratios; the baseline of "
        "each table was measured in the same run.\n"
    ]
    failed = []
    for name in BENCHES:
        print(f"running bench.{name} …", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}"], capture_output=True, text=True
        )
        if done.returncode != 0:
            failed.append(name)
            sections.append(f"### bench.{name} failed\n\n```\n{done.stderr[-2000:]}\n```\n")
        else:
            sections.append(done.stdout.strip() + "\n")
    text = "\n".join(sections)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
