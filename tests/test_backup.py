"""Backup and restore of the whole store (storage/backup.py), through the core and the store.

A backup is SQLite's own copy of the file, so whatever the store holds comes back: every
table is compared row for row, and a restored bot answers /subscriptions and takes /undo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from storage import backup as backups
from storage.db import _statements, latest_version, migrations
from storage.errors import BackupRefused
from storage.store import Store
from tests.conftest import DEFAULT_NOW, SEEDS, text_of

ADMIN = Caller("telegram", "456", "Ada", is_chat_admin=True)
GROUP = Chat("telegram", "-100", "group", "IU fans")
ADD = '/addevent IU 2024-02-03 "IU held a fan meeting" https://a.com/1'


def core_over(store: Store, clock: FixedClock) -> Core:
    return Core(store, clock, all_commands(), admins=frozenset({("telegram", "456")}))


async def say(core: Core, line: str) -> str:
    reply = await core.handle_line(line, ADMIN, GROUP)
    assert not reply.error, text_of(reply)
    return text_of(reply)


def rows_of(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in rowid order where there is one: the store as data."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        out = {}
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ):
            out[name] = conn.execute(f'SELECT * FROM "{name}"').fetchall()
        out["user_version"] = conn.execute("PRAGMA user_version").fetchall()
        return out
    finally:
        conn.close()


def count(path: Path, table: str, where: str = "1") -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def a_lived_in_store(store: Store, clock: FixedClock) -> int:
    """A subscription, a delivered post, two versions of a fact, an editor, a moved chat."""
    core = core_over(store, clock)
    await say(core, "/subscribe 8:30pm America/New_York V, IU")
    subscription = await store.subscriptions.for_chat("telegram", "-100")
    assert subscription is not None
    from storage.subscriptions import PageRecord

    subs, lease = store.subscriptions, dt.timedelta(minutes=10)
    claim = await subs.claim(subscription.id, dt.date(2025, 1, 24), "t", clock.now(), lease)
    assert claim is not None
    for page, last in ((0, False), (1, True)):
        record = PageRecord(page, "accepted", "-100", f"m{page + 1}")
        await subs.record_page(claim, record, clock.now(), lease, last=last)
    added = await say(core, ADD)
    fact_id = int(added.split("#")[1].split()[0])
    clock.advance(dt.timedelta(hours=1))
    await say(core, f"/edit #{fact_id} date 2024-02-04 https://a.com/2")
    await say(core, "/editor add telegram:789 Mina")
    return fact_id


async def test_a_restored_store_is_the_same_bot(
    store: Store, db_path: Path, clock: FixedClock, tmp_path: Path
) -> None:
    fact_id = await a_lived_in_store(store, clock)
    copy = backups.backup(db_path, tmp_path / "fanbot.backup")  # while the store is open
    assert copy.schema == latest_version() and copy.size > 0
    target = tmp_path / "elsewhere" / "fanbot.db"

    restored = await backups.restore(copy.path, target, DEFAULT_NOW)
    assert restored == backups.Restored(latest_version(), latest_version(), None)
    assert rows_of(target) == rows_of(db_path)  # every table, row for row

    again = await Store.open(target)
    try:
        core = core_over(again, clock)
        subscriptions = await say(core, "/subscriptions")
        assert "20:30" in subscriptions and "America/New_York" in subscriptions
        assert "V, IU" in subscriptions or "IU, V" in subscriptions
        assert await again.subscriptions.ledger() == await store.subscriptions.ledger() != []
        undone = await say(core, "/undo")  # the editor
        assert "Undone" in undone and not await again.editors.is_editor("telegram", "789")
        await say(core, "/undo")  # the edit: the fact's version and its trail came back
        fact = await again.facts.fact(fact_id)
        assert fact is not None and fact.date.iso() == "2024-02-03"
        assert "[undone by change" in await say(core, f"/history #{fact_id}")
    finally:
        await again.close()


async def test_a_backup_is_consistent_while_the_store_is_written(
    store: Store, db_path: Path, clock: FixedClock, tmp_path: Path
) -> None:
    core = core_over(store, clock)
    seeded_facts = count(db_path, "facts")
    await say(core, ADD)  # committed, and still only in the WAL file: a file copy misses it
    stop = asyncio.Event()

    async def keep_adding() -> int:
        n = 0
        while not stop.is_set():
            n += 1
            day = f"2024-03-{n % 28 + 1:02d}"
            await say(core, f'/addevent V {day} "V posted photo {n}" https://a.com/{n}')
        return n

    writer = asyncio.create_task(keep_adding())
    copies = []
    for i in range(3):
        copies.append(await asyncio.to_thread(backups.backup, db_path, tmp_path / f"b{i}.db"))
    stop.set()
    written = await writer
    assert written > 0
    for copy in copies:
        facts, adds = count(copy.path, "facts"), count(copy.path, "audit_log", "action = 'add'")
        # Each add wrote its fact and its audit entry in one transaction: a copy holds both
        # or neither, and it holds the add committed before the first backup began.
        assert facts - seeded_facts == adds >= 1


async def test_restore_refuses_a_store_a_running_fanbot_holds(
    store: Store, db_path: Path, clock: FixedClock, tmp_path: Path
) -> None:
    await a_lived_in_store(store, clock)
    copy = backups.backup(db_path, tmp_path / "fanbot.backup")
    await say(core_over(store, clock), ADD.replace("fan meeting", "concert"))
    before = rows_of(db_path)
    with pytest.raises(BackupRefused, match="is in use .*Stop fanbot, then restore again"):
        await backups.restore(copy.path, db_path, DEFAULT_NOW)
    assert rows_of(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith(".")) == []


async def test_restore_over_a_stopped_store_keeps_the_one_it_replaced(
    store: Store, db_path: Path, clock: FixedClock, tmp_path: Path
) -> None:
    await a_lived_in_store(store, clock)
    copy = backups.backup(db_path, tmp_path / "fanbot.backup")
    other = tmp_path / "other" / "fanbot.db"
    async with await Store.open(other) as fresh:  # a store that is about to be replaced
        await fresh.seed_if_empty(SEEDS)
    replaced = rows_of(other)

    restored = await backups.restore(copy.path, other, DEFAULT_NOW)
    assert restored.kept == other.with_name("fanbot.db.before-restore-20250124T000000Z")
    assert rows_of(restored.kept) == replaced
    assert rows_of(other) == rows_of(db_path)
    assert sorted(p.name for p in other.parent.iterdir()) == [
        "fanbot.db",
        "fanbot.db.before-restore-20250124T000000Z",
    ]
    second = await backups.restore(copy.path, other, DEFAULT_NOW)  # the same second again
    assert second.kept == other.with_name("fanbot.db.before-restore-20250124T000000Z-2")


async def test_restore_migrates_an_older_store(tmp_path: Path) -> None:
    older = tmp_path / "older.db"
    conn = sqlite3.connect(older, isolation_level=None)
    for number, _name, sql in migrations()[:-1]:
        for statement in _statements(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("INSERT INTO subjects(slug, name, kind) VALUES ('iu', 'IU', 'soloist')")
    conn.close()
    target = tmp_path / "data" / "fanbot.db"

    restored = await backups.restore(older, target, DEFAULT_NOW)
    assert (restored.schema_was, restored.schema) == (migrations()[-2][0], latest_version())
    async with await Store.open(target) as store:
        assert [s.name for s in await store.facts.subjects([1])] == ["IU"]
    assert backups.tables_at(latest_version()) <= set(rows_of(target))


def _not_a_store(tmp_path: Path, kind: str, good: Path) -> Path:
    path = tmp_path / f"{kind}.db"
    if kind == "missing":
        return path
    if kind == "text":
        path.write_text("subjects:\n- slug: iu\n", encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "another app's database":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes(x)")
        conn.close()
    elif kind == "fanbot's tables missing":
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {latest_version()}")
        conn.execute("CREATE TABLE facts(x)")
        conn.close()
    elif kind == "newer":
        path.write_bytes(good.read_bytes())
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        conn.close()
    elif kind == "damaged":
        data = bytearray(good.read_bytes())
        page = int.from_bytes(data[16:18], "big")
        data[page * 3 : page * 3 + 200] = b"\xff" * 200  # a b-tree page scribbled over
        path.write_bytes(bytes(data))
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("missing", "does not exist"),
        ("text", "not a SQLite database"),
        ("empty", "not a SQLite database"),
        ("another app's database", r"not a fanbot store \(missing tables: all of them\)"),
        ("fanbot's tables missing", r"not a fanbot store \(missing tables: aliases, audit_log"),
        ("newer", "was written by a newer fanbot"),
        ("damaged", "(damaged|cannot be read)"),
        ("truncated", "(damaged|cannot be read)"),
    ],
)
async def test_restore_refuses_what_is_not_a_fanbot_store_and_changes_nothing(
    store: Store, db_path: Path, tmp_path: Path, kind: str, says: str
) -> None:
    good = backups.backup(db_path, tmp_path / "good.db").path
    bad = _not_a_store(tmp_path, kind, good)
    target = tmp_path / "data" / "fanbot.db"
    target.parent.mkdir()
    backups.backup(db_path, target)  # a stopped store that must stay as it is
    before = digest(target)
    with pytest.raises(BackupRefused, match=says):
        await backups.restore(bad, target, DEFAULT_NOW)
    assert digest(target) == before
    assert [p.name for p in target.parent.iterdir()] == ["fanbot.db"]


def test_backup_refuses_clearly(store: Store, db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupRefused, match="same file"):
        backups.backup(db_path, db_path)
    with pytest.raises(BackupRefused, match="Cannot write in .*no-such-folder"):
        backups.backup(db_path, tmp_path / "no-such-folder" / "b.db")
    with pytest.raises(BackupRefused, match="There is no store at"):
        backups.backup(tmp_path / "nothing.db", tmp_path / "b.db")
    assert not (tmp_path / "nothing.db").exists()  # looking did not create it
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fanbot.db",
        "fanbot.db-shm",
        "fanbot.db-wal",
    ]
