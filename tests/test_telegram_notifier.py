"""Scheduled posts to Telegram: 429, 403, supergroup migration and membership changes.

The real PTB bot of a running service posts through the emulator; the chats table is a real
SQLite file, so "marked inactive" and "follows the new id" are read back from the store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.reminders.notify import ChatGone, DeliveryFailed, send_all
from bot.replies import Line, Reply
from tests.telegram_fixtures import GROUP, SUPERGROUP, Running, eventually, running

POST = Reply(
    title="1 year ago today",
    lines=(Line("IU released <Love wins all> & V starred in its video"),),
)


@pytest.fixture
async def bot(tmp_path: Path):
    async with running(tmp_path) as r:
        await r.store.chats.ensure("telegram", str(GROUP), "group", "IU & V fans")
        yield r


async def test_a_post_lands_escaped(bot: Running) -> None:
    delivery = await send_all(bot.service.notifier, str(GROUP), POST, "k")
    assert delivery.chat_id == str(GROUP) and len(delivery.message_ids) == 1
    (sent,) = bot.tg.sent_messages(GROUP)
    assert sent["text"] == "1 year ago today\nIU released <Love wins all> & V starred in its video"
    assert sent["entities"][0]["type"] == "bold"


async def test_429_waits_exactly_retry_after(bot: Running) -> None:
    bot.tg.fail_next("sendMessage", "retry_after", retry_after=11, chat_id=GROUP, times=2)
    delivery = await send_all(bot.service.notifier, str(GROUP), POST, "k")
    assert bot.slept == [11, 11] and delivery.message_ids


async def test_403_marks_the_chat_inactive_and_stops(bot: Running) -> None:
    bot.tg.kick_bot(GROUP)
    with pytest.raises(ChatGone):
        await send_all(bot.service.notifier, str(GROUP), POST, "k")
    chat = await bot.store.chats.get("telegram", str(GROUP))
    assert chat is not None and not chat.active and "403" in (chat.inactive_reason or "")
    sends = [c for c in bot.tg.calls if c.method == "sendMessage"]
    assert len(sends) == 1  # no retrying forever


async def test_a_chat_a_post_found_gone_resumes_when_the_bot_is_used_there_again(
    bot: Running,
) -> None:
    """The same rule as Discord's (bot.chats.memory): a paused chat is active again after the
    next command there, so its subscription resumes; it used to stay paused on Telegram."""
    assert "10 million" in await bot.ask(GROUP, "/milestone V")  # the chat is known already
    bot.tg.kick_bot(GROUP)
    with pytest.raises(ChatGone):
        await send_all(bot.service.notifier, str(GROUP), POST, "k")
    assert not (await bot.reply_to(GROUP)).ok  # the refused post, so the next is the answer
    chat = await bot.store.chats.get("telegram", str(GROUP))
    assert chat is not None and not chat.active
    bot.tg.unkick_bot(GROUP)  # let back in; the membership update never reached this bot
    assert "10 million" in await bot.ask(GROUP, "/milestone V")
    chat = await bot.store.chats.get("telegram", str(GROUP))
    assert chat is not None and chat.active and chat.inactive_reason is None


async def test_a_group_that_became_a_supergroup_is_followed(bot: Running) -> None:
    bot.tg.migrate_chat(GROUP, SUPERGROUP, inject=False)
    delivery = await send_all(bot.service.notifier, str(GROUP), POST, "k")
    assert delivery.chat_id == str(SUPERGROUP)
    assert bot.tg.sent_messages(SUPERGROUP) and not bot.tg.sent_messages(GROUP)
    assert await bot.store.chats.get("telegram", str(GROUP)) is None
    moved = await bot.store.chats.get("telegram", str(SUPERGROUP))
    assert moved is not None and moved.active and moved.title == "IU & V fans"


async def test_the_migration_update_moves_the_chat_too(bot: Running) -> None:
    bot.tg.migrate_chat(GROUP, SUPERGROUP, inject=True)

    async def moved() -> bool:
        chats = bot.store.chats
        return (
            await chats.get("telegram", str(GROUP)) is None
            and await chats.get("telegram", str(SUPERGROUP)) is not None
        )

    await eventually(moved)
    assert "10 million" in await bot.ask(SUPERGROUP, "/milestone V")


async def test_being_removed_marks_the_chat_inactive_and_re_adding_revives_it(
    bot: Running,
) -> None:
    async def active() -> bool | None:
        chat = await bot.store.chats.get("telegram", str(GROUP))
        return None if chat is None else chat.active

    async def removed() -> bool:
        return await active() is False

    async def back() -> bool:
        return await active() is True

    bot.tg.inject_my_chat_member(GROUP, "kicked")
    await eventually(removed)
    bot.tg.inject_my_chat_member(GROUP, "member")
    await eventually(back)


async def test_a_server_error_is_worth_retrying_later(bot: Running) -> None:
    bot.tg.fail_next("sendMessage", "server_error", chat_id=GROUP)
    with pytest.raises(DeliveryFailed) as caught:
        await send_all(bot.service.notifier, str(GROUP), POST, "k")
    assert not isinstance(caught.value, ChatGone)
    chat = await bot.store.chats.get("telegram", str(GROUP))
    assert chat is not None and chat.active
