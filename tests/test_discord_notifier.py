"""The Discord notifier: posts a Reply to a channel, waits out 429s, retires gone channels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.reminders.notify import ChatGone, DeliveryFailed, send_all
from bot.replies import Line, Reply
from storage.models import PartialDate
from tests.emulators.discord_api import DiscordEmulator
from tests.test_discord_adapter import (
    CHANNEL,
    FAN,
    GUILD,
    NO_MENTIONS,
    configured_emulator,
    running,
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
