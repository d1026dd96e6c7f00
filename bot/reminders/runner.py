"""Posting the day's digests exactly once: the ledger decides, the clock is injected.

`tick()` posts every digest whose time has come (within the grace period) and that the
subscription owes. It is safe to call at any moment, any number of times, from any number of
processes on one store: each (subscription, local date) is *claimed* in the store before a page
is sent, so a second tick, job or process finds it taken; each page is recorded the moment the
platform accepted it, and a retry resumes at the first page not recorded. A page whose answer
was lost (Telegram) is recorded as unknown, never blindly resent. A ledger write that fails
(the store locked past its busy timeout) is retried, and kept in memory meanwhile, so a page
the platform accepted is never sent again by this process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import sqlite3
import uuid
from collections import Counter
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
from bot.reminders.digest import DayItems, day_items, digest, localized_digest
from bot.reminders.notify import (
    ChatGone,
    DeliveryFailed,
    DeliveryUncertain,
    Notifier,
    ServesSomeChats,
)
from bot.reminders.timing import due_at
from bot.replies import Reply
from storage.store import Store
from storage.subscriptions import Claim, PageRecord, Subscription

log = logging.getLogger(__name__)

DEFAULT_GRACE = dt.timedelta(hours=6)
ATTEMPTS = 3  # per page and tick; a post that still fails is resumed at the next tick
IN_FLIGHT = 32  # posts on their way at once
# A claim outlives its process by at most this long; renewed with every page recorded.
LEASE = dt.timedelta(minutes=10)
LEDGER_ATTEMPTS = 8  # a ledger write retried with backoff (about a minute) before kept in memory


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
        lease: dt.timedelta = LEASE,
        language: str = "en",
    ):
        self.store = store
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.grace = grace
        self.sleep = sleep
        self.lease = lease
        self.language = language  # FANBOT_LANGUAGE: digests of chats that chose none
        # Names this runner's claims in the store: another process (or a restart) is another.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.counts: Counter[str] = Counter()  # delivered, unknown pages, retried, ...
        self._skipped_logged: set[tuple[int, dt.date]] = set()
        self._lock = asyncio.Lock()
        # Pages the platform accepted whose ledger write failed: (claim, record, last).
        self._unsaved: list[tuple[Claim, PageRecord, bool]] = []

    async def tick(self) -> int:
        """Post what is due now, several chats at a time; returns how many were completed.

        Ticks in one process run one after another; across processes the claims decide. The
        notifiers keep each platform's pace (Telegram's limiter, discord.py's buckets).
        """
        async with self._lock:
            if not await self._save_unsaved():
                return 0  # the store still refuses writes: send nothing new until it takes them
            gate = asyncio.Semaphore(IN_FLIGHT)

            async def post(sub: Subscription, day: dt.date, reply: Reply) -> bool:
                async with gate:
                    return await self._deliver(sub, day, reply)

            posts = await self.due_posts()
            before = self.counts.copy()
            completed = sum(await asyncio.gather(*(post(*p) for p in posts)))
            if posts:
                self._log_tick(len(posts), completed, self.counts - before)
            return completed

    def _log_tick(self, due: int, completed: int, pages: Counter[str]) -> None:
        """One line per tick that had posts due: both page outcomes counted, and since start."""
        log.info(
            "reminders: %s post(s) due, %s completed here; pages %s accepted, %s unknown,"
            " %s failed (since start: %s accepted, %s unknown)",
            due,
            completed,
            pages["accepted"],
            pages["unknown"],
            pages["failed"],
            self.counts["accepted"],
            self.counts["unknown"],
        )
        if pages["busy"]:
            log.warning(
                "reminders: the store stayed locked past its busy timeout; %s post(s) could not"
                " be claimed and go at the next tick",
                pages["busy"],
            )

    def _owed_days(self, sub: Subscription, now: dt.datetime) -> list[dt.date]:
        """The local days whose post is due by now, within the grace, and owed by `sub`."""
        zone = ZoneInfo(sub.zone)
        today = now.astimezone(zone).date()
        back = self.grace.days + 2  # enough local days to cover the grace, whatever the zone
        days = []
        for ago in range(back, -1, -1):
            day = today - dt.timedelta(days=ago)
            when = due_at(day, sub.at, zone)
            if when > now:
                continue
            if sub.owed_from is not None and when <= sub.owed_from:
                continue  # due before the subscription existed (or changed): not owed
            if now - when > self.grace:
                self._log_skipped(sub, day, when)
                continue
            days.append(day)
        return days

    async def due_posts(self) -> list[tuple[Subscription, dt.date, Reply]]:
        """Every post whose time has come (within the grace period), not yet delivered."""
        now = self.clock.now()
        due: list[tuple[Subscription, dt.date]] = []
        for sub in await self.store.subscriptions.active():
            if sub.platform not in self.notifiers:
                continue  # that platform is not running in this process
            due.extend((sub, day) for day in self._owed_days(sub, now))
        ledger: dict[dt.date, set[int]] = {}
        for day in {day for _, day in due}:
            ledger[day] = await self.store.subscriptions.delivered_on(day)
        due = self._served([(sub, day) for sub, day in due if sub.id not in ledger[day]], now)
        followed = await expand_all(self.store, {sub.subject_ids for sub, _ in due})
        days: dict[dt.date, DayItems] = {}
        replies: dict[tuple, Reply | None] = {}
        posts = []
        for sub, day in due:
            if day not in days:
                days[day] = await day_items(self.store.facts, day)
            language = sub.language or self.language
            key = (day, sub.subject_ids, sub.zone, language)
            if key not in replies:  # subscriptions that follow the same share one digest
                replies[key] = await localized_digest(
                    self.store, days[day], followed[sub.subject_ids], sub.zone, language
                )
            reply = replies[key]
            if reply is not None:  # nothing falls on this day for this chat: no post
                posts.append((sub, day, reply))
        return posts

    def _served(
        self, due: list[tuple[Subscription, dt.date]], now: dt.datetime
    ) -> list[tuple[Subscription, dt.date]]:
        """The posts this process sends: a notifier serving some chats only (Discord shards)
        leaves the rest, unclaimed, to the process that serves them."""
        chats: dict[str, set[str]] = {}
        for sub, _ in due:
            chats.setdefault(sub.platform, set()).add(sub.chat_id)
        served = {
            platform: notifier.serves(chats.get(platform, set()), now)
            for platform, notifier in self.notifiers.items()
            if isinstance(notifier, ServesSomeChats)
        }
        return [
            (sub, day)
            for sub, day in due
            if sub.platform not in served or sub.chat_id in served[sub.platform]
        ]

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

    async def _ledger(self, write: Callable[[], Awaitable[object]]) -> bool:
        """Run a ledger write, retrying while the store is locked; False if it never took."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(LEDGER_ATTEMPTS),
                wait=wait_exponential(multiplier=0.5, max=15),
                retry=retry_if_exception_type(sqlite3.OperationalError),
                sleep=self.sleep,
                reraise=True,
            ):
                with attempt:
                    await write()
        except sqlite3.OperationalError as exc:
            log.error("the delivery ledger could not be written (%s); kept in memory", exc)
            return False
        return True

    async def _save_unsaved(self) -> bool:
        """Write the page records an earlier tick could not; True once none is left."""
        while self._unsaved:
            claim, record, last = self._unsaved[0]
            saved = await self._ledger(
                lambda c=claim, r=record, lst=last: self.store.subscriptions.record_page(
                    c, r, self.clock.now(), self.lease, last=lst
                )
            )
            if not saved:
                return False
            self._unsaved.pop(0)
            if last:
                self.counts["delivered"] += 1
        return True

    async def _send_page(self, notifier: Notifier, chat_id: str, page: object, key: str):
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_exponential(multiplier=1, max=30),
            retry=retry_if_exception_type(DeliveryFailed) & retry_if_not_exception_type(ChatGone),
            sleep=self.sleep,
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.counts["retried"] += 1
                return await notifier.send_page(chat_id, page, key)
        raise AssertionError("unreachable")

    async def _deliver(self, sub: Subscription, day: dt.date, reply: Reply) -> bool:
        subs = self.store.subscriptions
        try:
            claim = await subs.claim(sub.id, day, self.owner, self.clock.now(), self.lease)
        except sqlite3.OperationalError:  # locked past the busy timeout: nothing was sent
            self.counts["busy"] += 1  # said once per tick, not once per chat
            return False
        if claim is None:
            return False  # delivered, or another tick or process is posting it right now
        notifier = self.notifiers[sub.platform]
        done = {r.page: r for r in claim.pages}
        target = claim.pages[-1].chat_id if claim.pages else sub.chat_id
        pages = notifier.pages(reply)
        for index, page in enumerate(pages):
            if index in done:
                continue  # accepted (or of unknown outcome) before: never sent twice
            last = index == len(pages) - 1
            try:
                delivery = await self._send_page(notifier, target, page, f"{sub.id}:{day}:{index}")
                target = delivery.chat_id
                message_id = delivery.message_ids[0] if delivery.message_ids else None
                record = PageRecord(index, "accepted", target, message_id)  # console: no id
                self.counts["accepted"] += 1
            except DeliveryUncertain as exc:
                self.counts["unknown"] += 1
                log.warning(
                    "subscription %s: page %s of the post for %s may or may not have arrived"
                    " (%s); recorded as unknown, not sent again",
                    sub.id,
                    index + 1,
                    day,
                    exc,
                )
                record = PageRecord(index, "unknown", target)
            except ChatGone as exc:
                # The notifier marked the chat inactive: no post goes there until the bot is
                # back (added again, or a command used there); then the subscription resumes.
                log.warning(
                    "subscription %s: the chat is gone (%s); paused until it is back", sub.id, exc
                )
                await self._ledger(lambda: subs.release(claim))
                return False
            except DeliveryFailed as exc:
                self.counts["failed"] += 1
                log.warning(
                    "subscription %s: page %s of the post for %s failed (%s); will resume there",
                    sub.id,
                    index + 1,
                    day,
                    exc,
                )
                await self._ledger(lambda: subs.release(claim))
                return False
            saved = await self._ledger(
                lambda r=record, lst=last: subs.record_page(
                    claim, r, self.clock.now(), self.lease, last=lst
                )
            )
            if not saved:
                # Never resend what the platform took: keep it, and keep the claim (its lease
                # holds off other processes) until the store takes the write.
                self._unsaved.append((claim, record, last))
                return False
        self.counts["delivered"] += 1
        log.info(
            "subscription %s: posted the digest for %s to %s %s (%s page(s))",
            sub.id,
            day,
            sub.platform,
            target,
            len(pages),
        )
        return True

    async def preview(self, on: dt.date, subject_ids: tuple[int, ...], zone: str):
        """What a subscription would post on a date (None: nothing falls on it)."""
        items = await day_items(self.store.facts, on)
        return digest(items, await expand(self.store, subject_ids), zone_label(zone))
