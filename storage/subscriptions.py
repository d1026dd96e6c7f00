"""Reminder subscriptions and the delivery ledger (exactly-once daily posts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from storage.db import Database

_SELECT = """
SELECT s.id, s.at_time, s.zone, s.subjects, s.active, s.created_by,
       coalesce(s.inactive_reason, CASE WHEN c.active = 0 THEN c.inactive_reason END)
         AS inactive_reason,
       c.platform, c.chat_id, c.title, c.active AS chat_active
FROM subscriptions s JOIN chats c ON c.id = s.chat_ref
"""


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    chat_id: str
    at: dt.time
    zone: str
    subject_ids: tuple[int, ...]  # empty: every subject
    active: bool
    created_by: str
    chat_title: str | None = None
    inactive_reason: str | None = None


def _subscription(row) -> Subscription:
    hour, minute = (int(x) for x in row["at_time"].split(":"))
    return Subscription(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        at=dt.time(hour, minute),
        zone=row["zone"],
        subject_ids=tuple(json.loads(row["subjects"])),
        active=bool(row["active"]) and bool(row["chat_active"]),
        created_by=row["created_by"],
        chat_title=row["title"],
        inactive_reason=row["inactive_reason"],
    )


class SubscriptionStore:
    def __init__(self, db: Database):
        self.db = db
        # Called after a subscription was added, changed or stopped (the scheduler listens).
        self.listeners: list[Callable[[], None]] = []

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    async def put(
        self,
        platform: str,
        chat_id: str,
        kind: str,
        title: str | None,
        at: dt.time,
        zone: str,
        subject_ids: tuple[int, ...],
        created_by: str,
    ) -> Subscription:
        """Subscribe a chat, or change its subscription (one per chat); active again."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(platform, chat_id) DO UPDATE SET active = 1, inactive_reason = NULL,"
                " title = coalesce(excluded.title, chats.title)",
                (platform, chat_id, kind, title),
            )
            await conn.execute(
                "INSERT INTO subscriptions(chat_ref, at_time, zone, subjects, created_by)"
                " SELECT id, ?, ?, ?, ? FROM chats WHERE platform = ? AND chat_id = ?"
                " ON CONFLICT(chat_ref) DO UPDATE SET at_time = excluded.at_time,"
                " zone = excluded.zone, subjects = excluded.subjects, active = 1,"
                " inactive_reason = NULL, created_by = excluded.created_by,"
                " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                (
                    at.strftime("%H:%M"),
                    zone,
                    json.dumps(list(subject_ids)),
                    created_by,
                    platform,
                    chat_id,
                ),
            )
        found = await self.for_chat(platform, chat_id)
        assert found is not None
        self._changed()
        return found

    async def for_chat(self, platform: str, chat_id: str) -> Subscription | None:
        row = await self.db.fetchone(
            _SELECT + " WHERE c.platform = ? AND c.chat_id = ?", (platform, chat_id)
        )
        return _subscription(row) if row else None

    async def get(self, subscription_id: int) -> Subscription | None:
        row = await self.db.fetchone(_SELECT + " WHERE s.id = ?", (subscription_id,))
        return _subscription(row) if row else None

    async def remove(self, platform: str, chat_id: str) -> bool:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM subscriptions WHERE chat_ref ="
                " (SELECT id FROM chats WHERE platform = ? AND chat_id = ?)",
                (platform, chat_id),
            )
            removed = cur.rowcount > 0
        self._changed()
        return removed

    async def active(self) -> list[Subscription]:
        """Every subscription that posts: its own flag and its chat's both active."""
        rows = await self.db.fetchall(
            _SELECT + " WHERE s.active = 1 AND c.active = 1 ORDER BY s.id"
        )
        return [_subscription(r) for r in rows]

    async def delivered_on(self, local_date: dt.date) -> set[int]:
        """Subscriptions whose post for this local date is already in the ledger."""
        rows = await self.db.fetchall(
            "SELECT subscription_id FROM deliveries WHERE local_date = ?",
            (local_date.isoformat(),),
        )
        return {r[0] for r in rows}

    async def record(
        self,
        subscription_id: int,
        local_date: dt.date,
        chat_id: str,
        message_ids: tuple[str, ...],
        at: dt.datetime,
    ) -> bool:
        """Write the ledger row after the platform accepted; False if it was already there."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT OR IGNORE INTO deliveries(subscription_id, local_date, delivered_at,"
                " chat_id, message_ids) VALUES (?, ?, ?, ?, ?)",
                (
                    subscription_id,
                    local_date.isoformat(),
                    at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    chat_id,
                    json.dumps(list(message_ids)),
                ),
            )
            return cur.rowcount > 0

    async def ledger(self) -> list[tuple[int, str]]:
        """(subscription id, local date) of every post delivered, oldest first."""
        rows = await self.db.fetchall(
            "SELECT subscription_id, local_date FROM deliveries"
            " ORDER BY local_date, subscription_id"
        )
        return [(r[0], r[1]) for r in rows]
