"""The chats fanbot posts to: created on first use, followed when they move, retired when gone."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from storage.backend import Database
from storage.dialect import sql_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatRecord:
    id: int
    platform: str
    chat_id: str
    kind: str
    title: str | None
    active: bool
    inactive_reason: str | None = None
    language: str | None = None  # the chat's choice (/language); None: each person's own


def _record(row) -> ChatRecord:
    return ChatRecord(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        title=row["title"],
        active=bool(row["active"]),
        inactive_reason=row["inactive_reason"],
        language=row["language"],
    )


class ChatStore:
    def __init__(self, db: Database):
        self.db = db
        self._now = sql_for(db).now_utc  # the engine's "now, UTC" for updated_at

    async def get(self, platform: str, chat_id: str) -> ChatRecord | None:
        row = await self.db.fetchone(
            "SELECT * FROM chats WHERE platform = ? AND chat_id = ?", (platform, chat_id)
        )
        return _record(row) if row else None

    async def by_id(self, chat_ref: int) -> ChatRecord | None:
        row = await self.db.fetchone("SELECT * FROM chats WHERE id = ?", (chat_ref,))
        return _record(row) if row else None

    async def ensure(
        self, platform: str, chat_id: str, kind: str = "group", title: str | None = None
    ) -> ChatRecord:
        """The chat's row, created if new; using a chat again makes it active again."""
        async with self.db.transaction() as ex:
            await ex.execute(
                "INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(platform, chat_id) DO UPDATE SET kind = excluded.kind,"
                " title = coalesce(excluded.title, chats.title), active = 1,"
                f" inactive_reason = NULL, updated_at = {self._now}",
                (platform, chat_id, kind, title),
            )
        record = await self.get(platform, chat_id)
        assert record is not None
        return record

    async def moved(self, platform: str, old_id: str, new_id: str) -> None:
        """A chat changed id (Telegram group -> supergroup): everything tied to it follows."""
        async with self.db.transaction() as ex:
            if await ex.fetchone(
                "SELECT id FROM chats WHERE platform = ? AND chat_id = ?", (platform, new_id)
            ):
                log.warning(
                    "%s chat %s moved to %s, which is already known", platform, old_id, new_id
                )
                return
            await ex.execute(
                f"UPDATE chats SET chat_id = ?, updated_at = {self._now}"
                " WHERE platform = ? AND chat_id = ?",
                (new_id, platform, old_id),
            )
        log.info("%s chat %s is now %s", platform, old_id, new_id)

    async def gone(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot was removed, blocked or forbidden there: stop posting, keep the record."""
        async with self.db.transaction() as ex:
            await ex.execute(
                "UPDATE chats SET active = 0, inactive_reason = ?,"
                f" updated_at = {self._now}"
                " WHERE platform = ? AND chat_id = ?",
                (reason, platform, chat_id),
            )
        log.info("%s chat %s is inactive: %s", platform, chat_id, reason)

    async def set_language(
        self, platform: str, chat_id: str, language: str | None, kind: str, title: str | None
    ) -> ChatRecord:
        """Set (or with None clear) the chat's language, creating its row if it is new."""
        async with self.db.transaction() as ex:
            await ex.execute(
                "INSERT INTO chats(platform, chat_id, kind, title, language) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(platform, chat_id) DO UPDATE SET language = excluded.language,"
                f" updated_at = {self._now}",
                (platform, chat_id, kind, title, language),
            )
        record = await self.get(platform, chat_id)
        assert record is not None
        return record

    async def languages(self) -> dict[tuple[str, str], str]:
        """Every chat's chosen language, by (platform, chat_id): chats that chose one are few."""
        rows = await self.db.fetchall(
            "SELECT platform, chat_id, language FROM chats WHERE language IS NOT NULL"
        )
        return {(r["platform"], r["chat_id"]): r["language"] for r in rows}
