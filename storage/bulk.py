"""Writing many facts at once: the per-row triggers set aside, their work done set-based.

Each fact keeps a JSON copy of its subjects and sources, rebuilt by a trigger on every row of
fact_subjects and fact_sources (migration 0008); its search entry is rebuilt by the store.
Row by row, that is most of the cost of a 100,000-fact import. Inside a bulk write those
triggers are dropped, the facts written are collected, and at the end the copies are filled
from the same views the triggers read and the search entries rebuilt by the same statement
(storage.search.index_facts) the store uses for one fact, once for all of them; then the
triggers are put back. All of it happens in the caller's transaction, so a failure rolls
back the triggers' absence too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

from storage import search
from storage.db import SqliteExecutor

# Triggers that an insert or delete of a fact's subject or source row fires (migration 0008).
ROW_TRIGGERS = (
    "fact_subjects_inserted",
    "fact_subjects_deleted",
    "fact_sources_inserted",
    "fact_sources_deleted",
)

# Triggers that bump the change signal once per row written (migration 0031): in a bulk
# write each part is bumped once at the end instead (half a million counter updates were a
# third of a 100,000-fact import).
CHANGE_TRIGGERS = {
    f"{table}_{event}_changes": part
    for part, tables in (
        ("names", ("subjects", "aliases", "memberships")),
        ("facts", ("facts", "fact_subjects", "fact_sources")),
    )
    for table in tables
    for event in ("inserted", "updated", "deleted")
}
_SET_ASIDE = (*ROW_TRIGGERS, *CHANGE_TRIGGERS)

_IDS = "SELECT value FROM json_each(?)"


@asynccontextmanager
async def bulk_write(ex: SqliteExecutor) -> AsyncIterator[set[int]]:
    """Inside the caller's transaction: yields the set of fact ids the writes touch (the
    transaction's write repositories add to it); on leaving, those facts' copies and search
    entries are built and the triggers are back, as they are if the block fails (before the
    rollback)."""
    placeholders = ", ".join("?" for _ in _SET_ASIDE)
    saved = await ex.fetchall(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({placeholders})",
        _SET_ASIDE,
    )
    for name, _ in saved:
        await ex.execute(f'DROP TRIGGER "{name}"')  # a name from _SET_ASIDE
    touched: set[int] = set()
    before = await _rows_written(ex)
    try:
        yield touched
        await fill_copies(ex, touched)
        await search.index_facts(ex, touched)
        if await _rows_written(ex) != before:  # what the per-row triggers would have said
            parts = sorted({CHANGE_TRIGGERS[n] for n, _ in saved if n in CHANGE_TRIGGERS})
            await ex.execute(
                f"UPDATE changes SET version = version + 1 WHERE part IN ({_IDS})",
                (json.dumps(parts),),
            )
    finally:
        await _restore(ex, [(name, sql) for name, sql in saved])


async def _rows_written(ex: SqliteExecutor) -> int:
    row = await ex.fetchone("SELECT total_changes()")
    return int(row[0]) if row else 0


async def _restore(ex: SqliteExecutor, saved: list[tuple[str, str]]) -> None:
    """Put back the triggers a bulk write dropped. Outside a transaction (SQLite rolled it back
    on an error) they are back already, and creating them would commit a change of its own."""
    if not ex.in_transaction:
        return
    present = {
        name
        for (name,) in await ex.fetchall("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    for name, sql in saved:
        if name not in present:
            await ex.execute(sql)


async def fill_copies(ex: SqliteExecutor, fact_ids: Collection[int]) -> None:
    """These facts' JSON copies of their subjects and sources, from the views the triggers read."""
    if not fact_ids:
        return
    await ex.execute(
        "UPDATE facts SET"
        " subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id),"
        " source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = facts.id)"
        f" WHERE id IN ({_IDS})",
        (json.dumps(sorted(fact_ids)),),
    )
