"""What the website's pages and feeds depend on, as one number: it moves when facts or names
changed, not on every commit.

A running bot commits all day (a delivery claimed, a page recorded, a chat seen); were pages'
ETags tied to any commit, visitors would be sent pages unchanged. The store's change signal
(`Database.changes()`, storage/backend.py) counts facts and names apart from chats and the
delivery ledger, so the site's version moves only when one of those two did: no query per
request, and none per commit either (the counters are read once when the file moved).
"""

from __future__ import annotations

from bot.core import Core


class SiteVersion:
    """The content version a site's ETags carry; one per site (so per process)."""

    def __init__(self, core: Core):
        self._core = core
        self._seen: tuple[int, int] | None = None
        self.value = 0

    async def current(self) -> int:
        """The version now: moves by one each time facts or names are seen to have changed."""
        self._core.watch.check()  # forget kept answers if anything was committed
        changes = self._core.store.db.changes()
        seen = (changes.facts, changes.names)
        if seen != self._seen:
            self._seen = seen
            self.value += 1
        return self.value
