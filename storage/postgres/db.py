"""PostgresDatabase: storage.backend.Database on PostgreSQL (psycopg 3 and psycopg_pool).

Prepared statements are off (prepare_threshold=None) so it works behind PgBouncer in
transaction mode. Reads outside a transaction run in autocommit on a pooled connection; a
transaction is BEGIN ... COMMIT on one pooled connection, ROLLBACK on any error. The pool
checks a connection before lending it, so a restarted server is reconnected to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from storage.backend import Changes, Dialect, Row
from storage.errors import StoreError, StoreWriteFailed
from storage.postgres.changes import ChangeSignal
from storage.postgres.migrate import migrate
from storage.postgres.sql import pg_rows, translate

OPEN_BUDGET_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 5
_CONNECT: dict[str, Any] = {"prepare_threshold": None, "connect_timeout": CONNECT_TIMEOUT_SECONDS}


def describe(url: str) -> str:
    """host:port/db of a URL, never its password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the PostgreSQL URL"
    host = info.get("host") or "localhost"
    port = info.get("port") or "5432"
    return f"PostgreSQL {host}:{port}/{info.get('dbname') or info.get('user') or '?'}"


def _reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[-1:]) or type(exc).__name__


class PgExecutor:
    """The Executor over one psycopg connection: `?` SQL, PgRow results."""

    dialect: Dialect = "postgres"

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(translate(sql), tuple(params))
        return cur.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._conn.cursor() as cur:
            await cur.executemany(translate(sql), [tuple(r) for r in rows])

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = await self._conn.execute(translate(sql), tuple(params))
        return await cur.fetchall()

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = await self._conn.execute(translate(sql), tuple(params))
        return await cur.fetchone()


class PostgresDatabase:
    """One PostgreSQL database: a connection pool, its migrations and the change signal."""

    dialect: Dialect = "postgres"

    def __init__(self, url: str, pool: AsyncConnectionPool, signal: ChangeSignal) -> None:
        self.url = url
        self.where = describe(url)
        self._pool = pool
        self._signal = signal
        self.commits = 0
        self.write_failures = 0

    @classmethod
    async def open(
        cls, url: str, *, budget_seconds: float = OPEN_BUDGET_SECONDS, max_size: int = 10
    ) -> PostgresDatabase:
        """Connect (retrying with backoff while the server is not up), migrate, listen.

        After the retry budget, one StoreError line naming host/db and the reason.
        """
        where = describe(url)
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(psycopg.OperationalError),
                wait=wait_exponential(multiplier=0.05, max=2.0),
                stop=stop_after_delay(budget_seconds),
                reraise=True,
            ):
                with attempt:
                    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, **_CONNECT)
        except psycopg.Error as exc:
            raise StoreError(f"{where}: cannot connect: {_reason(exc)}") from None
        try:
            await migrate(conn, where)
        except psycopg.Error as exc:
            raise StoreError(f"{where}: cannot migrate: {_reason(exc)}") from None
        finally:
            await conn.close()
        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True, "row_factory": pg_rows, **_CONNECT},
            check=AsyncConnectionPool.check_connection,
            open=False,
        )
        signal = ChangeSignal(url, dict(_CONNECT))
        try:
            await pool.open(wait=True, timeout=budget_seconds)
            await signal.start()
        except (psycopg.Error, Exception) as exc:
            await pool.close()
            await signal.close()
            raise StoreError(f"{where}: cannot open: {_reason(exc)}") from None
        return cls(url, pool, signal)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgExecutor]:
        """All of it commits, or none of it. A connection lost mid-write is rolled back by the
        server; it is raised as StoreWriteFailed."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield PgExecutor(conn)
                cur = await conn.execute("SELECT part, version FROM changes")
                versions = {str(p): int(v) for p, v in await cur.fetchall()}
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.write_failures += 1
            raise StoreWriteFailed(
                f"{self.where}: the connection was lost ({_reason(exc)}); the change was not made",
                "the database connection was lost",
            ) from exc
        self.commits += 1
        await self._signal.committed(versions)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            return await PgExecutor(conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._pool.connection() as conn:
            return await PgExecutor(conn).fetchone(sql, params)

    def changes(self) -> Changes:
        return self._signal.current()

    async def changed(self, since: Changes) -> Changes:
        """Wait until the counters moved past `since` (for tests and caches that wait)."""
        return await self._signal.wait_moved(since)

    async def close(self) -> None:
        await self._signal.close()
        await self._pool.close()
