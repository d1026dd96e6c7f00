"""The Discord notifier: posts a Reply to a channel, waits out 429s, retires gone channels."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from adapters.discord.notifier import ORPHAN_AFTER
from adapters.discord.service import DiscordService
from bot.clock import FixedClock
from bot.core import Core
from bot.reminders.notify import ChatGone, DeliveryFailed, send_all
from bot.reminders.runner import Reminders
from bot.replies import Line, Reply
from storage.models import PartialDate
from tests.emulators.discord_api import DiscordEmulator, text_channel
from tests.test_discord_adapter import (
    CHANNEL,
    FAN,
    GUILD,
    NO_MENTIONS,
    OWNER,
    configured_emulator,
    restore_discord_globals,
    running,
    settings_for,
)


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    async with configured_emulator() as emulator:
        yield emulator


DIGEST = Reply(
    title="On this day",
    lines=(
        Line(
            "1st anniversary: @everyone Love wins all <@&1234567890123456789>",
            when=PartialDate(2024, 1, 24),
        ),
    ),
    footer="Dates are KST (Asia/Seoul) calendar days.",
)


async def test_posts_an_embed_without_mentions(core: Core, emu: DiscordEmulator) -> None:
    async with running(core, emu) as svc:
        delivery = await send_all(svc.notifier, str(CHANNEL), DIGEST, "k")
    [message] = emu.channel_messages(CHANNEL)
    assert svc.notifier.platform == "discord"
    assert delivery.chat_id == str(CHANNEL) and delivery.message_ids == (message.id,)
    assert message.allowed_mentions == NO_MENTIONS
    embed = message.embeds[0]
    assert embed["title"] == "On this day"
    assert embed["description"].startswith("24 January 2024 · 1st anniversary")
    assert "<t:" not in embed["description"]  # a KST day, not an instant in the reader's zone
    assert "@everyone" not in embed["description"] and "<@&" not in embed["description"]


async def test_long_digest_becomes_several_messages(core: Core, emu: DiscordEmulator) -> None:
    long = Reply(title="Long", lines=tuple(Line("word " * 150) for _ in range(40)))
    async with running(core, emu) as svc:
        delivery = await send_all(svc.notifier, str(CHANNEL), long, "k")
    messages = emu.channel_messages(CHANNEL)
    assert len(delivery.message_ids) == len(messages) >= 2
    assert sum(len(m.embeds) for m in messages) >= 4


async def test_rate_limit_is_waited_out(core: Core, emu: DiscordEmulator) -> None:
    emu.fail_next("POST", rf"/channels/{CHANNEL}/messages", 429, retry_after=0.05, times=2)
    async with running(core, emu) as svc:
        delivery = await send_all(svc.notifier, str(CHANNEL), DIGEST, "k")
    statuses = [r.status for r in emu.requests if r.method == "POST" and "messages" in r.path]
    assert statuses == [429, 429, 200] and len(delivery.message_ids) == 1


@pytest.mark.parametrize("status", [403, 404])
async def test_gone_channel_marks_the_chat_inactive(
    core: Core, emu: DiscordEmulator, status: int
) -> None:
    async with running(core, emu) as svc:
        rec = await emu.inject_slash_command(
            "today", guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        await emu.wait_for_callback(rec.id)
        assert (await core.store.chats.get("discord", str(CHANNEL))).active  # type: ignore[union-attr]
        if status == 403:
            emu.forbid_channel(CHANNEL)
        else:
            emu.delete_channel(CHANNEL)
        with pytest.raises(ChatGone):
            await send_all(svc.notifier, str(CHANNEL), DIGEST, "k")
        chat = await core.store.chats.get("discord", str(CHANNEL))
        assert chat is not None and not chat.active and str(status) in (chat.inactive_reason or "")
        posts = [r for r in emu.requests if r.method == "POST" and "messages" in r.path]
        assert len(posts) == 1  # not retried
        # Used again later (the bot was let back in): the chat is recorded as active again.
        emu.restore_channel(CHANNEL)
        again = await emu.inject_slash_command(
            "today", guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        await emu.wait_for_callback(again.id)
        assert (await core.store.chats.get("discord", str(CHANNEL))).active  # type: ignore[union-attr]


async def test_other_failures_are_worth_retrying(core: Core, emu: DiscordEmulator) -> None:
    emu.fail_next("POST", rf"/channels/{CHANNEL}/messages", 400)
    async with running(core, emu) as svc:
        with pytest.raises(DeliveryFailed) as failed:
            await send_all(svc.notifier, str(CHANNEL), DIGEST, "k")
        with pytest.raises(DeliveryFailed):
            await send_all(svc.notifier, "not-a-channel", DIGEST, "k")
    assert not isinstance(failed.value, ChatGone)
    chat = await core.store.chats.get("discord", str(CHANNEL))
    assert chat is None or chat.active


async def test_a_page_sent_again_with_its_key_is_not_posted_twice(
    core: Core, emu: DiscordEmulator
) -> None:
    """A retry after a lost answer: the same key gives the same nonce, Discord the same message."""
    async with running(core, emu) as svc:
        [page] = svc.notifier.pages(DIGEST)
        first = await svc.notifier.send_page(str(CHANNEL), page, "7:2025-01-24:0")
        again = await svc.notifier.send_page(str(CHANNEL), page, "7:2025-01-24:0")
        other = await svc.notifier.send_page(str(CHANNEL), page, "7:2025-01-25:0")
    assert first.message_ids == again.message_ids != other.message_ids
    assert len(emu.channel_messages(CHANNEL)) == 2


# -- shards over processes: each posts in the guilds of its shards ------------------------------

SHARD_1_GUILD = (3 << 22) + 7  # (id >> 22) % 2 == 1; GUILD is on shard 0
SHARD_1_CHANNEL = 810000000000000002
GONE_CHANNEL = 810000000000000099  # in no guild the bot is in: deleted while subscribed
DUE = dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)  # Love wins all, 1 year


@contextlib.asynccontextmanager
async def shard_services(core: Core, emu: DiscordEmulator) -> AsyncIterator[list[DiscordService]]:
    """Shards 0 and 1 of 2, each a service of its own on one store, as two processes run them."""
    with restore_discord_globals():
        services = [
            DiscordService(
                settings_for(emu, discord_shard_count=2, discord_shard_ids=str(shard)),
                core,
                guild_ready_timeout=0.05,
            )
            for shard in (0, 1)
        ]
        try:
            for svc in services:
                await asyncio.wait_for(svc.start(), 5)
            yield services
        finally:
            for svc in services:
                await svc.stop()


def _posts_to(emu: DiscordEmulator, channel: int) -> int:
    path = f"/channels/{channel}/messages"
    return sum(1 for r in emu.requests if r.method == "POST" and r.path == path)


async def test_each_shard_posts_its_guilds_and_shard_0_tries_a_channel_nobody_sees(
    core: Core, clock: FixedClock
) -> None:
    """A channel in no guild of any session waits ORPHAN_AFTER for its owner, then shard 0's
    process tries it once, and Discord's 404 pauses its subscription; shard 1 never tries it."""
    async with configured_emulator(shard_count=2) as emu:
        emu.add_guild(SHARD_1_GUILD, "Other fans", owner_id=OWNER,
                      channels=[text_channel(SHARD_1_CHANNEL, "news")])
        emu.delete_channel(GONE_CHANNEL)
        store = core.store
        for channel in (CHANNEL, SHARD_1_CHANNEL, GONE_CHANNEL):
            made = DUE - dt.timedelta(days=1)
            await store.subscriptions.put(
                "discord", str(channel), "group", None, dt.time(0), "UTC", (), "x:1", made
            )
        clock.set(DUE + dt.timedelta(minutes=1))
        async with shard_services(core, emu) as services:
            runners = [Reminders(store, {"discord": s.notifier}, clock) for s in services]
            assert [await r.tick() for r in runners] == [1, 1]  # each its own guild's channel
            assert (_posts_to(emu, CHANNEL), _posts_to(emu, SHARD_1_CHANNEL)) == (1, 1)
            clock.advance(ORPHAN_AFTER / 2)
            assert [await r.tick() for r in runners] == [0, 0]
            assert _posts_to(emu, GONE_CHANNEL) == 0  # its owner may still come
            clock.advance(ORPHAN_AFTER / 2)
            assert await runners[1].tick() == 0 and _posts_to(emu, GONE_CHANNEL) == 0
            assert await runners[0].tick() == 0 and _posts_to(emu, GONE_CHANNEL) == 1
            assert [await r.tick() for r in runners] == [0, 0]
        subs = store.subscriptions
        delivered = [await subs.get(sid) for sid, _ in await subs.ledger()]
        assert sorted(int(s.chat_id) for s in delivered if s) == [CHANNEL, SHARD_1_CHANNEL]
        assert {s.chat_id for s in await store.subscriptions.active()} == {
            str(CHANNEL), str(SHARD_1_CHANNEL)
        }  # the gone channel's subscription is paused
        chat = await store.chats.get("discord", str(GONE_CHANNEL))
        assert chat is not None and not chat.active and "404" in (chat.inactive_reason or "")


async def test_a_shard_process_not_yet_connected_posts_nowhere(core: Core) -> None:
    """Before its session is ready it knows no guild of its own: every chat is left for later
    (the catch-up tick), none taken as an orphan however long it waited. Never logged in, so
    there is nothing to close."""
    async with configured_emulator(shard_count=2) as emu:
        settings = settings_for(emu, discord_shard_count=2, discord_shard_ids="0")
        with restore_discord_globals():
            svc = DiscordService(settings, core)
            now = DUE
            for _ in range(3):
                assert svc.notifier.serves({str(CHANNEL), str(GONE_CHANNEL)}, now) == set()
                now += ORPHAN_AFTER


async def test_a_process_of_every_shard_serves_every_chat(core: Core) -> None:
    """DISCORD_SHARD_COUNT without DISCORD_SHARD_IDS (or naming all of them): one process."""
    async with configured_emulator(shard_count=2) as emu:
        with restore_discord_globals():
            for ids in (None, "0,1"):
                settings = settings_for(emu, discord_shard_count=2, discord_shard_ids=ids)
                svc = DiscordService(settings, core)
                assert svc.notifier.serves({str(CHANNEL), "1"}, DUE) == {str(CHANNEL), "1"}
