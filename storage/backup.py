"""Backups of the store: a consistent copy of the SQLite file taken while fanbot runs, and a
restore that checks a copy, migrates it if older, and swaps it in atomically.

Both work on SQLite's file, not on fanbot's tables: VACUUM INTO reads one snapshot in one read
transaction, whatever others write meanwhile, so everything the store holds travels (facts and
their versions, the audit trail, editors, chats, subscriptions, the delivery ledger) without
this module naming any of it. What restore checks a file against is derived from the migrations.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.db import SQLITE_MAGIC, Database, _statements, latest_version, migrations
from storage.errors import BackupRefused

_SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite keeps beside a database file
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"


@dataclass(frozen=True)
class Copy:
    """A backup written: where, at which schema, how large."""

    path: Path
    schema: int
    size: int


@dataclass(frozen=True)
class Restored:
    """A restore done: the backup's schema, the store's schema now, and where the store it
    replaced was kept (None when there was none)."""

    schema_was: int
    schema: int
    kept: Path | None


def backup(store: Path, dest: Path) -> Copy:
    """Copy the store to `dest` (replaced atomically), consistent while fanbot runs on it."""
    if not store.is_file():
        raise BackupRefused(f"There is no store at {store} to back up.")
    _refuse_same_file(store, dest, "back up a store onto itself")
    temp = _snapshot(store, "rw", dest)  # rw: never creates it, and reads a WAL store's -shm
    try:
        with _os_errors(f"Writing {dest}"):
            schema = inspect(temp)
            _fsync(temp)
            os.replace(temp, dest)
            _fsync(dest.parent)
    finally:
        temp.unlink(missing_ok=True)
    return Copy(dest, schema, dest.stat().st_size)


async def restore(source: Path, store: Path, now: dt.datetime) -> Restored:
    """Make `store` a copy of the backup `source`: checked, migrated, swapped in atomically.

    Refused while anything (a running fanbot) has the store open, because it would go on
    writing to the file it opened; a store replaced is kept beside it, never deleted.
    """
    schema_was, temp = await asyncio.to_thread(_copy_beside, source, store)
    try:
        db = await Database.open(temp)  # migrates an older backup, as any start would
        schema = await db.user_version()
        await db.close()
        kept = await asyncio.to_thread(_swap, temp, store, now)
    finally:
        await asyncio.to_thread(_remove, temp)
    return Restored(schema_was, schema, kept)


def _copy_beside(source: Path, store: Path) -> tuple[int, Path]:
    """Check the backup, then copy it into a temporary file in the store's folder."""
    schema = inspect(source)
    _refuse_same_file(source, store, "restore a store onto itself")
    if store.is_dir():
        raise BackupRefused(f"{store} is a folder, not a store file.")
    with _os_errors(f"Creating {store.parent}"):
        store.parent.mkdir(parents=True, exist_ok=True)
    return schema, _snapshot(source, "ro", store)


def _remove(temp: Path) -> None:
    for path in (temp, *(Path(f"{temp}{s}") for s in _SIDE_FILES)):
        path.unlink(missing_ok=True)


def inspect(path: Path) -> int:
    """The schema version of a fanbot store file, or BackupRefused saying why it is not one."""
    if not path.is_file():
        raise BackupRefused(f"{path} does not exist or is not a file.")
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupRefused(f"{path} is not a fanbot backup: it is not a SQLite database.")
    try:
        with contextlib.closing(_open(path, "ro")) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(3)")]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in conn.execute(_TABLES)}
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{path} cannot be read as a SQLite database: {exc}.") from None
    if problems != ["ok"]:
        raise BackupRefused(f"{path} is damaged (integrity check: {'; '.join(problems)}).")
    latest = latest_version()
    if version > latest:
        raise BackupRefused(
            f"{path} was written by a newer fanbot (schema {version}; this one knows {latest}). "
            "Upgrade fanbot first."
        )
    missing = sorted(tables_at(version) - tables) if version else ["all of them"]
    if missing:
        raise BackupRefused(
            f"{path} is a SQLite database but not a fanbot store (missing tables: "
            f"{', '.join(missing[:5])})."
        )
    return version


