"""Answers and lookups computed from the store, kept until the store changes.

Fans ask the same questions again and again (`/milestone V` in a busy server), and every
command asks whether its caller is an editor. One `PRAGMA data_version` per command (a few
microseconds, no trip to a database thread) tells whether anything was committed since, by
this process or another (`fanbot admin`, `fanbot import`): what is kept is never stale.
"""

from __future__ import annotations

from collections.abc import Hashable

from cachetools import LRUCache

from bot.replies import Reply
from storage.store import Store

ANSWERS_KEPT = 4096


class StoreWatch:
    def __init__(self, store: Store, *, answers_kept: int = ANSWERS_KEPT):
        self._store = store
        self._version: int | None = None
        self._local_commits = store.db.commits
        self._answers: LRUCache[Hashable, Reply] = LRUCache(maxsize=max(answers_kept, 1))
        self._keeping = answers_kept > 0
        self._editors: frozenset[tuple[str, str]] | None = None
        self.asked = 0  # answers looked up, and how many of them were kept (the hit rate)
        self.kept_hits = 0
        self._languages: dict[tuple[str, str], str] | None = None

    def check(self) -> int:
        """Forget everything kept if the store changed; returns the version seen."""
        version = self._store.db.data_version()
        if version != self._version:
            self._version = version
            self._local_commits = self._store.db.commits
            self._answers.clear()
            self._editors = None
            self._languages = None
        return version

    @property
    def version(self) -> int | None:
        return self._version

    @property
    def keeping(self) -> bool:
        """Whether answers are kept at all (FANBOT_KEEP_ANSWERS); the website asks too."""
        return self._keeping

    def answer(self, key: Hashable) -> Reply | None:
        found = self._answers.get(key)
        self.asked += 1
        self.kept_hits += found is not None
        return found

    def keep(self, key: Hashable, reply: Reply, version: int) -> None:
        """Keep an answer computed at `version`, unless the store moved on meanwhile."""
        if (
            self._keeping
            and version == self._version
            and (self._store.db.commits == self._local_commits)
        ):
            self._answers[key] = reply

    async def editors(self) -> frozenset[tuple[str, str]]:
        """Everyone who may edit, as (platform, user_id); call after `check`."""
        if self._editors is None:
            self._editors = frozenset(
                (e.platform, e.user_id) for e in await self._store.editors.all()
            )
        return self._editors

    async def chat_language(self, platform: str, chat_id: str) -> str | None:
        """The language a chat chose with /language, or None; call after `check`."""
        if self._languages is None:
            self._languages = await self._store.chats.languages()
        return self._languages.get((platform, chat_id))
