"""What every bench shares: its size, its statistics, and how its figures are written down.

A bench prints one Markdown section and, when run by `bench.run_all`, writes every figure it
measured to the JSON file named by BENCH_JSON, so the README's tables are copied from one run
(`bench/readme_table.py`) and never typed. BENCH_SCALE=0.1 (`make bench-quick`) runs every
bench at a tenth of its size, for a quick before/after.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def scaled(n: int, minimum: int = 1) -> int:
    """A size at this run's scale (never below `minimum`)."""
    return max(minimum, round(n * SCALE))


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def peak_rss_mb() -> float:
    """VmHWM: this process's peak resident memory (ru_maxrss would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int | str = "self") -> float:
    """VmRSS: a process's resident memory now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def growth(values: Sequence[float]) -> str:
    """How a figure grows per ×10 of the work: '×1.3, ×2.0' between successive sizes."""
    steps = [b / a for a, b in zip(values, values[1:], strict=False) if a]
    return ", ".join(f"×{s:.1f}" for s in steps)


def verdict(ok: bool, tried: str = "") -> str:
    """'met', or '**missed**' with what was tried, beside the figure."""
    if ok:
        return "met"
    return f"**missed** ({tried})" if tried else "**missed**"


class Report:
    """One bench's Markdown section and the figures behind it."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.figures: dict[str, Any] = {"scale": SCALE}

    def text(self, *paragraphs: str) -> None:
        for paragraph in paragraphs:
            self.lines.extend([paragraph, ""])

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append(
            "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |"
        )
        for row in rows:
            self.lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
        self.lines.append("")

    def finish(self) -> None:
        """Print the section; write the figures where run_all asked for them."""
        print("\n".join(self.lines).rstrip() + "\n")
        target = os.environ.get("BENCH_JSON")
        if target:
            Path(target).write_text(json.dumps(self.figures, indent=1, default=str), "utf-8")
