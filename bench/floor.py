"""Floors that are the same work: the SQL the core ran for an answer, replayed in plain sqlite3.

`Database.trace` hands over every statement the store runs with its parameters filled in;
`record` keeps those of one call, and `replay` runs exactly them again on a plain sqlite3
connection to the same file. What a floor leaves out is then only fanbot's own work: aiosqlite's
thread trips, parsing, name resolution and building the reply.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from storage.store import Store

T = TypeVar("T")


async def record(store: Store, call: Callable[[], Awaitable[T]]) -> tuple[T, list[str]]:
    """Run `call` and return its result with the statements the store ran for it, in order."""
    statements: list[str] = []
    await store.db.trace(statements.append)
    try:
        result = await call()
    finally:
        await store.db.trace(None)
    return result, statements


def connect(path: Path) -> sqlite3.Connection:
    """A plain connection set up as the store sets up its own (autocommit, foreign keys)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = NORMAL")
    return con


def replay(con: sqlite3.Connection, statements: Sequence[str]) -> float:
    """Run the statements one after another, reading every row; seconds taken."""
    started = time.perf_counter()
    for sql in statements:
        con.execute(sql).fetchall()
    return time.perf_counter() - started
