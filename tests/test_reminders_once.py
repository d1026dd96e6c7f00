"""One post a day, really: shared minutes, concurrent ticks and runners, pages that fail
midway, answers lost after sending, a ledger that cannot be written, grace past a day,
subscriptions made after their hour, and statuses seen "as of" a day never celebrated.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from collections import Counter

import pytest

from bot.clock import FixedClock
from bot.reminders.notify import Delivery, DeliveryFailed, DeliveryUncertain
from bot.reminders.runner import Reminders
from bot.replies import Reply
from storage.db import Database
from storage.store import Store

NINE_KST = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)  # Love wins all, 1 year


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)  # let other ticks run, as a real wait would


class Pages:
    """A platform at the Notifier boundary: each post is `n` pages; failures on request."""

    platform = "sim"

    def __init__(self, n: int = 3) -> None:
        self.n = n
        self.sent: Counter[tuple[str, str]] = Counter()  # (chat, page key) -> times shown
        self.fail: set[str] = set()  # page keys refused once
        self.lost: set[str] = set()  # page keys delivered whose answer is lost once

    def pages(self, reply: Reply) -> list[str]:
        return [f"{reply.title} ({i + 1}/{self.n})" for i in range(self.n)]

    async def send_page(self, chat_id: str, page: str, key: str) -> Delivery:
        await asyncio.sleep(0)
        if key in self.fail:
            self.fail.discard(key)
            raise DeliveryFailed("a bad minute")
        self.sent[(chat_id, key)] += 1
        if key in self.lost:
            self.lost.discard(key)
            raise DeliveryUncertain("timed out after sending")
        return Delivery(chat_id=chat_id, message_ids=(f"{chat_id}-{key}",))


class LocksAfterAccepting(Pages):
    """Takes the store's write lock (`fanbot import`) right after the first page is accepted."""

    def __init__(self, holder: sqlite3.Connection, n: int) -> None:
        super().__init__(n)
        self.holder = holder

    async def send_page(self, chat_id: str, page: str, key: str) -> Delivery:
        delivery = await super().send_page(chat_id, page, key)
        if sum(self.sent.values()) == 1:
            self.holder.execute("BEGIN EXCLUSIVE")
        return delivery


async def _subscribe(store: Store, n: int, now: dt.datetime) -> list[int]:
    ids = []
    for i in range(n):
        sub = await store.subscriptions.put(
            "sim", f"chat-{i}", "group", None, dt.time(9, 0), "Asia/Seoul", (), "sim:a", now
        )
        ids.append(sub.id)
    return ids


async def test_many_chats_at_one_minute_with_concurrent_ticks_and_runners(store: Store) -> None:
    await _subscribe(store, 100, NINE_KST - dt.timedelta(days=1))
    clock = FixedClock(NINE_KST)
    platform = Pages()
    for i in range(0, 100, 7):  # some pages refused midway, some answers lost
        platform.fail.add(f"{i + 1}:2025-01-24:1")
        platform.lost.add(f"{i + 3}:2025-01-24:2")
    runners = [Reminders(store, {"sim": platform}, clock, sleep=no_sleep) for _ in range(3)]
    # Three "processes", each ticking three times at once, then again (resuming what failed).
    await asyncio.gather(*(r.tick() for r in runners for _ in range(3)))
    await asyncio.gather(*(r.tick() for r in runners))
    assert all(times == 1 for times in platform.sent.values())  # no page twice, ever
    chats = {chat for chat, _ in platform.sent}
    assert len(chats) == 100
    assert len(platform.sent) == 300  # every page of every post, once
    assert len(await store.subscriptions.ledger()) == 100
    lost = [i for i in range(0, 100, 7) if i + 3 <= 100]  # subscription ids are 1..100
    assert sum(r.counts["unknown"] for r in runners) == len(lost)


