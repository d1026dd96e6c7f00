"""A whole year of daily posts with an injected clock: exactly once, or nothing.

Subscriptions in Asia/Seoul, America/New_York (at a time the spring change skips and one the
autumn change repeats) and UTC live through 2028, a leap year with a 29 February. fanbot
"restarts" at random moments (a new Reminders over the same SQLite file, after a pause shorter
than the grace period) and the platform refuses posts at random. Every (subscription, day)
with something to say must be posted exactly once, every other day not at all. What "has
something to say" is decided by a plain oracle over the stored facts, not by the code tested.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import sqlite3
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from bot.reminders.notify import Delivery, DeliveryFailed, DeliveryUncertain
from bot.reminders.runner import Reminders
from bot.reminders.timing import due_at
from bot.replies import Reply
from storage.db import Database
from storage.models import Fact, FactKind
from storage.store import Store
from storage.subscriptions import Subscription
from tests.conftest import text_of

ROOT = Caller("console", "root-admin", "Root")
CONSOLE = Chat("console", "console")
START = dt.datetime(2027, 12, 31, 0, 0, tzinfo=dt.UTC)
END = dt.datetime(2029, 1, 1, 12, 0, tzinfo=dt.UTC)
# (chat, time, zone, subjects): 02:30 is skipped in New York on 12 March 2028, 01:30 is
# lived twice on 5 November 2028.
SUBSCRIPTIONS = [
    ("seoul", dt.time(9, 0), "Asia/Seoul", ()),
    ("ny-skipped", dt.time(2, 30), "America/New_York", ()),
    ("ny-repeated", dt.time(1, 30), "America/New_York", ("IU",)),
    ("utc", dt.time(0, 0), "UTC", ("BTS",)),
]
FACTS = [  # added through the admin commands, like a bot admin would
    '/addevent IU 2024-02-29 "IU announced a leap-day fan meeting" https://a.com/1',
    '/addevent V 2028-03-12 "V and IU appear together on a show" https://a.com/2',
    '/addrelease IU 2028-11-05 "A Flu" https://a.com/3 single',
    '/addstatus RM 2026-06-01 "military service" https://a.com/4 2028-03-12',
    '/addevent V 2028-08 "V tours Europe" https://a.com/5',
    '/addevent IU 2026-03-15 "IU started a daily vlog" https://a.com/6',
]
COUNTDOWNS = (100, 30, 7, 1, 0)
DAY_COUNTS = (*range(100, 1000, 100), *range(1000, 20001, 1000))


class FlakyPlatform:
    """A platform at the Notifier boundary that refuses posts at random (seeded)."""

    platform = "sim"

    def __init__(self, rng: random.Random, refusals: float = 0.3):
        self.rng = rng
        self.refusals = refusals
        self.accepted: Counter[tuple[str, str]] = Counter()

    def pages(self, reply: Reply) -> list[Reply]:
        return [reply]

    async def send_page(self, chat_id: str, page: Reply, key: str) -> Delivery:
        if self.rng.random() < self.refusals:
            raise DeliveryFailed("the platform is having a bad minute")
        self.accepted[(chat_id, page.title)] += 1
        return Delivery(chat_id=chat_id, message_ids=(str(sum(self.accepted.values())),))


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def says_something(facts: list[Fact], on: dt.date) -> bool:
    """The oracle: does anything about these facts fall on `on`?"""
    for fact in facts:
        d = fact.date
        if d.day is None or not fact.happened:  # an "as of" status is never celebrated
            continue
        day = dt.date(d.year, d.month, d.day)
        if day.year < on.year:
            if (day.month, day.day) == (on.month, on.day):
                return True
            if (day.month, day.day) == (2, 29) and (on.month, on.day) == (2, 28):
                if not is_leap(on.year):
                    return True
        until = fact.details.get("until") if fact.kind is FactKind.STATUS else None
        ended = bool(until) and len(str(until)) == 10 and dt.date.fromisoformat(str(until)) <= on
        if fact.kind is not FactKind.MILESTONE and (on - day).days + 1 in DAY_COUNTS:
            if not ended:  # a status that has ended counts no more days
                return True
        if (day - on).days in COUNTDOWNS:
            return True
        until = fact.details.get("until") if fact.kind is FactKind.STATUS else None
        if until and len(str(until)) == 10:
            if (dt.date.fromisoformat(str(until)) - on).days in COUNTDOWNS:
                return True
    return False


async def followed_facts(store: Store, sub: Subscription, everything: list[Fact]) -> list[Fact]:
    """The oracle's own reading of whom a subscription follows: its subjects and members."""
    if not sub.subject_ids:
        return everything
    followed = set(sub.subject_ids)
    for subject in await store.facts.subjects(list(sub.subject_ids)):
        followed.update(m.id for m in subject.members)
    return [f for f in everything if {s.id for s in f.subjects} & followed]


