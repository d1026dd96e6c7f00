"""The change signal over LISTEN/NOTIFY: counters read without a round trip.

The migrations' triggers bump the `changes` table and NOTIFY `fanbot_changes` with the part's
name. One dedicated connection LISTENs and moves this process's counters as notifications
arrive; this process's own commits move them at once (see PostgresDatabase.transaction).
When that connection drops, notifications may have been missed: on reconnecting every counter
moves, so every cache reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import AsyncConnection

from storage.backend import Changes

log = logging.getLogger(__name__)

CHANNEL = "fanbot_changes"
PARTS = ("names", "facts", "chats")
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)  # then every 2 s until closed


class ChangeSignal:
    """This process's counters for names, facts and chats, and the task that LISTENs."""

    def __init__(self, conninfo: str, connect_kwargs: dict[str, object]) -> None:
        self._conninfo = conninfo
        self._kwargs = connect_kwargs
        self._counts = dict.fromkeys(PARTS, 0)
        self._seen = dict.fromkeys(PARTS, 0)  # the table's versions this process knows of
        self._cond = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.reconnects = 0

    def current(self) -> Changes:
        return Changes(**self._counts)

    async def start(self) -> None:
        """Read the counters and start listening; returns once LISTEN is in place."""
        self._task = asyncio.create_task(self._run(), name="fanbot-pg-listen")
        waiter = asyncio.ensure_future(self._listening.wait())
        done, _ = await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            waiter.cancel()
            self._task.result()  # raises what stopped it

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def committed(self, versions: dict[str, int]) -> None:
        """This process committed: move the counters of the parts whose version moved."""
        moved = False
        for part, version in versions.items():
            if part in self._seen and version > self._seen[part]:
                self._seen[part] = version
                self._counts[part] += 1
                moved = True
        if moved:
            await self._wake()

    async def wait_moved(self, since: Changes) -> Changes:
        """The counters once they moved past `since` (callers bound it with asyncio.timeout)."""
        async with self._cond:
            await self._cond.wait_for(lambda: bool(self.current().moved(since)))
            return self.current()

    async def _wake(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def _run(self) -> None:
        first = True
        while True:
            try:
                conn = await AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._kwargs
                )
            except psycopg.OperationalError as exc:
                if first:
                    raise
                await self._pause(exc)
                continue
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                cur = await conn.execute("SELECT part, version FROM changes")
                versions = {str(p): int(v) for p, v in await cur.fetchall()}
                if not first:
                    # Notifications may have been missed while we were away: everything moves.
                    for part in PARTS:
                        self._counts[part] += 1
                    self.reconnects += 1
                    log.info("change signal: listening again after a lost connection")
                self._seen.update(versions)
                first = False
                self._failures = 0
                self._listening.set()
                await self._wake()
                async for note in conn.notifies():
                    if note.payload in self._counts:
                        self._counts[note.payload] += 1
                        await self._wake()
            except psycopg.OperationalError as exc:
                if first:
                    raise
                await self._pause(exc)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()

    _failures = 0

    async def _pause(self, exc: BaseException) -> None:
        delay = RECONNECT_DELAYS[min(self._failures, len(RECONNECT_DELAYS) - 1)]
        self._failures += 1
        log.warning("change signal: connection lost (%s); again in %.2f s", _first_line(exc), delay)
        await asyncio.sleep(delay)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