@functools.cache
def tables_at(version: int) -> frozenset[str]:
    """The tables a store at this schema version has, by running the migrations in memory."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        for number, _name, sql in migrations():
            if number > version:
                break
            for statement in _statements(sql):
                conn.execute(statement)
        return frozenset(row[0] for row in conn.execute(_TABLES))


def _open(path: Path, mode: str, timeout: float = 5.0) -> sqlite3.Connection:
    """An existing database file (mode ro or rw; never created)."""
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, isolation_level=None, timeout=timeout)


def _snapshot(source: Path, mode: str, beside: Path) -> Path:
    """VACUUM INTO a new temporary file in `beside`'s folder: one consistent, compact copy."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=".tmp", dir=beside.parent)
    except OSError as exc:
        raise BackupRefused(f"Cannot write in {beside.parent}: {exc.strerror}.") from None
    os.close(fd)
    temp = Path(name)
    try:
        with contextlib.closing(_open(source, mode)) as conn:
            conn.execute("VACUUM INTO ?", (str(temp),))
    except sqlite3.DatabaseError as exc:
        temp.unlink(missing_ok=True)
        raise BackupRefused(f"Copying {source} to {beside.parent} failed: {exc}.") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _settle(path: Path) -> None:
    """Leave one self-contained file: no WAL beside it, everything written to disk."""
    with contextlib.closing(_open(path, "rw")) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
    _fsync(path)


def _swap(temp: Path, store: Path, now: dt.datetime) -> Path | None:
    """Rename `temp` over `store`, holding the store's exclusive lock meanwhile; the store it
    replaces is kept beside it. Refused while another connection has the store open."""
    with _os_errors(f"Writing {store}"):
        _settle(temp)
        if not store.exists() or store.stat().st_size == 0:
            os.replace(temp, store)
            _fsync(store.parent)
            return None
        return _swap_held(temp, store, now)


def _swap_held(temp: Path, store: Path, now: dt.datetime) -> Path:
    with contextlib.closing(_open(store, "rw", timeout=0)) as holder:
        try:
            # Leaving WAL mode needs every other connection closed; then hold the lock.
            holder.execute("PRAGMA journal_mode = DELETE")
            holder.execute("BEGIN EXCLUSIVE")
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) in _BUSY:
                raise BackupRefused(
                    f"{store} is in use (a running fanbot has it open). Stop fanbot, then "
                    "restore again."
                ) from None
            # Otherwise it cannot be read as a database, so nothing can be using it: it is
            # kept aside like any store replaced.
        kept = _keep_aside(store, now)
        os.replace(temp, store)
        _fsync(store.parent)
    return kept


def _keep_aside(store: Path, now: dt.datetime) -> Path:
    """Keep the store about to be replaced as STORE.before-restore-<UTC time>."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept, n = store.with_name(f"{store.name}.before-restore-{stamp}"), 1
    while kept.exists():
        n += 1
        kept = store.with_name(f"{store.name}.before-restore-{stamp}-{n}")
    try:
        os.link(store, kept)  # the same file under a second name: instant, nothing copied
    except OSError:
        shutil.copy2(store, kept)
    for suffix in _SIDE_FILES:  # left by a crash: they belong to the old file, not the new
        side = Path(f"{store}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{kept}{suffix}"))
    return kept


@contextlib.contextmanager
def _os_errors(doing: str) -> Iterator[None]:
    """A full disk, a missing folder or a permission as one sentence, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise BackupRefused(f"{doing} failed: {exc.strerror or exc}.") from None


def _refuse_same_file(a: Path, b: Path, what: str) -> None:
    if b.exists() and a.exists() and os.path.samefile(a, b):
        raise BackupRefused(f"{a} and {b} are the same file: cannot {what}.")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
