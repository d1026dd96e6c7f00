"""Admin writes: add, edit and undo through the core, beside the same writes in bare sqlite3.

Each core change parses and checks its input, looks for the same fact already recorded, and
writes the fact, its links, the full-text index and its audit entry in one BEGIN IMMEDIATE
transaction. The floor replays the writes each change made (recorded with `Database.trace`),
without its reads (the checks) or its audit entry, with Python's sqlite3 module on a copy of the
same 100,000-fact synthetic store as it was before the changes, in the same run.

Run: `python -m bench.admin`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import scaled

ROUNDS = scaled(300, 30)  # changes of each kind
FACTS = scaled(100_000, 1000)
KINDS = ("add", "edit", "undo")


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _core(db: Path) -> tuple[dict[str, list[float]], dict[str, list[list[str]]], int]:
    """Each change through the core, timed; then its SQL, as recorded while it ran."""
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
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    sql: dict[str, list[list[str]]] = {k: [] for k in KINDS}
    errors = 0
    start = dt.date(2020, 1, 1)
    try:
        await core.handle_line("/milestone V", caller, chat)  # the name index, once
        # Every statement recorded from here on (a callback of about a microsecond each);
        # each change's share is cut out by where the list stood before and after it.
        statements: list[str] = []
        await core.store.db.trace(statements.append)
        for i in range(ROUNDS):
            day = start + dt.timedelta(days=i)
            lines = {
                "add": f'/addevent V {day} "Bench event number {i}" https://bench.example/{i}',
                "edit": f"/edit #{{id}} date {day + dt.timedelta(days=1)} https://b.example/{i}",
                "undo": "/undo",
            }
            fact_id = None
            for kind in KINDS:
                line = lines[kind].replace("{id}", str(fact_id))
                before = len(statements)
                started = time.perf_counter()
                reply = await core.handle_line(line, caller, chat)
                times[kind].append(time.perf_counter() - started)
                sql[kind].append(statements[before:])
                errors += reply.error
                if kind == "add" and not reply.error:
                    fact_id = int(reply.title.removeprefix("Added #"))
    finally:
        await core.store.close()
    return times, sql, errors


_WRITES = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
)


def writes_only(statements: list[str]) -> list[str]:
    """The rows a change writes, in order, without its reads (checks) or its audit entry."""
    return [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper() in _WRITES and "audit_log" not in s
    ]


def _floor(db: Path, sql: dict[str, list[list[str]]]) -> dict[str, list[float]]:
    """The same writes replayed, change by change in the order they ran, on a copy of the
    store as it was before them: same rows, same ids, no checks, no audit."""
    from bench.floor import connect, replay

    con = connect(db)
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    for i in range(ROUNDS):
        for kind in KINDS:
            times[kind].append(replay(con, writes_only(sql[kind][i])))
    con.close()
    return times


def main() -> None:
    from bench.report import Report
    from bench.synth import cached_store

    with tempfile.TemporaryDirectory() as tmp:
        core_db = asyncio.run(cached_store(FACTS // 10, FACTS, copy_to=Path(tmp) / "core.db"))
        floor_db = Path(tmp) / "floor.db"
        shutil.copyfile(core_db, floor_db)  # the store as it was before the changes
        times, sql, errors = asyncio.run(_core(core_db))
        floor = _floor(floor_db, sql)
    core_ms = {k: _median_ms(v) for k, v in times.items()}
    floor_ms = {k: _median_ms(v) for k, v in floor.items()}
    report = Report("admin")
    report.figures.update({"rounds": ROUNDS, "core_ms": core_ms, "floor_ms": floor_ms})
    report.figures["errors"] = errors
    report.figures["statements"] = {
        k: (statistics.mean(map(len, v)), statistics.mean(len(writes_only(s)) for s in v))
        for k, v in sql.items()
    }
    report.text(
        f"### Admin changes ({FACTS:,} facts; {ROUNDS} of each, each its own transaction)",
        "Through the core: the command parsed and checked, duplicates looked for, the fact, its "
        "links, its search-index rows and its audit entry written in one `BEGIN IMMEDIATE`. "
        "**Floor**: the writes that change made (recorded with `Database.trace`), replayed "
        "in plain sqlite3 on a copy of the store as it was before: the same rows, links and "
        "search-index rewrites, without its reads (checks) or its audit entry.",
    )
    report.table(
        ("change", "core median", "floor median", "ratio", "statements run / replayed"),
        [
            (
                f"`{k}`",
                f"{core_ms[k]:.2f} ms",
                f"{floor_ms[k]:.2f} ms",
                f"{core_ms[k] / floor_ms[k]:.1f}×",
                "{:.0f} / {:.0f}".format(*report.figures["statements"][k]),
            )
            for k in KINDS
        ],
    )
    report.text(f"Changes that were refused: {errors}.")
    report.finish()


if __name__ == "__main__":
    main()