async def test_a_retry_resumes_at_the_first_page_not_accepted(store: Store) -> None:
    [sid] = await _subscribe(store, 1, NINE_KST - dt.timedelta(days=1))
    clock = FixedClock(NINE_KST)
    platform = Pages(4)
    platform.fail.update({f"{sid}:2025-01-24:2"})
    reminders = Reminders(store, {"sim": platform}, clock, sleep=no_sleep)
    # Three attempts per tick: the page fails once, then goes through on the retry.
    assert await reminders.tick() == 1
    assert [k for _, k in platform.sent] == [f"{sid}:2025-01-24:{i}" for i in range(4)]

    class Down(Pages):
        async def send_page(self, chat_id: str, page: str, key: str) -> Delivery:
            if key.endswith(":2"):
                raise DeliveryFailed("down")
            return await super().send_page(chat_id, page, key)

    down = Down(4)
    clock.set(NINE_KST + dt.timedelta(days=4))  # 28 January: the Instagram record
    assert await Reminders(store, {"sim": down}, clock, sleep=no_sleep).tick() == 0
    assert sorted(k for _, k in down.sent) == [f"{sid}:2025-01-28:0", f"{sid}:2025-01-28:1"]
    up = Pages(4)
    assert await Reminders(store, {"sim": up}, clock, sleep=no_sleep).tick() == 1
    assert sorted(k for _, k in up.sent) == [f"{sid}:2025-01-28:2", f"{sid}:2025-01-28:3"]


async def test_a_ledger_locked_past_the_busy_timeout_never_repeats_a_post(
    store: Store, db_path
) -> None:
    await _subscribe(store, 1, NINE_KST - dt.timedelta(days=1))
    clock = FixedClock(NINE_KST)
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    platform = LocksAfterAccepting(holder, 2)
    slept: list[float] = []

    async def pause(seconds: float) -> None:
        slept.append(seconds)

    # A second opening of the same file, as `fanbot run` is beside `fanbot import`; its
    # statements give up after 50 ms instead of 5 s, so the test reaches "database is locked".
    async with Store(await Database.open(db_path, busy_timeout_ms=50)) as running:
        reminders = Reminders(running, {"sim": platform}, clock, sleep=pause)
        started = time.monotonic()
        try:
            assert await reminders.tick() == 0  # the page went out; its record was refused
            assert time.monotonic() - started < 20  # 8 tries of 50 ms, not of 5 s
            # Eight tries: with 5 s busy timeouts, about a minute and a half in all.
            assert len(slept) == 7 and 40 < sum(slept) + 8 * 5 < 100
            assert await reminders.tick() == 0  # still locked: nothing sent again meanwhile
            assert sum(platform.sent.values()) == 1
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert await reminders.tick() == 1  # the record is written, and the post finishes
    assert all(n == 1 for n in platform.sent.values()) and len(platform.sent) == 2
    assert len(await store.subscriptions.ledger()) == 1


async def test_a_claim_refused_by_a_locked_store_waits_for_the_next_tick(
    store: Store, db_path, caplog: pytest.LogCaptureFixture
) -> None:
    await _subscribe(store, 3, NINE_KST - dt.timedelta(days=1))
    platform = Pages(1)
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    async with Store(await Database.open(db_path, busy_timeout_ms=50)) as running:
        reminders = Reminders(running, {"sim": platform}, FixedClock(NINE_KST), sleep=no_sleep)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            with caplog.at_level(logging.WARNING, logger="bot.reminders.runner"):
                assert await reminders.tick() == 0  # nothing claimed, nothing sent, no error
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert not platform.sent
        assert "3 post(s) could not be claimed and go at the next tick" in caplog.text
        assert await reminders.tick() == 3
    assert len(platform.sent) == 3