async def test_a_year_of_posts_exactly_once(store: Store) -> None:
    clock = FixedClock(START)
    core = Core(store, clock, all_commands(), admins=frozenset({("console", "root-admin")}))
    for line in FACTS:
        reply = await core.handle_line(line, ROOT, CONSOLE)
        assert not reply.error, text_of(reply)
    subs = {}
    for chat, at, zone, names in SUBSCRIPTIONS:
        ids = []
        for name in names:
            ids.append((await core.resolver.resolve(name)).id)
        subs[chat] = await store.subscriptions.put(
            "sim", chat, "group", chat, at, zone, tuple(ids), "sim:admin", clock.now()
        )

    rng = random.Random(20281105)
    platform = FlakyPlatform(rng)

    async def no_sleep(seconds: float) -> None:
        pass

    def fresh() -> Reminders:
        return Reminders(
            store, {"sim": platform}, clock, grace=dt.timedelta(hours=6), sleep=no_sleep
        )

    reminders = fresh()
    restarts = 0
    while clock.now() < END:
        clock.advance(dt.timedelta(minutes=rng.randint(20, 150)))
        if rng.random() < 0.03:  # fanbot stops, stays down a while, starts again
            restarts += 1
            clock.advance(dt.timedelta(minutes=rng.randint(0, 200)))
            reminders = fresh()
        await reminders.tick()
    assert restarts > 50

    # The oracle over every stored fact, per subscription and local day of the window.
    everything = await store.facts.dated_facts()
    expected: set[tuple[str, str]] = set()
    for chat, _at, zone, _names in SUBSCRIPTIONS:
        sub = subs[chat]
        facts = await followed_facts(store, sub, everything)
        day = START.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=1)
        last = END.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)
        while day <= last:
            if says_something(facts, day):
                expected.add((chat, day.isoformat()))
            day += dt.timedelta(days=1)

    by_id = {sub.id: chat for chat, sub in subs.items()}
    ledger = {(by_id[sid], day) for sid, day in await store.subscriptions.ledger()}
    window = {
        (c, d) for c, d in ledger if d > START.date().isoformat() and d < END.date().isoformat()
    }
    assert window == {
        (c, d) for c, d in expected if d > START.date().isoformat() and d < END.date().isoformat()
    }

    assert len(expected) > 40  # the year had plenty to say
    assert all(n == 1 for n in platform.accepted.values())  # never twice
    assert len(platform.accepted) == len(ledger)
    # The days the clocks change and the leap day were among them.
    assert ("ny-skipped", "2028-03-12") in ledger  # 02:30 does not exist that day
    assert ("ny-repeated", "2028-11-05") in ledger  # 01:30 happened twice that day
    assert ("seoul", "2028-02-29") in ledger and ("seoul", "2028-02-28") not in ledger
    assert ("seoul", "2027-02-28") not in ledger  # outside the window, not posted


async def test_a_post_older_than_the_grace_period_is_skipped_and_logged(
    store: Store, caplog
) -> None:
    import logging

    clock = FixedClock(dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC))  # 09:00 KST
    await store.subscriptions.put(
        "sim",
        "late",
        "group",
        "late",
        dt.time(9, 0),
        "Asia/Seoul",
        (),
        "sim:admin",
        clock.now() - dt.timedelta(days=1),
    )
    platform = FlakyPlatform(random.Random(1), refusals=0.0)

    async def no_sleep(seconds: float) -> None:
        pass

    clock.advance(dt.timedelta(hours=7))  # fanbot was down past the 6-hour grace
    with caplog.at_level(logging.INFO, logger="bot.reminders.runner"):
        assert await Reminders(store, {"sim": platform}, clock, sleep=no_sleep).tick() == 0
    assert "skipped" in caplog.text and not platform.accepted
    clock.set(dt.datetime(2025, 1, 24, 5, 0, tzinfo=dt.UTC))  # 5 hours late: still posted
    assert await Reminders(store, {"sim": platform}, clock, sleep=no_sleep).tick() == 1
    assert ("late", "Today, 24 January 2025") in platform.accepted  # Love wins all, 1 year


