"""Shared fixtures: a real SQLite file per test, seeded from seeds/, and a core over it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from bot.settings import PROJECT_ROOT
from storage.store import Store
from tests.pg import SKIP_HINT, PgServer, find_bin

SEEDS = PROJECT_ROOT / "seeds"
# 2025-01-24 09:00 KST: the first anniversary of Love wins all.
DEFAULT_NOW = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "fanbot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(db_path)
    await s.seed_if_empty(SEEDS)
    try:
        yield s
        # Whatever the test wrote, each fact's kept subjects and sources still match the tables.
        assert await s.facts.stale_refs() == []
    finally:
        await s.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def core(store: Store, clock: FixedClock) -> Core:
    return Core(store, clock, all_commands(), admins=frozenset({("console", "root-admin")}))


FAN = Caller(platform="console", user_id="fan", name="A fan")
CONSOLE = Chat(platform="console", id="console")


@pytest.fixture
async def other(db_path: Path, clock: FixedClock, store: Store):
    """A second process's view of the same file (opened after the seeded one)."""
    second = await Store.open(db_path)
    try:
        yield Core(second, clock, all_commands(), admins=frozenset({("console", "root-admin")}))
    finally:
        await second.close()


async def ask(core: Core, line: str, caller: Caller = FAN, chat: Chat = CONSOLE):
    return await core.handle_line(line, caller, chat)


def text_of(reply) -> str:
    from bot.replies import plain_blocks

    return "\n".join(plain_blocks(reply))


# PostgreSQL (tests/pg.py): one throwaway cluster for the session, a fresh database per test.
_pg_skipped: list[str] = []


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir, why = find_bin()
    server = None
    try:
        if bindir is None:
            raise RuntimeError(why)
        server = PgServer(bindir)
        server.init()
        server.start()
    except RuntimeError as exc:
        if server is not None:
            server.destroy()
        if os.environ.get("FANBOT_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required (FANBOT_REQUIRE_PG=1): {exc}")
        _pg_skipped.append(str(exc))
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    try:
        yield server
    finally:
        server.destroy()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if _pg_skipped:
        terminalreporter.write_line(
            f"PostgreSQL tests skipped: {_pg_skipped[0]}; {SKIP_HINT}", yellow=True
        )


# One store on either engine (issue 20): the repositories that run on both are tested on both.
@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine_db(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where a fresh, empty store lives: a SQLite file, or a new PostgreSQL database (the
    PostgreSQL half skips, and says why, without PostgreSQL binaries)."""
    if engine == "sqlite":
        return str(tmp_path / "fanbot.db")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


async def open_store(engine: str, where: str) -> Store:
    """A Store over either engine; several opened on one `where` are several processes."""
    if engine == "postgres":
        from storage.postgres.db import PostgresDatabase

        return Store(await PostgresDatabase.open(where))
    return await Store.open(where)


@pytest.fixture
async def any_store(engine: str, engine_db: str) -> AsyncIterator[Store]:
    s = await open_store(engine, engine_db)
    try:
        yield s
    finally:
        await s.close()
