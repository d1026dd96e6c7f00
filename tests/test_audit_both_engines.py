"""The audit trail, the same tests on SQLite and on a real PostgreSQL server (issue 20): record,
undo links, last_undoable, later_on_target, changes_since, import_rows and export."""

from __future__ import annotations

import datetime as dt

from storage.audit import Actor, NewEntry
from storage.models import Source
from storage.store import Store

T0 = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)
ADA = Actor("telegram", "456", "Ada")
MINA = Actor("discord", "789", "Mina")
SOURCE = Source(title="Weverse", url="https://a.com/1")


async def record(store: Store, actor: Actor, target: str, minutes: int, **kw) -> int:
    async with store.transaction() as tx:
        entry = NewEntry(
            kw.pop("action", "edit"),
            kw.pop("target_kind", "fact"),
            target,
            kw.pop("before", {"date": "2024-02-03"}),
            kw.pop("after", {"date": "2024-02-04"}),
        )
        at = T0 + dt.timedelta(minutes=minutes)
        return await tx.audit.record(entry, at=at, actor=actor, **kw)


async def test_entries_are_recorded_and_read_back(any_store: Store) -> None:
    first = await record(any_store, ADA, "7", 0, source=SOURCE, after={"summary": "팬미팅 🎉"})
    second = await record(any_store, MINA, "7", 1, action="hide")
    await record(any_store, ADA, "iu", 2, target_kind="subject", before=None)
    assert second > first
    trail = await any_store.audit.for_target("fact", "7")
    assert [e.id for e in trail] == [first, second]  # oldest first
    assert trail[0].source == SOURCE and trail[0].after == {"summary": "팬미팅 🎉"}
    assert trail[0].at == T0 and trail[0].actor == ADA and trail[1].action == "hide"
    assert [e.id for e in await any_store.audit.for_target("fact", "7", limit=1)] == [second]
    assert await any_store.audit.count_for_target("fact", "7") == 2
    assert await any_store.audit.count() == 3
    recent = await any_store.audit.recent(2)
    assert [e.target for e in recent] == ["iu", "7"] and recent[0].before is None


async def test_last_undoable_skips_undos_and_what_was_undone(any_store: Store) -> None:
    edit = await record(any_store, ADA, "7", 0)
    later = await record(any_store, ADA, "8", 1)
    undo = await record(any_store, ADA, "8", 2, action="undo", undoes=later)
    async with any_store.transaction() as tx:
        found = await tx.audit.last_undoable(ADA)
        assert found is not None and found.id == edit
        assert await tx.audit.last_undoable(MINA) is None
        undone = await tx.audit.entry(later)
        assert undone is not None and undone.undone_by == undo
        undo_entry = await tx.audit.entry(undo)
        assert undo_entry is not None and undo_entry.undoes == later
        assert await tx.audit.entry(9999) is None


async def test_later_on_target_is_what_changed_meanwhile(any_store: Store) -> None:
    mine = await record(any_store, ADA, "7", 0)
    await record(any_store, MINA, "8", 1)  # another fact: not in the way
    theirs = await record(any_store, MINA, "7", 2)
    async with any_store.transaction() as tx:
        entry = await tx.audit.entry(mine)
        assert entry is not None
        assert [e.id for e in await tx.audit.later_on_target(entry)] == [theirs]
        last = await tx.audit.entry(theirs)
        assert last is not None and await tx.audit.later_on_target(last) == []


async def test_changes_since_reads_the_targets_asked_for(any_store: Store) -> None:
    await record(any_store, ADA, "7", 0)
    on_7 = await record(any_store, ADA, "7", 10)
    on_iu = await record(any_store, ADA, "iu", 10, target_kind="subject")
    await record(any_store, ADA, "8", 10)
    async with any_store.transaction() as tx:
        targets = [("fact", "7"), ("subject", "iu"), ("fact", "99")]
        since = await tx.audit.changes_since(T0 + dt.timedelta(minutes=10), targets)
        assert [e.id for e in since] == [on_7, on_iu]  # the same second counts as after
        assert len(await tx.audit.changes_since(None, [("fact", "7")])) == 2
        assert await tx.audit.changes_since(None, []) == []


async def test_record_many_in_one_statement(any_store: Store) -> None:
    entries = [NewEntry("add", "fact", str(n), None, {"n": n}) for n in range(5)]
    async with any_store.transaction() as tx:
        await tx.audit.record_many(at=T0, actor=ADA, entries=entries)
    assert await any_store.audit.count() == 5
    assert [e.after for e in await any_store.audit.recent(2)] == [{"n": 4}, {"n": 3}]


def _exported(entry_id: int, target: str, **extra) -> dict:
    return {
        "id": entry_id,
        "at": "2025-01-01T00:00:00+00:00",
        "platform": "telegram",
        "user_id": "1",
        "user_name": "Jin",
        "action": "edit",
        "target_kind": "fact",
        "target": target,
        "after": {"target": target},
        **extra,
    }


async def test_import_renumbers_taken_ids_keeps_links_and_is_idempotent(
    any_store: Store,
) -> None:
    held = await record(any_store, ADA, "7", 0)  # takes id 1
    rows = [
        _exported(1, "a", undone_by=2),  # id 1 is taken: renumbered
        _exported(2, "a", action="undo", undoes=1),
        _exported(5, "b"),
    ]
    async with any_store.transaction() as tx:
        assert await tx.audit.import_rows(rows) == 3
    async with any_store.transaction() as tx:
        assert await tx.audit.import_rows(rows) == 0  # the same entries again: nothing new
        assert await tx.audit.import_rows([]) == 0
    exported = await any_store.audit.export_rows()
    assert [(r["id"], r["target"]) for r in exported] == [(held, "7"), (2, "a"), (3, "a"), (5, "b")]
    assert exported[1]["undone_by"] == 3 and exported[2]["undoes"] == 2  # links followed
    # A change recorded after the import gets an id no imported entry holds, on both engines
    # (PostgreSQL's identity is moved past the explicit ids).
    after = await record(any_store, MINA, "9", 5)
    assert after == 6 and await any_store.audit.count() == 5