# The same year, harder: subscriptions sharing one instant, two "processes" (each its own
# store connection with a short busy timeout) ticking at once, posts of three pages that fail
# midway, answers lost after the platform showed the page, the store locked right after a page
# was accepted (so its ledger write meets "database is locked"), downtimes past a day with a
# grace of 30 and 48 hours, and subscriptions made during the year after their hour.
SHARED = [  # 09:00 KST, 09:00 JST and 00:00 UTC are one instant
    ("seoul-a", dt.time(9, 0), "Asia/Seoul", ()),
    ("seoul-b", dt.time(9, 0), "Asia/Seoul", ("IU",)),
    ("seoul-c", dt.time(9, 0), "Asia/Seoul", ("BTS",)),
    ("tokyo", dt.time(9, 0), "Asia/Tokyo", ()),
    ("utc-0", dt.time(0, 0), "UTC", ()),
    ("ny-skipped", dt.time(2, 30), "America/New_York", ()),
    ("ny-repeated", dt.time(1, 30), "America/New_York", ("IU",)),
]
PAGES = 3
LEAP_DUE = dt.datetime(2028, 2, 29, 0, 0, tzinfo=dt.UTC)  # 09:00 KST on the leap day


class PagedPlatform:
    """Three pages a post; refusals, lost answers and a store lock, at random.

    Each decision is drawn from (seed, page key, attempt), not from one shared stream, so the
    year is the same whichever of the concurrent ticks reaches a page first.
    """

    platform = "sim"

    def __init__(self, seed: int, db_path) -> None:
        self.seed = seed
        self.tries: Counter[str] = Counter()
        self.shown: Counter[tuple[str, str, int]] = Counter()  # (chat, title, page)
        self.outcomes: Counter[str] = Counter()
        self.holder = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        self.locked = False
        self.clock: FixedClock | None = None
        self.first_shown: dict[tuple[str, str], dt.datetime] = {}  # (chat, day) -> when

    def pages(self, reply: Reply) -> list[tuple[str, int]]:
        return [(reply.title, page) for page in range(PAGES)]

    async def send_page(self, chat_id: str, page: tuple[str, int], key: str) -> Delivery:
        await asyncio.sleep(0)  # let the concurrent ticks interleave
        self.tries[key] += 1
        roll = random.Random(f"{self.seed}:{key}:{self.tries[key]}").random()
        if roll < 0.08:
            self.outcomes["refused"] += 1
            raise DeliveryFailed("the platform is having a bad minute")
        self.shown[(chat_id, *page)] += 1
        if self.clock is not None:
            day = key.split(":")[1]  # the key names (subscription, day, page)
            self.first_shown.setdefault((chat_id, day), self.clock.now())
        if roll < 0.11:
            self.outcomes["lost"] += 1
            raise DeliveryUncertain("timed out after the platform took it")
        if roll < 0.15 and not self.locked:
            try:  # `fanbot import` takes the write lock just now
                self.holder.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:
                pass  # a runner is writing this instant; no lock this time
            else:
                self.locked = True
                self.outcomes["locked"] += 1
        return Delivery(chat_id=chat_id, message_ids=(str(sum(self.shown.values())),))

    def unlock(self) -> bool:
        """The import is done; True if it had held the lock."""
        if not self.locked:
            return False
        self.holder.execute("ROLLBACK")
        self.locked = False
        return True


