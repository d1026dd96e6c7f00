"""Posting the day's digests exactly once: the ledger decides, the clock is injected.

`tick()` posts every digest whose time has come (within the grace period) and is not yet in
the ledger. It is safe to call at any moment and any number of times: APScheduler calls it at
each subscription's hour and every few minutes to catch up, and once at start for posts missed
while fanbot was down. The ledger row is written only after the platform accepted the post.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from zoneinfo import ZoneInfo

from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.clock import Clock
from bot.notify import ChatGone, DeliveryFailed, Notifier
from bot.reminders.digest import DayItems, day_items, digest
from bot.reminders.timing import due_at
from bot.replies import Reply
from storage.store import Store
from storage.subscriptions import Subscription

log = logging.getLogger(__name__)

DEFAULT_GRACE = dt.timedelta(hours=6)
ATTEMPTS = 3  # per tick; a post that still fails is tried again at the next tick
IN_FLIGHT = 32  # posts on their way at once


def zone_label(zone: str) -> str:
    return "KST (Asia/Seoul)" if zone == "Asia/Seoul" else zone


async def expand(store: Store, subject_ids: tuple[int, ...]) -> frozenset[int] | None:
    """A subscription's subjects with the members of its groups; None means every subject."""
    return (await expand_all(store, {subject_ids}))[subject_ids]


async def expand_all(
    store: Store, selections: set[tuple[int, ...]]
) -> dict[tuple[int, ...], frozenset[int] | None]:
    """`expand` for many subscriptions at once: one query for every subject they name."""
    named = sorted({sid for selection in selections for sid in selection})
    members = {s.id: {m.id for m in s.members} for s in await store.facts.subjects(named)}
    out: dict[tuple[int, ...], frozenset[int] | None] = {}
    for selection in selections:
        if not selection:
            out[selection] = None
            continue
        ids = set(selection)
        for sid in selection:
            ids.update(members.get(sid, ()))
        out[selection] = frozenset(ids)
    return out


class Reminders:
    def __init__(
        self,
        store: Store,
        notifiers: Mapping[str, Notifier],
        clock: Clock,
        *,
        grace: dt.timedelta = DEFAULT_GRACE,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ):
        self.store = store
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.grace = grace
        self.sleep = sleep
        self._skipped_logged: set[tuple[int, dt.date]] = set()

    async def tick(self) -> int:
        """Post what is due now, several chats at a time; returns how many were delivered.

        The notifiers keep each platform's pace (Telegram's limiter, discord.py's buckets).
        """
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def post(sub: Subscription, day: dt.date, reply: Reply) -> bool:
            async with gate:
                return await self._deliver(sub, day, reply)

        posts = await self.due_posts()
        return sum(await asyncio.gather(*(post(*p) for p in posts)))

    async def due_posts(self) -> list[tuple[Subscription, dt.date, Reply]]:
        """Every post whose time has come (within the grace period), not yet in the ledger."""
        now = self.clock.now()
        due: list[tuple[Subscription, dt.date]] = []
        for sub in await self.store.subscriptions.active():
            if sub.platform not in self.notifiers:
                continue  # that platform is not running in this process
            zone = ZoneInfo(sub.zone)
            today = now.astimezone(zone).date()
            for day in (today - dt.timedelta(days=1), today):
                when = due_at(day, sub.at, zone)
                if when > now:
                    continue
                if now - when > self.grace:
                    self._log_skipped(sub, day, when)
                    continue
                due.append((sub, day))
        ledger: dict[dt.date, set[int]] = {}
        for day in {day for _, day in due}:
            ledger[day] = await self.store.subscriptions.delivered_on(day)
        due = [(sub, day) for sub, day in due if sub.id not in ledger[day]]
        followed = await expand_all(self.store, {sub.subject_ids for sub, _ in due})
        days: dict[dt.date, DayItems] = {}
        replies: dict[tuple, Reply | None] = {}
        posts = []
        for sub, day in due:
            if day not in days:
                days[day] = await day_items(self.store.facts, day)
            key = (day, sub.subject_ids, sub.zone)
            if key not in replies:  # subscriptions that follow the same share one digest
                replies[key] = digest(days[day], followed[sub.subject_ids], zone_label(sub.zone))
            reply = replies[key]
            if reply is not None:  # nothing falls on this day for this chat: no post
                posts.append((sub, day, reply))
        return posts

    def _log_skipped(self, sub: Subscription, day: dt.date, when: dt.datetime) -> None:
        key = (sub.id, day)
        if key not in self._skipped_logged:
            self._skipped_logged.add(key)
            log.info(
                "subscription %s: the post for %s was due at %s, more than %s ago; skipped"
                " unless already delivered",
                sub.id,
                day,
                when.isoformat(),
                self.grace,
            )

    async def _deliver(self, sub: Subscription, day: dt.date, reply: Reply) -> bool:
        notifier = self.notifiers[sub.platform]
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(ATTEMPTS),
                wait=wait_exponential(multiplier=1, max=30),
                retry=retry_if_exception_type(DeliveryFailed)
                & retry_if_not_exception_type(ChatGone),
                sleep=self.sleep,
                reraise=True,
            ):
                with attempt:
                    delivery = await notifier.send(sub.chat_id, reply)
        except ChatGone as exc:
            # The notifier marked the chat inactive: no post goes there until the bot is back
            # (added again, or a command used there), and then the subscription simply resumes.
            log.warning(
                "subscription %s: the chat is gone (%s); paused until it is back", sub.id, exc
            )
            return False
        except DeliveryFailed as exc:
            log.warning(
                "subscription %s: the post for %s failed (%s); will retry", sub.id, day, exc
            )
            return False
        recorded = await self.store.subscriptions.record(
            sub.id, day, delivery.chat_id, delivery.message_ids, self.clock.now()
        )
        if recorded:
            log.info(
                "subscription %s: posted the digest for %s to %s %s",
                sub.id,
                day,
                sub.platform,
                delivery.chat_id,
            )
        return recorded

    async def preview(self, on: dt.date, subject_ids: tuple[int, ...], zone: str):
        """What a subscription would post on a date (None: nothing falls on it)."""
        items = await day_items(self.store.facts, on)
        return digest(items, await expand(self.store, subject_ids), zone_label(zone))
