"""Core query latency, peak memory and cold start, each beside its floor from the same run.

- `milestone WHO`, `status WHO`, `today DATE` through the core (name resolution, aiosqlite,
  reply building) over the 100,000-fact synthetic store, set up as `fanbot run` sets it up,
  beside the same lookup written directly with Python's sqlite3 module: p50 and p99 per query.
- Peak memory (max RSS) of a process that opened the store and ran every query, beside a
  process that ran the floor queries only.
- Cold start of `fanbot ask "/help"`, beside `python -c pass` (the interpreter's own start).

Run: `python -m bench.core` (or `make bench`). Each part runs in its own process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 1500  # queries of each kind
COLD_RUNS = 9

_FLOOR_SUBJECTS = """
SELECT DISTINCT a.subject_id FROM aliases a WHERE a.norm = ?
"""
_FLOOR_FACTS = """
SELECT f.id, f.kind, f.summary, f.year, f.month, f.day, f.details,
  (SELECT group_concat(s.name, ', ') FROM fact_subjects x JOIN subjects s ON s.id = x.subject_id
     WHERE x.fact_id = f.id),
  (SELECT group_concat(title, '; ') FROM fact_sources WHERE fact_id = f.id)
FROM facts f
WHERE f.id IN (SELECT fact_id FROM fact_subjects WHERE subject_id IN (
    SELECT ? UNION SELECT member_id FROM memberships WHERE group_id = ?))
  AND f.kind = ? AND f.hidden = 0
ORDER BY f.year DESC, f.month DESC, f.day DESC LIMIT 50
"""
_FLOOR_TODAY = """
SELECT f.id, f.kind, f.summary, f.year, f.month, f.day, f.details,
  (SELECT group_concat(title, '; ') FROM fact_sources WHERE fact_id = f.id)
FROM facts f WHERE f.month = ? AND f.day = ? AND f.year < ? AND f.hidden = 0
ORDER BY f.year, f.id LIMIT 50
"""


def _workload(db: Path, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, argument) pairs: names in the forms fans type, and dates."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    aliases = [r[0] for r in con.execute("SELECT alias FROM aliases ORDER BY rowid")]
    con.close()
    start = dt.date(2025, 1, 1)
    work = []
    for _ in range(ROUNDS):
        work.append(("milestone", rng.choice(aliases)))
        work.append(("status", rng.choice(aliases)))
        work.append(("today", (start + dt.timedelta(days=rng.randrange(365))).isoformat()))
    return work


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _run_floor(db: Path) -> dict:
    from storage.models import normalize_name

    con = sqlite3.connect(db)
    times: dict[str, list[float]] = {"milestone": [], "status": [], "today": []}
    for kind, arg in _workload(db):
        started = time.perf_counter()
        if kind == "today":
            day = dt.date.fromisoformat(arg)
            con.execute(_FLOOR_TODAY, (day.month, day.day, day.year)).fetchall()
        else:
            for (subject_id,) in con.execute(_FLOOR_SUBJECTS, (normalize_name(arg),)).fetchall():
                con.execute(_FLOOR_FACTS, (subject_id, subject_id, kind)).fetchall()
        times[kind].append(time.perf_counter() - started)
    con.close()
    return {k: _percentiles(v) for k, v in times.items()}


async def _run_core_async(db: Path) -> dict:
    from adapters.lifecycle import settle
    from bot.app import all_commands
    from bot.clock import FixedClock
    from bot.context import Caller, Chat
    from bot.core import Core
    from storage.store import Store

    store = await Store.open(db)
    clock = FixedClock(dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    # Every answer computed afresh: what a question nobody asked today costs.
    core = Core(store, clock, all_commands(), keep_answers=False)
    caller = Caller(platform="console", user_id="bench", name="bench")
    chat = Chat(platform="console", id="bench")
    times: dict[str, list[float]] = {"milestone": [], "status": [], "today": [], "repeat": []}
    errors = 0
    try:
        # What `fanbot run` does once its adapters are up: build the name index, then leave
        # what was built at start out of later garbage collections (adapters/lifecycle.py).
        await settle(core)
        for kind, arg in _workload(db):
            started = time.perf_counter()
            reply = await core.handle_line(f"/{kind} {arg}", caller, chat)
            times[kind].append(time.perf_counter() - started)
            errors += reply.error
        # The same question again and again (a busy server), answered from what was kept.
        warm = Core(store, clock, all_commands())
        for _ in range(ROUNDS):
            started = time.perf_counter()
            await warm.handle_line("/milestone V", caller, chat)
            times["repeat"].append(time.perf_counter() - started)
    finally:
        await store.close()
    result = {k: _percentiles(v) for k, v in times.items()}
    result["errors"] = errors
    return result


def _part(name: str, db: Path) -> dict:
    result = _run_floor(db) if name == "floor" else asyncio.run(_run_core_async(db))
    result["max_rss_mb"] = _peak_rss_mb()
    return result


def _peak_rss_mb() -> float:
    """VmHWM: this process's peak resident memory (ru_maxrss would include the parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _in_process(name: str, db: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.core", "--part", name, str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cold_start(workdir: Path) -> tuple[float, float]:
    env = {**os.environ, "FANBOT_DB": str(workdir / "cold.db"), "FANBOT_LOG_LEVEL": "WARNING"}
    fanbot = [sys.executable, "-m", "adapters.cli", "ask", "/help"]
    bare = [sys.executable, "-c", "pass"]
    subprocess.run(fanbot, env=env, check=True, capture_output=True)  # seeds the store once

    def median_of(cmd: list[str]) -> float:
        runs = []
        for _ in range(COLD_RUNS):
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    return median_of(fanbot), median_of(bare)


def main() -> None:
    from bench.synth import cached_store

    with tempfile.TemporaryDirectory() as tmp:
        db = asyncio.run(cached_store(copy_to=Path(tmp) / "bench.db"))
        floor = _in_process("floor", db)
        core = _in_process("core", db)
        cold, bare = _cold_start(Path(tmp))
    print("### Core queries (100,000 facts, 10,000 subjects)\n")
    print(f"{ROUNDS} queries of each kind, names drawn from every alias (Latin and Hangul).\n")
    print("| query | core p50 | core p99 | sqlite3 floor p50 | floor p99 | p99 ratio |")
    print("|---|---|---|---|---|---|")
    for kind in ("milestone", "status", "today"):
        c, f = core[kind], floor[kind]
        print(
            f"| `{kind}` | {c['p50']:.2f} ms | {c['p99']:.2f} ms | {f['p50']:.2f} ms "
            f"| {f['p99']:.2f} ms | {c['p99'] / f['p99']:.1f}× |"
        )
    r = core["repeat"]
    print(
        f"| `milestone V` asked again (answer kept until the store changes) | {r['p50']:.2f} ms "
        f"| {r['p99']:.2f} ms | | | |"
    )
    print(f"\nAnswers that were errors: {core['errors']}.\n")
    print("| process | peak memory (max RSS) |")
    print("|---|---|")
    print(f"| core, every query above | {core['max_rss_mb']:.0f} MB |")
    print(f"| sqlite3 floor | {floor['max_rss_mb']:.0f} MB |")
    print(f"\n| cold start (median of {COLD_RUNS}) | time |")
    print("|---|---|")
    print(f'| `fanbot ask "/help"` | {cold:.2f} s |')
    print(f"| `python -c pass` (floor) | {bare:.2f} s |")
    print(f"| ratio | {cold / bare:.1f}× |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--part":
        print(json.dumps(_part(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