class KeptInMemory(logging.Handler):
    """Counts the runner's "kept in memory" errors: a page accepted, its record not written."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += "kept in memory" in record.getMessage()


@pytest.mark.parametrize("grace_hours", [30, 48])
async def test_a_hard_year_of_posts_exactly_once(store: Store, db_path, grace_hours: int) -> None:
    clock = FixedClock(START)
    grace = dt.timedelta(hours=grace_hours)
    core = Core(store, clock, all_commands(), admins=frozenset({("console", "root-admin")}))
    for line in FACTS:
        reply = await core.handle_line(line, ROOT, CONSOLE)
        assert not reply.error, text_of(reply)

    async def subscribe(chat: str, at: dt.time, zone: str, names: tuple[str, ...]) -> None:
        ids = tuple([(await core.resolver.resolve(name)).id for name in names])
        subs[chat] = await store.subscriptions.put(
            "sim", chat, "group", chat, at, zone, ids, "sim:admin", clock.now()
        )

    subs: dict = {}
    for chat, at, zone, names in SHARED:
        await subscribe(chat, at, zone, names)

    rng = random.Random(20281105 + grace_hours)
    platform = PagedPlatform(20281105 + grace_hours, db_path)
    platform.clock = clock
    kept = KeptInMemory()
    logging.getLogger("bot.reminders.runner").addHandler(kept)

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    processes: list[Store] = []
    for _ in range(2):  # two `fanbot run` on one file, each with its own connections
        processes.append(Store(await Database.open(db_path, busy_timeout_ms=20)))

    def fresh() -> list[Reminders]:
        return [
            Reminders(s, {"sim": platform}, clock, grace=grace, sleep=no_sleep) for s in processes
        ]

    runners = fresh()
    ticks: list[dt.datetime] = []
    restarts = long_downs = late = 0
    unsaved = outage_done = False
    try:
        while clock.now() < END:
            # A record kept in memory is written by the next catch-up (every 5 minutes), well
            # within the claim's 10-minute lease; otherwise fanbot ticks every hour or few.
            step = dt.timedelta(minutes=rng.randint(1, 5) if unsaved else rng.randint(180, 540))
            down = dt.timedelta(minutes=rng.randint(0, (grace_hours + 12) * 60))
            restart = rng.random() < 0.03
            ahead = step + (down if restart else dt.timedelta(0))
            if not outage_done and clock.now() + ahead >= LEAP_DUE - dt.timedelta(hours=1):
                if unsaved:
                    step = dt.timedelta(0)  # tick again first: what waits in memory is written
                else:  # down from before the leap-day post until an hour inside the grace
                    outage_done = True
                    clock.set(LEAP_DUE + grace - dt.timedelta(hours=1))
                    runners = fresh()
                    step = dt.timedelta(0)
                restart = False
            clock.advance(step)
            # Both processes stop and start again; never while a record waits in memory only
            # (a crash then is the window the README names).
            if restart and not unsaved:
                restarts += 1
                long_downs += down > dt.timedelta(hours=24)
                clock.advance(down)
                runners = fresh()
            if rng.random() < 0.006:  # /subscribe at an hour already past today
                late += 1
                local = clock.now().astimezone(ZoneInfo("Asia/Seoul"))
                at = (local - dt.timedelta(minutes=rng.randint(1, 300))).time()
                await subscribe(f"late-{late}", dt.time(at.hour, at.minute), "Asia/Seoul", ())
            ticks.append(clock.now())
            a, b = runners
            twice = rng.random() < 0.2  # now and then a second tick in one process too
            before = kept.count
            await asyncio.gather(a.tick(), b.tick(), *([a.tick()] if twice else []))
            unsaved = platform.unlock() or kept.count > before
        for runner in runners:  # the store is free again: what waited in memory is written
            await runner.tick()
    finally:
        logging.getLogger("bot.reminders.runner").removeHandler(kept)
        platform.holder.close()
        for s in processes:
            await s.close()
    assert restarts > 30 and long_downs > 5 and late > 3
    assert platform.outcomes["refused"] > 10 and platform.outcomes["lost"] > 5, platform.outcomes
    assert platform.outcomes["locked"] >= 3, platform.outcomes  # a runner writing then: no lock

    everything = await store.facts.dated_facts()
    expected: set[tuple[str, str]] = set()
    lateness: list[dt.timedelta] = []
    for chat, sub in subs.items():
        facts = await followed_facts(store, sub, everything)
        zone = ZoneInfo(sub.zone)
        day = START.astimezone(zone).date() + dt.timedelta(days=1)
        last = END.astimezone(zone).date() - dt.timedelta(days=1)
        while day <= last:
            due = due_at(day, sub.at, zone)
            owed = sub.owed_from is None or due > sub.owed_from
            ticked = any(due <= t <= due + grace for t in ticks)  # fanbot ran in the window
            if owed and ticked and says_something(facts, day):
                expected.add((chat, day.isoformat()))
                if (chat, day.isoformat()) in platform.first_shown:
                    lateness.append(platform.first_shown[(chat, day.isoformat())] - due)
            day += dt.timedelta(days=1)

    by_id = {sub.id: chat for chat, sub in subs.items()}
    ledger = {(by_id[sid], day) for sid, day in await store.subscriptions.ledger()}
    inside = START.date().isoformat(), END.date().isoformat()
    assert {(c, d) for c, d in ledger if inside[0] < d < inside[1]} == {
        (c, d) for c, d in expected if inside[0] < d < inside[1]
    }
    assert all(n == 1 for n in platform.shown.values()), [
        k for k, n in platform.shown.items() if n > 1
    ]  # no page shown twice, ever
    titles = Counter((chat, title) for chat, title, _ in platform.shown)
    assert all(n == PAGES for n in titles.values())  # and every page of every post
    assert len(titles) == len(ledger)
    assert ("seoul-a", "2028-02-29") in ledger and ("seoul-a", "2028-02-28") not in ledger
    assert max(lateness) >= grace - dt.timedelta(hours=1)  # a post over a day late still went
    assert ("ny-skipped", "2028-03-12") in ledger and ("ny-repeated", "2028-11-05") in ledger
