"""The PostgreSQL engine against a real server (tests/pg.py): migrations, `?` SQL,
transactions, a killed connection, the change signal."""

from __future__ import annotations

import asyncio

import pytest

from storage.errors import StoreError, StoreTooNew, StoreWriteFailed
from storage.postgres.db import PostgresDatabase
from storage.postgres.migrate import latest_version, migrations
from tests.pg import PgServer


@pytest.fixture
async def pgdb(pg_server: PgServer):
    db = await PostgresDatabase.open(pg_server.new_database())
    try:
        yield db
    finally:
        await db.close()


async def test_open_migrates_and_reopen_is_a_no_op(pg_server: PgServer) -> None:
    url = pg_server.new_database()
    for _ in range(2):
        db = await PostgresDatabase.open(url)
        rows = await db.fetchall("SELECT version FROM schema_version ORDER BY version")
        assert [r["version"] for r in rows] == [n for n, _, _ in migrations()]
        await db.close()


async def test_a_newer_schema_is_refused_in_one_line(pgdb: PostgresDatabase) -> None:
    async with pgdb.transaction() as tx:
        await tx.execute("INSERT INTO schema_version (version, name) VALUES (?, 'x')", (9999,))
    with pytest.raises(StoreTooNew) as info:
        await PostgresDatabase.open(pgdb.url)
    assert "\n" not in str(info.value) and f"knows {latest_version()}" in str(info.value)


async def test_placeholders_and_a_literal_percent(pgdb: PostgresDatabase) -> None:
    row = await pgdb.fetchone("SELECT ? || '%' AS a, '?' AS b, 5 % 3 AS c", ("50%",))
    assert (row["a"], row[1], row["c"]) == ("50%%", "?", 2)


async def test_rollback_leaves_nothing(pgdb: PostgresDatabase) -> None:
    with pytest.raises(ZeroDivisionError):
        async with pgdb.transaction() as tx:
            await tx.execute("INSERT INTO chats (platform, chat_id) VALUES (?, ?)", ("tg", "1"))
            1 / 0  # noqa: B018
    assert await pgdb.fetchall("SELECT * FROM chats") == []


async def test_a_connection_killed_mid_write_leaves_nothing(pgdb: PostgresDatabase) -> None:
    with pytest.raises(StoreWriteFailed):
        async with pgdb.transaction() as tx:
            await tx.execute("INSERT INTO chats (platform, chat_id) VALUES (?, ?)", ("tg", "1"))
            pid = (await tx.fetchone("SELECT pg_backend_pid()"))[0]
            await pgdb.fetchone("SELECT pg_terminate_backend(?)", (pid,))
            await tx.execute("INSERT INTO chats (platform, chat_id) VALUES (?, ?)", ("tg", "2"))
    assert await pgdb.fetchall("SELECT * FROM chats") == []
    async with pgdb.transaction() as tx:
        assert await tx.execute("INSERT INTO chats (platform, chat_id) VALUES ('tg', '3')") == 1


async def test_changes_move_here_at_once_and_there_soon(pgdb: PostgresDatabase) -> None:
    other = await PostgresDatabase.open(pgdb.url)
    try:
        before, there = pgdb.changes(), other.changes()
        async with pgdb.transaction() as tx:
            await tx.execute("INSERT INTO chats (platform, chat_id) VALUES ('tg', '1')")
        assert pgdb.changes().moved(before) == {"chats"}
        async with asyncio.timeout(1):
            moved = await other.changed(there)
        assert moved.moved(there) == {"chats"}
    finally:
        await other.close()


async def test_not_up_fails_in_one_line_after_the_budget(pg_server: PgServer) -> None:
    url = f"postgresql://postgres:secret@127.0.0.1:{pg_server.port + 1}/nowhere"
    with pytest.raises(StoreError) as info:
        await PostgresDatabase.open(url, budget_seconds=0.5)
    text = str(info.value)
    assert "\n" not in text and "nowhere" in text and "secret" not in text
