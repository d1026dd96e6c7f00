"""One SQLite file through aiosqlite: opening it safely, numbered migrations, transactions.

A writer connection takes every write inside `BEGIN IMMEDIATE`; a separate reader connection
serves queries, so a reader never sees a write that is still in progress (WAL lets both run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from storage.backend import Changes, Dialect, Row
from storage.errors import (
    NotASQLiteFile,
    StoreDamaged,
    StoreError,
    StoreReadOnly,
    StoreTooNew,
    StoreWriteFailed,
)
from storage.numbered import latest_of, numbered_migrations

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
QUICK_CHECK_SECONDS = 3.0  # the start-up integrity check stops after this long
_TRIGGERING = ("INSERT", "UPDATE", "DELETE", "REPLAC")  # statements that can fire triggers


def migrations() -> list[tuple[int, str, str]]:
    """SQLite's numbered migrations, in order: (number, name, sql)."""
    return numbered_migrations("storage.migrations")


def latest_version() -> int:
    return latest_of(migrations())


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


class SqliteExecutor:
    """storage.backend.Executor over the writer connection, inside one transaction: what the
    repositories write through, so none of them (and nothing outside storage/) handles a
    connection or a cursor."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, params)
        try:
            return cur.rowcount
        finally:
            await cur.close()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return cast(list[Row], await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return next(iter(await self._conn.execute_fetchall(sql, params)), None)

    @property
    def in_transaction(self) -> bool:
        """False once SQLite rolled the transaction back by itself (storage.bulk asks)."""
        return self._conn.in_transaction


class Database:
    """The SQLite file: a writer and a reader connection and the lock that orders writes."""

    dialect: Dialect = "sqlite"

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        watcher: sqlite3.Connection,
        created: bool = False,
    ):
        self.path = path
        self.created = created  # this open made the file (a new, empty store)
        self._writer = writer
        self._executor = SqliteExecutor(writer)
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self.commits = 0  # write transactions committed through this Database
        self.write_failures = 0  # writes the store refused after it opened (StoreWriteFailed)
        self._watcher = watcher
        self._changes = Changes()
        self._changes_at: int | None = None  # the data_version `_changes` was read at

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
        """Open, check and migrate the file; any trouble is one StoreError naming file and reason.

        `busy_timeout_ms` is how long a statement waits for another connection's write lock
        before "database is locked" (tests shorten it to reach that moment quickly).
        Every connection opened here is closed again on failure: an open aiosqlite connection
        is a worker thread that would keep the process alive after the error.
        """
        if busy_timeout_ms < 0:
            raise ValueError("busy_timeout_ms must be 0 or more")
        path = Path(path)
        check_file(path)
        _check_writable(path)
        created = not path.exists() or path.stat().st_size == 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create its folder: {exc.strerror}") from exc
        opened: list[aiosqlite.Connection] = []
        watcher: sqlite3.Connection | None = None
        try:
            writer = await _connect(path, opened, busy_timeout_ms)
            await _check_version(writer, path)
            await _quick_check(writer, path)
            await writer.execute("PRAGMA journal_mode = WAL")
            await _migrate(writer, path)
            reader = await _connect(path, opened, busy_timeout_ms)
            # Asked only for PRAGMA data_version, in the event loop's thread: a ~2 µs call,
            # where a trip to an aiosqlite thread costs fifty times that.
            watcher = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            watcher.execute("PRAGMA data_version").fetchone()
        except BaseException as exc:
            if watcher is not None:
                watcher.close()
            for conn in reversed(opened):
                with contextlib.suppress(Exception):
                    await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(describe(path, exc)) from exc
            raise
        # Said even to `fanbot ask`: a new store made from the wrong folder looks like lost data.
        if created:
            hint = "" if path.is_absolute() else f" ({path} is relative to the working directory)"
            log.warning("created a new store at %s%s", path.resolve(), hint)
        else:
            log.info("opened the store at %s", path.resolve())
        return cls(path, writer, reader, watcher, created=created)

    async def close(self) -> None:
        self._watcher.close()
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteExecutor]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: no half-done write stays.

        A store that stopped taking writes (read-only, disk full or failing) raises
        StoreWriteFailed and is counted in `write_failures`: `fanbot run` says so at the end.
        """
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                try:
                    yield self._executor
                    await self._writer.commit()
                except BaseException:
                    if self._writer.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            await self._writer.rollback()
                    raise
            except sqlite3.Error as exc:
                reason = _unwritable(exc)
                if reason is None or isinstance(exc, StoreWriteFailed):
                    raise
                self.write_failures += 1
                raise StoreWriteFailed(
                    f"{self.path} {reason} ({exc}); the change was not made", reason
                ) from exc
            self.commits += 1

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        # sqlite3's fetchall is a list already: no copy of a large result.
        return cast(list[Row], await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        # One trip to the database thread (execute + fetchone + close would be three).
        rows = await self._reader.execute_fetchall(sql, params)
        return next(iter(rows), None)

    def data_version(self) -> int:
        """A number that changes whenever anyone (this process or another) commits a write."""
        return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def changes(self) -> Changes:
        """The change signal (storage.backend.Changes): the trigger-kept counters of migration
        0031, re-read (three rows, in this thread) only when data_version moved, so a command
        that finds nothing committed pays one PRAGMA."""
        version = self.data_version()
        if version != self._changes_at:
            counts = dict(self._watcher.execute("SELECT part, version FROM changes").fetchall())
            self._changes = Changes(**counts)
            self._changes_at = version
        return self._changes

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Hand every statement this store runs (parameters filled in) to `callback`; None stops.

        For the benchmarks: their floors replay exactly the SQL an answer ran. Statements of
        all three connections arrive in the order they ran. SQLite reports a statement again
        each time one of its triggers starts (Python passes the statement's own text then);
        those echoes are dropped, since replaying the statement fires its triggers anyway.
        """
        if callback is None:
            self._watcher.set_trace_callback(None)
            await self._reader.set_trace_callback(None)
            await self._writer.set_trace_callback(None)
            return

        def on() -> Callable[[str], None]:
            last = [""]

            def forward(sql: str) -> None:
                echo = sql == last[0] and sql.lstrip()[:6].upper() in _TRIGGERING
                last[0] = sql
                if not echo:
                    callback(sql)

            return forward

        self._watcher.set_trace_callback(on())
        await self._reader.set_trace_callback(on())
        await self._writer.set_trace_callback(on())

    async def user_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0


async def _connect(
    path: Path, opened: list[aiosqlite.Connection], busy_timeout_ms: int
) -> aiosqlite.Connection:
    """A connection, added to `opened` before its first statement so a failure can close it."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    opened.append(conn)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def _check_version(conn: aiosqlite.Connection, path: Path) -> None:
    rows = await conn.execute_fetchall("PRAGMA user_version")
    version = int(next(iter(rows))[0]) if rows else 0
    if version > (latest := latest_version()):
        raise StoreTooNew(
            f"{path} was written by a newer fanbot (schema {version}; this one knows "
            f"{latest}). Upgrade fanbot; the file was left untouched."
        )


async def _quick_check(conn: aiosqlite.Connection, path: Path) -> None:
    """Refuse a damaged store before anything writes to it; give up checking after a while.

    quick_check reads every page, so on a large store it is stopped after QUICK_CHECK_SECONDS
    (a progress handler interrupts it): a start stays quick, and what it read was checked.
    """
    deadline = time.monotonic() + QUICK_CHECK_SECONDS
    await conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        rows = await conn.execute_fetchall("PRAGMA quick_check(5)")
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        log.warning(
            "stopped checking %s after %.0f s (a large store); the pages read were sound",
            path,
            QUICK_CHECK_SECONDS,
        )
        return
    finally:
        await conn.set_progress_handler(None, 0)
    problems = [" ".join(str(row[0]).split()) for row in rows if str(row[0]) != "ok"]
    if problems:
        raise StoreDamaged(
            f"{path} failed its integrity check ({problems[0]}); fanbot will not write to it "
            f"and left it untouched. Restore a backup, or recover it: "
            f"sqlite3 {path} .recover | sqlite3 recovered.db"
        )


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    """Apply the pending migrations in one transaction: an upgrade lands whole or not at all."""
    rows = await conn.execute_fetchall("PRAGMA user_version")
    current = int(next(iter(rows))[0]) if rows else 0
    pending = [(number, name, sql) for number, name, sql in migrations() if number > current]
    if not pending:
        return
    # executescript would COMMIT first; run the statements inside one transaction instead.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        for number, name, sql in pending:
            log.info("applying migration %s to %s", name, path)
            try:
                for statement in _statements(sql):
                    await conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"{path}: migration {name} failed ({exc}); the store was left as it was, "
                    f"at schema {current}. Restore a backup or report this with the file."
                ) from exc
            await conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        await conn.rollback()
        raise
    await conn.commit()


def _check_writable(path: Path) -> None:
    """Say at start that the store cannot be written, rather than at the first change.

    SQLite needs the file and its folder (the -wal and -shm files live beside it).
    """
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if path.exists() and not os.access(path, os.W_OK):
        where = f"{path} is read-only (the file or the disk it is on)"
    elif not os.access(folder, os.W_OK | os.X_OK):
        where = f"{path}: its folder {folder} is read-only (the store's -wal file goes beside it)"
    else:
        return
    raise StoreReadOnly(
        f"{where}; fanbot writes to its store, so it did not start and left the file "
        "untouched. Make it writable, or point FANBOT_DB at a writable copy."
    )


_REASONS = {  # SQLite's error names, from the most to the least specific
    "SQLITE_NOTADB": "cannot be read as a SQLite database",
    "SQLITE_CORRUPT": "is damaged",
    "SQLITE_FULL": "cannot be written: the disk is full",
    "SQLITE_READONLY": "is read-only",
    "SQLITE_CANTOPEN": "cannot be opened",
    "SQLITE_IOERR": "could not be read or written (is the disk full or failing?)",
    "SQLITE_BUSY": f"is locked: another program held it for over {BUSY_TIMEOUT_MS // 1000} s",
    "SQLITE_LOCKED": f"is locked: another program held it for over {BUSY_TIMEOUT_MS // 1000} s",
}
# A store locked too long as a chat user reads it (a store that takes no write at all is
# StoreWriteFailed, with its own reason); other errors stay generic.
_FOR_PEOPLE = {
    "SQLITE_BUSY": "The bot's store is busy (another program has held it for over "
    f"{BUSY_TIMEOUT_MS // 1000} seconds), so nothing was changed. Please try again in a moment.",
}
_FOR_PEOPLE["SQLITE_LOCKED"] = _FOR_PEOPLE["SQLITE_BUSY"]

_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def _unwritable(exc: sqlite3.Error) -> str | None:
    """Why the store takes no write, for an error that says it cannot; None for any other."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if not name.startswith(_UNWRITABLE):
        return None
    return next(r for prefix, r in _REASONS.items() if name.startswith(prefix))


def describe(path: Path, exc: sqlite3.Error) -> str:
    """One line for an operator: which file, what is wrong with it, what fanbot did."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    reason = next((r for prefix, r in _REASONS.items() if name.startswith(prefix)), "failed")
    advice = ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        advice = " Restore a backup, or point FANBOT_DB at another file."
    return f"{path} {reason} ({exc}); fanbot left it untouched.{advice}"


def for_people(exc: BaseException) -> str | None:
    """What a chat user is told when the store was locked too long; None for other errors."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return next((m for prefix, m in _FOR_PEOPLE.items() if name.startswith(prefix)), None)


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
