"""The real AsyncIOScheduler, as `fanbot run` builds it, posting to the emulated platforms.

3, 10 and 100 chats due at the same instant (09:00 KST, 09:00 JST and 00:00 UTC are one
moment), with extra jobs firing at that instant as the old one-job-per-subscription design
did: every chat gets its post once. The runner's clock is the wall clock moved to 2025-01-24
08:59:58 UTC+9, so the due job fires two seconds after start; the test awaits the job's
completion event, not the clock. `stop()` lets a running job finish instead of cancelling it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.app import all_commands
from bot.clock import FixedClock, SystemClock
from bot.core import Core
from bot.reminders.notify import Delivery, Notifier
from bot.reminders.runner import Reminders
from bot.reminders.schedule import DUE_JOB, ReminderScheduler
from bot.replies import Reply
from storage.store import Store
from tests.conftest import SEEDS
from tests.emulators.discord_api import DiscordEmulator, member, text_channel
from tests.telegram_fixtures import running as telegram_running
from tests.test_discord_adapter import APP_ID, GUILD, OWNER, TOKEN
from tests.test_discord_adapter import running as discord_running

DUE = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)  # Love wins all, 1 year
SAME_INSTANT = [(dt.time(9), "Asia/Seoul"), (dt.time(9), "Asia/Tokyo"), (dt.time(0), "UTC")]
LEAD = dt.timedelta(seconds=2)  # real seconds between the scheduler's start and the due instant
FIRST_CHANNEL = 820000000000000001


class ShiftedClock:
    """The system clock moved to another instant: it runs, so the scheduler's jobs come due."""

    def __init__(self, at: dt.datetime) -> None:
        self.offset = at - SystemClock().now()

    def now(self) -> dt.datetime:
        return SystemClock().now() + self.offset


async def _subscribe(store: Store, platform: str, chats: list[str]) -> None:
    for i, chat in enumerate(chats):
        at, zone = SAME_INSTANT[i % len(SAME_INSTANT)]
        made = DUE - dt.timedelta(days=1)
        await store.subscriptions.put(platform, chat, "group", None, at, zone, (), "x:1", made)


