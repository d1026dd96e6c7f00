"""Writing many facts at once: the per-row triggers set aside, their work done set-based.

Each fact keeps a JSON copy of its subjects and sources, rebuilt by a trigger on every row of
fact_subjects and fact_sources (migration 0008); its search entry is rebuilt by the store.
Row by row, that is most of the cost of a 100,000-fact import. Inside a bulk write those
triggers are dropped, the facts written are collected, and at the end the copies are filled
from the same views the triggers read and the search entries rebuilt by the same query the
store uses for one fact, once for all of them; then the triggers are put back. All of it
happens in the caller's transaction, so a failure rolls back the triggers' absence too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager

import aiosqlite

# Triggers that an insert or delete of a fact's subject or source row fires (migration 0008).
ROW_TRIGGERS = (
    "fact_subjects_inserted",
    "fact_subjects_deleted",
    "fact_sources_inserted",
    "fact_sources_deleted",
)

_IDS = "SELECT value FROM json_each(?)"


@asynccontextmanager
async def bulk_write(conn: aiosqlite.Connection) -> AsyncIterator[set[int]]:
    """Inside the caller's transaction: yields the set of fact ids the writes touch (the
    store's writers add to it); on leaving, those facts' copies and search entries are built
    and the triggers are back, as they are if the block fails (before the rollback)."""
    placeholders = ", ".join("?" for _ in ROW_TRIGGERS)
    saved = await conn.execute_fetchall(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({placeholders})",
        ROW_TRIGGERS,
    )
    for name, _ in saved:
        await conn.execute(f'DROP TRIGGER "{name}"')  # a name from ROW_TRIGGERS
    touched: set[int] = set()
    try:
        yield touched
        await fill_copies(conn, touched)
        await index_facts(conn, touched)
    finally:
        await _restore(conn, [(name, sql) for name, sql in saved])


async def _restore(conn: aiosqlite.Connection, saved: list[tuple[str, str]]) -> None:
    """Put back the triggers a bulk write dropped. Outside a transaction (SQLite rolled it back
    on an error) they are back already, and creating them would commit a change of its own."""
    if not conn.in_transaction:
        return
    present = {
        name
        for (name,) in await conn.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
    }
    for name, sql in saved:
        if name not in present:
            await conn.execute(sql)


async def fill_copies(conn: aiosqlite.Connection, fact_ids: Collection[int]) -> None:
    """These facts' JSON copies of their subjects and sources, from the views the triggers read."""
    if not fact_ids:
        return
    await conn.execute(
        "UPDATE facts SET"
        " subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id),"
        " source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = facts.id)"
        f" WHERE id IN ({_IDS})",
        (json.dumps(sorted(fact_ids)),),
    )


async def index_facts(conn: aiosqlite.Connection, fact_ids: Collection[int]) -> None:
    """Rebuild these facts' search entries (summary, detail values, subjects' aliases), in one
    statement each way whatever their number; rowids in order, which FTS5 writes fastest."""
    if not fact_ids:
        return
    ids = (json.dumps(sorted(fact_ids)),)
    await conn.execute(f"DELETE FROM facts_fts WHERE rowid IN ({_IDS})", ids)
    await conn.execute(
        f"""
        INSERT INTO facts_fts(rowid, summary, details, names)
        SELECT f.id, f.summary,
          (SELECT group_concat(value, ' ') FROM json_tree(f.details) WHERE atom IS NOT NULL),
          (SELECT group_concat(a.alias, ' ') FROM fact_subjects fs
             JOIN aliases a ON a.subject_id = fs.subject_id WHERE fs.fact_id = f.id)
        FROM facts f WHERE f.id IN ({_IDS}) ORDER BY f.id
        """,
        ids,
    )
