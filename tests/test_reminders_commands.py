"""Chat admins subscribe a chat; everyone may look and preview; the scheduler follows the store."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.context import Caller, Chat
from bot.core import Core
from bot.reminders.notify import ChatGone, Delivery
from bot.reminders.runner import Reminders
from bot.reminders.schedule import DUE_JOB, ReminderScheduler
from bot.replies import Reply
from storage import bundle as bundles
from storage.store import Store
from tests.conftest import text_of

GROUP = Chat("telegram", "-100", "group", "IU fans")
ADMIN = Caller("telegram", "300", "Mina", is_chat_admin=True)
MEMBER = Caller("telegram", "400", "Bo")
BOT_ADMIN = Caller("console", "root-admin", "Root")


async def say(core: Core, line: str, caller: Caller = ADMIN) -> str:
    return text_of(await core.handle_line(line, caller, GROUP))


async def test_subscribe_with_defaults_then_change_then_stop(core: Core, store: Store) -> None:
    text = await say(core, "/subscribe")
    assert "Every day at 09:00 KST (Asia/Seoul), about every artist." in text
    sub = await store.subscriptions.for_chat("telegram", "-100")
    assert sub is not None and sub.zone == "Asia/Seoul" and sub.subject_ids == ()
    text = await say(core, "/subscribe 8:30pm America/New_York V, IU")
    assert "Every day at 20:30 America/New_York, about V, IU." in text
    assert "about V, IU" in await say(core, "/subscriptions", MEMBER)
    assert len(await store.subscriptions.active()) == 1  # still one per chat
    assert "Unsubscribed" in await say(core, "/unsubscribe")
    assert "None." in await say(core, "/subscriptions", MEMBER)
    assert "no daily reminders to stop" in await say(core, "/unsubscribe")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/subscribe 9:00 Asia/Seol", "Did you mean Asia/Seoul"),
        ("/subscribe 25:00", "hours go 0–23"),
        ("/subscribe 9:00 UTC Nobodyatall", "know anyone called"),
        ("/preview 2025-02-30", "Sorry"),
    ],
)
async def test_bad_input_changes_nothing(core: Core, store: Store, line: str, message: str) -> None:
    before = bundles.dump(await store.export_bundle())
    text = await say(core, line)
    assert text.startswith("Sorry") and message in text, text
    if line.startswith("/subscribe"):
        assert "Usage: /subscribe [TIME] [ZONE] [SUBJECTS…]" in text
    assert await store.subscriptions.for_chat("telegram", "-100") is None
    assert bundles.dump(await store.export_bundle()) == before


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [(ADMIN, True), (BOT_ADMIN, True), (MEMBER, False), (Caller("discord", "9", "X"), False)],
)
async def test_only_chat_admins_subscribe(core: Core, store: Store, caller, allowed) -> None:
    text = await say(core, "/subscribe 7:00", caller)
    assert ("Subscribed" in text) is allowed, text
    assert (await store.subscriptions.for_chat("telegram", "-100") is not None) is allowed
    if not allowed:
        assert "Only chat admins" in text
        await say(core, "/subscribe")  # the admin subscribes
        assert "Only chat admins" in await say(core, "/unsubscribe", caller)
        assert await store.subscriptions.for_chat("telegram", "-100") is not None


async def test_preview_shows_this_chats_post(core: Core) -> None:
    await say(core, "/subscribe 9:00 UTC BTS")
    text = await say(core, "/preview 2025-01-28", MEMBER)
    assert "V's Instagram post" in text and "UTC calendar days" in text
    assert "Nothing on 24 January 2025" not in await say(core, "/preview 2025-01-24", MEMBER)
    assert "Nothing on 25 January 2025" in await say(core, "/preview 2025-01-25", MEMBER)


class Recorder:
    platform = "telegram"

    def __init__(self) -> None:
        self.posts: list[tuple[str, Reply]] = []

    def pages(self, reply: Reply) -> list[Reply]:
        return [reply]

    async def send_page(self, chat_id: str, page: Reply, key: str) -> Delivery:
        self.posts.append((chat_id, page))
        return Delivery(chat_id=chat_id, message_ids=(str(len(self.posts)),))


async def test_the_scheduler_builds_jobs_from_the_store(core: Core, store: Store, clock) -> None:
    clock.advance(-dt.timedelta(minutes=1))
    await say(core, "/subscribe 9:00")  # at 08:59 KST
    clock.advance(dt.timedelta(minutes=1))  # 2025-01-24 00:00 UTC is 09:00 KST: due now
    recorder = Recorder()
    scheduler = ReminderScheduler(Reminders(store, {"telegram": recorder}, clock))
    await scheduler.start()
    try:
        assert [r.title for _, r in recorder.posts] == ["Today, 24 January 2025"]  # at start
        jobs = {j.id: j for j in scheduler.scheduler.get_jobs()}
        assert DUE_JOB in jobs and "catch-up" in jobs
        assert scheduler.scheduler._job_defaults["coalesce"] is True
        assert scheduler.scheduler._job_defaults["misfire_grace_time"] == 6 * 3600
        await say(core, "/subscribe 21:00 America/New_York")
        await scheduler.rebuild()
        job = scheduler.scheduler.get_job(DUE_JOB)
        trigger_next = job.trigger.get_next_fire_time(None, clock.now())
        assert trigger_next == dt.datetime(2025, 1, 24, 2, 0, tzinfo=dt.UTC)  # 21:00 EST
        await say(core, "/unsubscribe")
        await scheduler.rebuild()
        assert scheduler.scheduler.get_job(DUE_JOB) is None
        assert await Reminders(store, {"telegram": recorder}, clock).tick() == 0
    finally:
        await scheduler.stop()


class GoneChat:
    platform = "telegram"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.tries = 0

    def pages(self, reply: Reply) -> list[Reply]:
        return [reply]

    async def send_page(self, chat_id: str, page: Reply, key: str) -> Delivery:
        self.tries += 1
        await self.store.chats.gone("telegram", chat_id, "Telegram answered 403: kicked")
        raise ChatGone(f"chat {chat_id}: kicked")


async def test_a_chat_that_is_gone_stops_its_subscription(core: Core, store: Store, clock) -> None:
    clock.advance(-dt.timedelta(minutes=1))
    await say(core, "/subscribe 9:00")
    clock.advance(dt.timedelta(minutes=1))
    platform = GoneChat(store)
    reminders = Reminders(store, {"telegram": platform}, clock)
    assert await reminders.tick() == 0
    assert platform.tries == 1  # not retried: the chat will never accept a post again
    assert await store.subscriptions.active() == []
    assert await Reminders(store, {"telegram": platform}, clock).tick() == 0
    assert platform.tries == 1
    listed = await say(core, "/subscriptions", MEMBER)
    assert "Paused: Telegram answered 403: kicked" in listed
    # The bot is added back (Telegram's my_chat_member, or a command used there): posts resume.
    await store.chats.ensure("telegram", "-100", "group")
    recorder = Recorder()
    assert await Reminders(store, {"telegram": recorder}, clock).tick() == 1
    assert [chat for chat, _ in recorder.posts] == ["-100"]
