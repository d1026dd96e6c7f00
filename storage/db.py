"""One SQLite file through aiosqlite: opening it safely, numbered migrations, transactions.

A writer connection takes every write inside `BEGIN IMMEDIATE`; a separate reader connection
serves queries, so a reader never sees a write that is still in progress (WAL lets both run).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import NotASQLiteFile, StoreError, StoreTooNew

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped in storage/migrations, in order: (number, name, sql)."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def latest_version() -> int:
    return len(migrations())


def check_file(path: Path) -> None:
    """Refuse, without touching it, a file that exists but is not a SQLite database."""
    if not path.exists() or path.stat().st_size == 0:
        return
    if path.is_dir():
        raise NotASQLiteFile(f"{path} is a directory, not a fanbot database file")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise NotASQLiteFile(
            f"{path} is not a SQLite database; fanbot left it untouched. "
            "Point FANBOT_DB at another file, or move this one away."
        )


class Database:
    """The SQLite file: a writer and a reader connection and the lock that orders writes."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self.commits = 0  # write transactions committed through this Database
        # Asked only for PRAGMA data_version, in the event loop's thread: a ~2 µs call,
        # where a trip to an aiosqlite thread costs fifty times that.
        self._watcher = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        check_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await _check_version(writer, path)
            await writer.execute("PRAGMA journal_mode = WAL")
            await _migrate(writer, path)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        self._watcher.close()
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: no half-done write stays."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()
                self.commits += 1

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> Iterable[aiosqlite.Row]:
        return await self._reader.execute_fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        # One trip to the database thread (execute + fetchone + close would be three).
        rows = await self._reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    def data_version(self) -> int:
        """A number that changes whenever anyone (this process or another) commits a write."""
        return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def peek(self, sql: str) -> Any:
        """One value read in the caller's thread: for a one-row lookup by primary key, checked
        when data_version moved, where a trip to the database thread would cost fifty times it.
        """
        row = self._watcher.execute(sql).fetchone()
        return row[0] if row else None

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0


async def _connect(path: Path) -> aiosqlite.Connection:
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except Exception as exc:  # sqlite3.OperationalError: unreadable, a directory, ...
        raise StoreError(f"cannot open {path}: {exc}") from exc
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def _check_version(conn: aiosqlite.Connection, path: Path) -> None:
    try:
        async with conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
    except Exception as exc:  # "file is not a database" slips past the magic check when corrupt
        raise NotASQLiteFile(f"{path} cannot be read as a SQLite database: {exc}") from exc
    version = int(row[0]) if row else 0
    latest = latest_version()
    if version > latest:
        raise StoreTooNew(
            f"{path} was written by a newer fanbot (schema {version}; this one knows "
            f"{latest}). Upgrade fanbot; the file was left untouched."
        )


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    for number, name, sql in migrations():
        if number <= current:
            continue
        log.info("applying migration %s to %s", name, path)
        # executescript would COMMIT first; run the statements inside one transaction instead.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()


def _statements(sql: str) -> list[str]:
    """Split a migration into statements with sqlite's own completeness check."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()
    ):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buf!r}")
    return out