async def test_the_window_left_a_record_kept_in_memory_past_the_lease(store: Store, db_path):
    """README, "Both": the store locked longer than the lease after a page was accepted lets
    another process take the claim over, and that page is shown twice. Pinned, not wanted."""
    await _subscribe(store, 1, NINE_KST - dt.timedelta(days=1))
    clock = FixedClock(NINE_KST)
    holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    first = LocksAfterAccepting(holder, 1)
    async with Store(await Database.open(db_path, busy_timeout_ms=20)) as one:
        assert await Reminders(one, {"sim": first}, clock, sleep=no_sleep).tick() == 0
        holder.execute("ROLLBACK")
        holder.close()
        clock.advance(dt.timedelta(minutes=11))  # the lease ran out while the record waited
        other = Pages(1)
        assert await Reminders(store, {"sim": other}, clock, sleep=no_sleep).tick() == 1
    assert list(first.sent) == list(other.sent)  # the same page, in the chat twice


async def test_a_store_opened_with_a_short_busy_timeout_gives_up_that_quickly(db_path) -> None:
    async with Store(await Database.open(db_path, busy_timeout_ms=1000)) as patient:
        holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            async with Store(await Database.open(db_path, busy_timeout_ms=100)) as hasty:
                for store, at_least in ((hasty, 0.1), (patient, 1.0)):
                    started = time.monotonic()
                    with pytest.raises(sqlite3.OperationalError, match="locked"):
                        await store.subscriptions.put(
                            "sim", "c", "group", None, dt.time(9), "UTC", (), "sim:a", NINE_KST
                        )
                    waited = time.monotonic() - started
                    assert at_least * 0.9 <= waited < at_least + 4, waited
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    with pytest.raises(ValueError, match="busy_timeout_ms"):
        await Database.open(db_path, busy_timeout_ms=-1)


async def test_a_subscription_made_after_its_hour_owes_nothing_that_day(store: Store) -> None:
    # /subscribe 09:00 at 09:49 KST: "Next: tomorrow", and a restart now posts nothing.
    made = NINE_KST + dt.timedelta(minutes=49)
    await _subscribe(store, 1, made)
    clock = FixedClock(made + dt.timedelta(seconds=2))
    platform = Pages(1)
    assert await Reminders(store, {"sim": platform}, clock, sleep=no_sleep).tick() == 0
    clock.set(NINE_KST + dt.timedelta(days=4))  # 28 January, 09:00 KST
    assert await Reminders(store, {"sim": platform}, clock, sleep=no_sleep).tick() == 1
    assert [k.split(":")[1] for _, k in platform.sent] == ["2025-01-28"]


async def test_grace_longer_than_a_day_covers_every_day_it_says(store: Store) -> None:
    await _subscribe(store, 1, NINE_KST - dt.timedelta(days=3))
    platform = Pages(1)
    late = NINE_KST + dt.timedelta(hours=25, minutes=30)  # 24 January's post, 25.5 h late
    for hours, posted in ((24, {"2025-01-25"}), (30, {"2025-01-24", "2025-01-25"})):
        platform.sent.clear()
        reminders = Reminders(
            store, {"sim": platform}, FixedClock(late), grace=dt.timedelta(hours=hours)
        )
        await reminders.tick()
        assert {k.split(":")[1] for _, k in platform.sent} <= posted
    assert [d for _, d in await store.subscriptions.ledger()] == ["2025-01-24"]
    # (25 January has nothing to say for the seed facts, so no post is owed that day.)


async def test_no_post_celebrates_a_day_a_source_only_saw_a_status(store: Store) -> None:
    reminders = Reminders(store, {}, FixedClock(NINE_KST))
    day = dt.date(2025, 1, 1)
    texts = []
    while day <= dt.date(2026, 12, 31):
        reply = await reminders.preview(day, (), "Asia/Seoul")
        if reply is not None:
            texts.extend(line.text for line in reply.lines)
        day += dt.timedelta(days=1)
    assert texts  # the seed year has anniversaries
    assert not [t for t in texts if "military" in t]  # V's and RM's statuses are "as of"
