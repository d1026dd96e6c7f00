"""The seam between the repositories and a database engine (SQLite today, PostgreSQL next).

Repositories (facts, names, audit, subscriptions, ...) are written once against these small
protocols: SQL with `?` placeholders, rows read by column name or position. An engine supplies
the connections, the transactions, its migrations and the change signal; a PostgreSQL engine
turns `?` into its own placeholders. SQL an engine cannot share (full-text search, JSON
functions, PRAGMAs) lives in the engine's package, named for what it does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

Dialect = Literal["sqlite", "postgres"]


@runtime_checkable
class Row(Protocol):
    """One result row: `row["name"]` or `row[0]`."""

    def __getitem__(self, key: int | str) -> Any: ...


class Executor(Protocol):
    """Runs statements: the reader outside a transaction, the writer inside one."""

    dialect: Dialect  # which engine's SQL it takes (storage.dialect spells what differs)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed (-1 when unknown)."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...


@dataclass(frozen=True)
class Changes:
    """The store's change signal: each counter moves when its part of the store changed,
    in this process or any other. Caches compare the part they depend on."""

    names: int = 0  # subjects, aliases, memberships
    facts: int = 0  # facts, their subjects and sources
    chats: int = 0  # chats, their languages, subscriptions, editors

    def moved(self, since: Changes) -> frozenset[str]:
        """The parts that changed since `since`."""
        parts = ("names", "facts", "chats")
        return frozenset(p for p in parts if getattr(self, p) != getattr(since, p))


class Database(Protocol):
    """One open store on one engine."""

    dialect: Dialect

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """All of it commits, or none of it: any error rolls back and is raised again.
        A store that stopped taking writes raises StoreWriteFailed."""
        ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def changes(self) -> Changes:
        """Cheap enough to call on every command (no round trip when nothing changed)."""
        ...

    async def close(self) -> None: ...
