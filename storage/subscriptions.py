"""Reminder subscriptions and the delivery ledger (exactly-once daily posts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

from storage.backend import Database
from storage.dialect import sql_for

_SELECT = """
SELECT s.id, s.at_time, s.zone, s.subjects, s.active, s.created_by, s.owed_from,
       coalesce(s.inactive_reason, CASE WHEN c.active = 0 THEN c.inactive_reason END)
         AS inactive_reason,
       c.platform, c.chat_id, c.title, c.active AS chat_active, c.language
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
    # Days due before this instant are not owed: it was made (or last changed) then.
    owed_from: dt.datetime | None = None
    language: str | None = None  # the chat's choice (/language); None: FANBOT_LANGUAGE


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _stamp(at: dt.datetime) -> str:
    """UTC, to the microsecond, in a form that sorts as text (leases compare in SQL)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        owed_from=_instant(row["owed_from"]),
        language=row["language"],
    )


@dataclass(frozen=True)
class PageRecord:
    """What the platform said of one page of a post: accepted (with its id) or unknown."""

    page: int
    outcome: str  # "accepted" | "unknown"
    chat_id: str
    message_id: str | None = None


@dataclass(frozen=True)
class Claim:
    """This process holds (subscription, local date) until `lease_until`; pages already done."""

    subscription_id: int
    local_date: dt.date
    owner: str
    pages: tuple[PageRecord, ...] = ()


class SubscriptionStore:
    def __init__(self, db: Database):
        self.db = db
        sql = sql_for(db)
        self._now = sql.now_utc
        # The message ids of a post's pages, in page order, as a JSON array (closing a claim).
        self._message_ids = sql.ordered_json_array(
            "message_id",
            "page",
            "FROM delivery_pages WHERE subscription_id = ? AND local_date = ?"
            " AND message_id IS NOT NULL",
        )
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
        now: dt.datetime,
    ) -> Subscription:
        """Subscribe a chat, or change its subscription (one per chat); active again.

        It owes the days whose post falls due from `now` on: a chat told "Next: tomorrow" does
        not also get today's post from a restart's catch-up.
        """
        async with self.db.transaction() as ex:
            await ex.execute(
                "INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(platform, chat_id) DO UPDATE SET active = 1, inactive_reason = NULL,"
                " title = coalesce(excluded.title, chats.title)",
                (platform, chat_id, kind, title),
            )
            await ex.execute(
                "INSERT INTO subscriptions(chat_ref, at_time, zone, subjects, created_by,"
                " owed_from) SELECT id, ?, ?, ?, ?, ? FROM chats WHERE platform = ? AND chat_id = ?"
                " ON CONFLICT(chat_ref) DO UPDATE SET at_time = excluded.at_time,"
                " zone = excluded.zone, subjects = excluded.subjects, active = 1,"
                " inactive_reason = NULL, created_by = excluded.created_by,"
                " owed_from = excluded.owed_from,"
                f" updated_at = {self._now}",
                (
                    at.strftime("%H:%M"),
                    zone,
                    json.dumps(list(subject_ids)),
                    created_by,
                    _stamp(now),
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
        async with self.db.transaction() as ex:
            removed = await ex.execute(
                "DELETE FROM subscriptions WHERE chat_ref ="
                " (SELECT id FROM chats WHERE platform = ? AND chat_id = ?)",
                (platform, chat_id),
            )
        self._changed()
        return removed > 0

    async def active(self) -> list[Subscription]:
        """Every subscription that posts: its own flag and its chat's both active."""
        rows = await self.db.fetchall(
            _SELECT + " WHERE s.active = 1 AND c.active = 1 ORDER BY s.id"
        )
        return [_subscription(r) for r in rows]

    async def delivered_on(self, local_date: dt.date) -> set[int]:
        """Subscriptions whose post for this local date is delivered (final)."""
        rows = await self.db.fetchall(
            "SELECT subscription_id FROM deliveries WHERE local_date = ? AND state = 'delivered'",
            (local_date.isoformat(),),
        )
        return {r[0] for r in rows}

    async def claim(
        self,
        subscription_id: int,
        local_date: dt.date,
        owner: str,
        now: dt.datetime,
        lease: dt.timedelta,
    ) -> Claim | None:
        """Take (subscription, local date) before anything is sent; None if it is not ours.

        One row per pair: a second tick, job or process finds it taken. A claim whose lease
        ran out (its process died) is taken over, with the pages it had recorded.
        """
        day = local_date.isoformat()
        async with self.db.transaction() as ex:
            claimed = await ex.execute(
                "INSERT INTO deliveries(subscription_id, local_date, state, claimed_by,"
                " lease_until) VALUES (?, ?, 'claimed', ?, ?)"
                " ON CONFLICT(subscription_id, local_date) DO UPDATE SET"
                " claimed_by = excluded.claimed_by, lease_until = excluded.lease_until"
                " WHERE deliveries.state = 'claimed' AND (deliveries.lease_until IS NULL"
                " OR deliveries.lease_until <= ? OR deliveries.claimed_by = excluded.claimed_by)",
                (subscription_id, day, owner, _stamp(now + lease), _stamp(now)),
            )
            if claimed == 0:
                return None
            rows = await ex.fetchall(
                "SELECT page, outcome, chat_id, message_id FROM delivery_pages"
                " WHERE subscription_id = ? AND local_date = ? ORDER BY page",
                (subscription_id, day),
            )
        pages = tuple(PageRecord(r[0], r[1], r[2], r[3]) for r in rows)
        return Claim(subscription_id, local_date, owner, pages)

    async def record_page(
        self,
        claim: Claim,
        record: PageRecord,
        now: dt.datetime,
        lease: dt.timedelta,
        *,
        last: bool,
    ) -> None:
        """Write what the platform said of one page; the last one closes the claim.

        Also renews the lease, so a long post keeps its claim while it is being sent.
        """
        day = claim.local_date.isoformat()
        async with self.db.transaction() as ex:
            await ex.execute(
                "INSERT INTO delivery_pages(subscription_id, local_date, page,"
                " outcome, chat_id, message_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (
                    claim.subscription_id,
                    day,
                    record.page,
                    record.outcome,
                    record.chat_id,
                    record.message_id,
                    _stamp(now),
                ),
            )
            if last:
                await ex.execute(
                    "UPDATE deliveries SET state = 'delivered', claimed_by = NULL,"
                    f" lease_until = NULL, delivered_at = ?, chat_id = ?, message_ids ="
                    f" {self._message_ids} WHERE subscription_id = ? AND local_date = ?",
                    (
                        _stamp(now),
                        record.chat_id,
                        claim.subscription_id,
                        day,
                        claim.subscription_id,
                        day,
                    ),
                )
            else:
                await ex.execute(
                    "UPDATE deliveries SET lease_until = ? WHERE subscription_id = ?"
                    " AND local_date = ? AND claimed_by = ? AND state = 'claimed'",
                    (_stamp(now + lease), claim.subscription_id, day, claim.owner),
                )

    async def release(self, claim: Claim) -> None:
        """Give a claim back (the post failed for now): the next tick may resume it."""
        async with self.db.transaction() as ex:
            await ex.execute(
                "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL"
                " WHERE subscription_id = ? AND local_date = ? AND claimed_by = ?"
                " AND state = 'claimed'",
                (claim.subscription_id, claim.local_date.isoformat(), claim.owner),
            )

    async def ledger(self) -> list[tuple[int, str]]:
        """(subscription id, local date) of every post delivered, oldest first."""
        rows = await self.db.fetchall(
            "SELECT subscription_id, local_date FROM deliveries WHERE state = 'delivered'"
            " ORDER BY local_date, subscription_id"
        )
        return [(r[0], r[1]) for r in rows]

    async def pages_on(self, local_date: dt.date) -> dict[int, tuple[PageRecord, ...]]:
        """What the platforms said of each page posted for this local date, per subscription."""
        rows = await self.db.fetchall(
            "SELECT subscription_id, page, outcome, chat_id, message_id FROM delivery_pages"
            " WHERE local_date = ? ORDER BY subscription_id, page",
            (local_date.isoformat(),),
        )
        out: dict[int, list[PageRecord]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(PageRecord(r[1], r[2], r[3], r[4]))
        return {sid: tuple(pages) for sid, pages in out.items()}
