"""What the website's pages and feeds depend on, as one number: it moves when facts or names
changed, not on every commit.

SQLite's `data_version` moves on any commit, and a running bot commits all day (a delivery
claimed, a page recorded, a chat seen): every one made each page's ETag stale, so visitors
were sent pages unchanged. When it moves, the site reads what the pages are made of: the
names' trigger-kept counter, how many facts there are, and the newest audit entry (every
change of a fact by an admin, an import or a catalogue sync is recorded there). Only when
one of those differs does the version move. Reading them costs a few queries once per commit,
none per request.

TODO(issue 19): replace the fingerprint with `Database.changes()` (storage/backend.py),
comparing its `facts` and `names` counters, once the SQLite engine delivers them.
"""

from __future__ import annotations

import asyncio

from bot.core import Core


class SiteVersion:
    """The content version a site's ETags carry; one per site (so per process)."""

    def __init__(self, core: Core):
        self._core = core
        self._data_version: int | None = None
        self._fingerprint: tuple[int, int, int] | None = None
        self.value = 0
        self._reading = asyncio.Lock()  # one reading at a time, so versions only move forward

    async def current(self) -> int:
        """The version now: a PRAGMA when nothing was committed, three reads when something was."""
        if self._core.watch.check() == self._data_version:  # also keeps the resolver in step
            return self.value
        async with self._reading:
            data_version = self._core.watch.check()
            if data_version != self._data_version:
                store = self._core.store
                latest = await store.audit.recent(1)
                fingerprint = (
                    store.facts.names_version(),
                    await store.facts.count_facts(),
                    latest[0].id if latest else 0,
                )
                if fingerprint != self._fingerprint:
                    self._fingerprint = fingerprint
                    self.value += 1
                self._data_version = data_version
        return self.value
