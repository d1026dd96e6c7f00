"""Admin writes: add, edit and undo through the core, beside the same writes in bare sqlite3.

Each core change parses and checks its input, looks for the same fact already recorded, and
writes the fact, its links, the full-text index and its audit entry in one BEGIN IMMEDIATE
transaction. The floor does the same rows with Python's sqlite3 module and no checks, on a copy
of the same 100,000-fact synthetic store, in the same run.

Run: `python -m bench.admin`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = 300  # changes of each kind


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _core(db: Path) -> dict[str, float]:
    from bot.app import open_core
    from bot.clock import FixedClock
    from bot.context import Caller, Chat
    from bot.settings import Settings

    core = await open_core(
        Settings(fanbot_db=db), clock=FixedClock(dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    )
    core.admins = frozenset({("console", "bench")})
    caller = Caller("console", "bench", "bench")
    chat = Chat("console", "console")
    times: dict[str, list[float]] = {"add": [], "edit": [], "undo": []}
    errors = 0
    start = dt.date(2020, 1, 1)
    try:
        await core.handle_line("/milestone V", caller, chat)  # the name index, once
        for i in range(ROUNDS):
            day = start + dt.timedelta(days=i)
            lines = {
                "add": f'/addevent V {day} "Bench event number {i}" https://bench.example/{i}',
                "edit": f"/edit #{{id}} date {day + dt.timedelta(days=1)} https://b.example/{i}",
                "undo": "/undo",
            }
            fact_id = None
            for kind in ("add", "edit", "undo"):
                line = lines[kind].replace("{id}", str(fact_id))
                started = time.perf_counter()
                reply = await core.handle_line(line, caller, chat)
                times[kind].append(time.perf_counter() - started)
                errors += reply.error
                if kind == "add" and not reply.error:
                    fact_id = int(reply.title.removeprefix("Added #"))
    finally:
        await core.store.close()
    return {**{k: _median_ms(v) for k, v in times.items()}, "errors": errors}


def _floor(db: Path) -> dict[str, float]:
    con = sqlite3.connect(db, isolation_level=None)
    subject = con.execute("SELECT subject_id FROM aliases WHERE alias = 'V'").fetchone()[0]
    times: dict[str, list[float]] = {"add": [], "edit": [], "undo": []}
    audit = (
        "INSERT INTO audit_log(at, platform, user_id, user_name, action, target_kind, target,"
        " before, after, source) VALUES ('2025-06-01T00:00:00+00:00', 'console', 'bench',"
        " 'bench', ?, 'fact', ?, ?, ?, '{}')"
    )
    for i in range(ROUNDS):
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        cur = con.execute(
            "INSERT INTO facts(key, kind, summary, year, month, day) VALUES (?, 'event', ?,"
            " 2020, 1, 1)",
            (f"floor-{i}", f"Bench event number {i}"),
        )
        fact_id = cur.lastrowid
        con.execute(
            "INSERT INTO fact_subjects(fact_id, subject_id, position) VALUES (?, ?, 0)",
            (fact_id, subject),
        )
        con.execute(
            "INSERT INTO fact_sources(fact_id, position, title, url) VALUES (?, 0, 'b', 'u')",
            (fact_id,),
        )
        con.execute(
            "INSERT INTO facts_fts(rowid, summary, details, names) VALUES (?, ?, '', 'V')",
            (fact_id, f"Bench event number {i}"),
        )
        con.execute(audit, ("add", str(fact_id), None, "{}"))
        con.execute("COMMIT")
        times["add"].append(time.perf_counter() - started)
        for kind, day in (("edit", 2), ("undo", 1)):
            started = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "UPDATE facts SET day = ?, version = version + 1 WHERE id = ? AND version = ?",
                (day, fact_id, 1 if kind == "edit" else 2),
            )
            con.execute(audit, (kind, str(fact_id), "{}", "{}"))
            con.execute("COMMIT")
            times[kind].append(time.perf_counter() - started)
    con.close()
    return {k: _median_ms(v) for k, v in times.items()}


def main() -> None:
    from bench.synth import cached_store

    with tempfile.TemporaryDirectory() as tmp:
        core_db = asyncio.run(cached_store(copy_to=Path(tmp) / "core.db"))
        floor_db = Path(tmp) / "floor.db"
        shutil.copyfile(core_db, floor_db)
        floor = _floor(floor_db)
        core = asyncio.run(_core(core_db))
    print("### Admin changes (100,000 facts, 10,000 subjects)\n")
    print(f"{ROUNDS} changes of each kind, each its own transaction with its audit entry.\n")
    print("| change | core median | sqlite3 floor median | ratio |")
    print("|---|---|---|---|")
    for kind in ("add", "edit", "undo"):
        print(
            f"| `{kind}` | {core[kind]:.2f} ms | {floor[kind]:.2f} ms "
            f"| {core[kind] / floor[kind]:.1f}× |"
        )
    print(f"\nChanges that were refused: {int(core['errors'])}.")


if __name__ == "__main__":
    main()
