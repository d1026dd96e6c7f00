"""A subscription made in a Telegram group and in a Discord channel posts there at its hour.

Both through the real libraries and the emulators: the admin types /subscribe in the chat,
the clock reaches 09:00 KST on 24 January 2025, and the chat receives its digest rendered for
its platform (Telegram HTML, a Discord embed without mentions).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.core import Core
from bot.reminders.runner import Reminders
from tests.conftest import FixedClock
from tests.telegram_fixtures import GROUP
from tests.telegram_fixtures import running as telegram_running
from tests.test_discord_adapter import CHANNEL, FAN, GUILD, MOD, configured_emulator, running


async def test_a_telegram_group_gets_its_digest_at_its_hour(tmp_path: Path) -> None:
    async with telegram_running(tmp_path) as bot:
        clock = bot.core.clock
        assert isinstance(clock, FixedClock)
        clock.set(clock.now() - dt.timedelta(hours=1))  # subscribed at 08:00 KST
        bot.tg.set_chat_member(GROUP, 1001, "member")
        assert "Only chat admins" in await bot.ask(GROUP, "/subscribe 9:00 Asia/Seoul IU")
        bot.tg.set_chat_member(GROUP, 1002, "administrator")
        subscribed = await bot.ask(GROUP, "/subscribe 9:00 Asia/Seoul IU", user_id=1002)
        assert "Every day at 09:00 KST (Asia/Seoul), about IU." in subscribed
        reminders = Reminders(bot.store, {"telegram": bot.service.notifier}, clock)
        clock.set(dt.datetime(2025, 1, 23, 23, 59, tzinfo=dt.UTC))
        assert await reminders.tick() == 0  # 08:59 KST: not yet
        clock.set(clock.now() + dt.timedelta(minutes=1))
        assert await reminders.tick() == 1
        post = (await bot.reply_to(GROUP)).result
        assert post["text"].startswith("Today, 24 January 2025")
        assert "1 year ago today: IU released her pre-release single Love wins all" in post["text"]
        assert post["entities"][0]["type"] == "bold"  # Telegram HTML
        assert await reminders.tick() == 0  # once


async def test_a_discord_channel_gets_its_digest_at_its_hour(core: Core, clock: FixedClock) -> None:
    async with configured_emulator() as emu, running(core, emu) as service:
        clock.set(clock.now() - dt.timedelta(hours=1))  # subscribed at 08:00 KST
        refused = await emu.inject_slash_command(
            "subscribe", {"time": "9:00"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        assert "Only chat admins" in str((await emu.wait_for_callback(refused.id)).data)
        rec = await emu.inject_slash_command(
            "subscribe",
            {"time": "9:00", "subjects": "V"},
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=MOD,
        )
        assert "Every day at 09:00" in str((await emu.wait_for_callback(rec.id)).data)
        reminders = Reminders(core.store, {"discord": service.notifier}, clock)
        clock.set(dt.datetime(2025, 1, 28, 0, 0, tzinfo=dt.UTC))  # 09:00 KST, the Instagram record
        assert await reminders.tick() == 1
        message = await emu.wait_for_message(CHANNEL)
        embed = message.embeds[0]
        assert embed["title"] == "Today, 28 January 2025"
        assert (
            "1 year ago today: V's Instagram post with IU reached 10 million likes"
            in (embed["description"])
        )
        assert message.allowed_mentions == {"parse": []}
        assert await reminders.tick() == 0


async def test_a_telegram_answer_lost_after_posting_is_recorded_unknown_never_resent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    groups = [-4101, -4102, -4103]
    async with telegram_running(tmp_path) as bot:
        clock = bot.core.clock
        assert isinstance(clock, FixedClock)
        for group in groups:
            await bot.store.subscriptions.put(
                "telegram",
                str(group),
                "group",
                None,
                dt.time(9),
                "Asia/Seoul",
                (),
                "t:1",
                clock.now() - dt.timedelta(days=1),
            )
        # Telegram posts the second group's message, then the connection drops unanswered.
        bot.tg.fail_next("sendMessage", "dropped", chat_id=groups[1])
        reminders = Reminders(bot.store, {"telegram": bot.service.notifier}, clock)
        with caplog.at_level(logging.INFO, logger="bot.reminders.runner"):
            assert await reminders.tick() == 3
            assert await reminders.tick() == 0  # the unknown page is not sent again
            assert await Reminders(bot.store, {"telegram": bot.service.notifier}, clock).tick() == 0
        sends = [c for c in bot.tg.calls if c.method == "sendMessage"]
        assert sorted(c.params["chat_id"] for c in sends) == sorted(groups)  # one call each
        assert [c.params["chat_id"] for c in sends if c.dropped] == [groups[1]]
        for group in groups:
            assert len(bot.tg.sent_messages(group)) == 1  # in the chat once
        assert reminders.counts["accepted"] == 2 and reminders.counts["unknown"] == 1
        pages = await bot.store.subscriptions.pages_on(dt.date(2025, 1, 24))
        outcomes = {int(p.chat_id): p.outcome for records in pages.values() for p in records}
        assert outcomes == {groups[0]: "accepted", groups[1]: "unknown", groups[2]: "accepted"}
        assert "may or may not have arrived" in caplog.text
        assert "pages 2 accepted, 1 unknown" in caplog.text