async def _run_due_minute(store: Store, notifier: Notifier) -> ReminderScheduler:
    """Start the scheduler before the due instant; return once every job at it has finished."""
    clock = ShiftedClock(DUE - LEAD)
    scheduler = ReminderScheduler(Reminders(store, {notifier.platform: notifier}, clock))
    finished: asyncio.Queue[JobExecutionEvent] = asyncio.Queue()
    scheduler.scheduler.add_listener(finished.put_nowait, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    await scheduler.start()  # its catch-up tick finds nothing due yet
    due = scheduler.scheduler.get_job(DUE_JOB)
    assert due is not None and due.next_run_time is not None
    fire = due.next_run_time
    assert dt.timedelta(0) < fire - SystemClock().now() <= LEAD
    # More jobs at the very instant, as one job per subscription made them: catch-up and two
    # more ticks run beside the due job.
    scheduler.scheduler.get_job("catch-up").modify(next_run_time=fire)
    for n in range(2):
        scheduler.scheduler.add_job(
            scheduler.reminders.tick, "date", run_date=fire, id=f"extra-{n}"
        )
    events = [await asyncio.wait_for(finished.get(), 120) for _ in range(4)]
    assert sorted(e.job_id for e in events) == sorted([DUE_JOB, "catch-up", "extra-0", "extra-1"])
    assert all(e.exception is None for e in events), [e.exception for e in events]
    return scheduler


@pytest.mark.parametrize("chats", [3, 10, 100])
async def test_telegram_chats_due_at_one_instant_each_get_one_post(
    tmp_path: Path, chats: int
) -> None:
    groups = [-5000 - i for i in range(chats)]
    async with telegram_running(tmp_path) as bot:
        await _subscribe(bot.store, "telegram", [str(g) for g in groups])
        scheduler = await _run_due_minute(bot.store, bot.service.notifier)
        try:
            sends = Counter(c.params["chat_id"] for c in bot.tg.calls if c.method == "sendMessage")
            assert sends == Counter(groups)  # every chat, exactly once
            for group in groups[:3]:
                [message] = bot.tg.sent_messages(group)
                assert message["text"].startswith("Today, 24 January 2025")
            assert len(await bot.store.subscriptions.ledger()) == chats
        finally:
            await scheduler.stop()


def guild_with_channels(emu: DiscordEmulator, guild: int, channels: list[int]) -> DiscordEmulator:
    """The bot in one guild with these text channels, each a chat that subscribes."""
    emu.add_guild(
        guild,
        "ARMY base",
        owner_id=OWNER,
        channels=[text_channel(cid, f"fans-{i}") for i, cid in enumerate(channels)],
        members=[member(OWNER, "owner")],
    )
    return emu


@contextlib.asynccontextmanager
async def _discord_with_channels(tmp_path: Path, count: int) -> AsyncIterator[tuple]:
    channels = [FIRST_CHANNEL + i for i in range(count)]
    emu = guild_with_channels(DiscordEmulator(token=TOKEN, application_id=APP_ID), GUILD, channels)
    store = await Store.open(tmp_path / "fanbot.db")
    await store.seed_if_empty(SEEDS)
    core = Core(store, FixedClock(DUE), all_commands())
    try:
        async with emu, discord_running(core, emu) as service:
            yield emu, service, store, channels
    finally:
        await store.close()


@pytest.mark.parametrize("chats", [3, 10, 100])
async def test_discord_channels_due_at_one_instant_each_get_one_post(
    tmp_path: Path, chats: int
) -> None:
    async with _discord_with_channels(tmp_path, chats) as (emu, service, store, channels):
        await _subscribe(store, "discord", [str(c) for c in channels])
        scheduler = await _run_due_minute(store, service.notifier)
        try:
            posts = Counter(
                r.path.split("/")[2]
                for r in emu.requests
                if r.method == "POST" and r.path.endswith("/messages")
            )
            assert posts == Counter(str(c) for c in channels)  # one request per channel
            for cid in channels:
                [message] = emu.channel_messages(cid)
                assert message.embeds[0]["title"] == "Today, 24 January 2025"
                assert message.allowed_mentions == {"parse": []}
            assert len(await store.subscriptions.ledger()) == chats
        finally:
            await scheduler.stop()


class Blocking:
    """A platform whose posts wait until the test lets them through."""

    platform = "sim"

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[str] = []

    def pages(self, reply: Reply) -> list[Reply]:
        return [reply]

    async def send_page(self, chat_id: str, page: Reply, key: str) -> Delivery:
        self.entered.set()
        await self.release.wait()
        self.sent.append(key)
        return Delivery(chat_id=chat_id, message_ids=("1",))


async def _mid_post(store: Store) -> tuple[ReminderScheduler, Blocking, FixedClock]:
    """A scheduler whose catch-up job is in the middle of posting (the platform holds it)."""
    await store.subscriptions.put(
        "sim", "c", "group", None, dt.time(9), "Asia/Seoul", (), "x:1", DUE - dt.timedelta(days=1)
    )
    clock = FixedClock(DUE - dt.timedelta(minutes=1))
    platform = Blocking()
    scheduler = ReminderScheduler(Reminders(store, {"sim": platform}, clock))
    await scheduler.start()
    clock.set(DUE)
    scheduler.scheduler.get_job("catch-up").modify(next_run_time=SystemClock().now())
    await asyncio.wait_for(platform.entered.wait(), 10)
    return scheduler, platform, clock


async def test_stop_lets_a_running_job_finish_its_post_and_ledger(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        scheduler, platform, _ = await _mid_post(store)
        stopping = asyncio.create_task(scheduler.stop())
        done, _ = await asyncio.wait([stopping], timeout=0.2)
        assert not done  # stop() waits for the post instead of cancelling it
        platform.release.set()
        await asyncio.wait_for(stopping, 10)
    assert platform.sent == ["1:2025-01-24:0"]
    assert await store.subscriptions.ledger() == [(1, "2025-01-24")]  # recorded before the end
    assert "raised an exception" not in caplog.text and "CancelledError" not in caplog.text
    assert not scheduler.scheduler.running


async def test_stop_cancels_quietly_a_job_that_runs_past_its_wait(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        scheduler, platform, clock = await _mid_post(store)
        await asyncio.wait_for(scheduler.stop(wait=0.05), 10)  # the platform never answers
    assert "stopped a reminder job" in caplog.text
    assert "Traceback" not in caplog.text and "raised an exception" not in caplog.text
    assert await store.subscriptions.ledger() == []  # not delivered: the next start resumes it
    again = Blocking()
    again.release.set()
    restarted = Reminders(store, {"sim": again}, clock)
    assert await restarted.tick() == 0  # the cut-short claim still holds its lease
    clock.advance(dt.timedelta(minutes=11))
    assert await restarted.tick() == 1 and again.sent == ["1:2025-01-24:0"]
