"""What a new Telegram user meets first (issue 14, items 1-4), through the real PTB stack.

/start and its deep links, edited messages, pages measured as Telegram measures them, and the
answer to a command that does not exist: each against the Bot API emulator on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core import Core
from bot.text import split_pages
from storage.models import FactKind, NewFact, PartialDate, Source
from tests.conftest import ask, text_of
from tests.emulators.telegram_api import utf16_len
from tests.telegram_fixtures import ADMIN, BOT, FAN, GROUP, Running, running


@pytest.fixture
async def bot(tmp_path: Path):
    async with running(tmp_path) as r:
        yield r


async def test_an_edited_command_is_not_answered_again(bot: Running) -> None:
    assert "10 million likes" in await bot.ask(FAN, "/milestone V")
    asked = bot.tg.calls[-1].result["message_id"] - 1  # the fan's message, just before
    edit = bot.tg.inject_edited_message(FAN, asked, "/status V")
    assert edit["edited_message"]["entities"][0]["type"] == "bot_command"  # as Telegram sends it
    assert "10 million likes" in await bot.ask(GROUP, "/milestone V")
    group_message = bot.sends(GROUP)[-1].params["reply_parameters"]["message_id"]
    bot.tg.inject_edited_message(GROUP, group_message, "/status V")
    assert "Sources" in await bot.ask(FAN, "/sources #4")  # a marker after both edits
    await bot.settled()
    assert len(bot.sends(FAN)) == 2 and len(bot.sends(GROUP)) == 1


async def emoji_facts(bot: Running, count: int = 50) -> None:
    """Facts whose summaries are mostly emoji: 2 UTF-16 units each, 1 Python character."""
    async with bot.store.transaction() as tx:
        for n in range(count):
            await tx.facts.upsert_fact(
                NewFact(
                    key=f"purple-{n}",
                    kind=FactKind.EVENT,
                    summary=f"Purple wave {n} " + "💜" * 150,
                    date=PartialDate(2023, 1 + n % 12, 1 + n % 28),
                    subjects=("v",),
                    sources=(Source(f"Fan cam {n}", url=f"https://example.com/{n}"),),
                ),
            )


async def test_emoji_heavy_pages_stay_within_telegrams_utf16_limit(bot: Running) -> None:
    await emoji_facts(bot)
    bot.tg.inject_message(FAN, "/search purple wave")
    first = await bot.reply_to(FAN)
    assert first.ok, first.description  # not "message is too long"
    keyboard = first.params["reply_markup"]["inline_keyboard"][0]
    total = int(keyboard[0]["text"].split(" / ")[1])
    pages = [first.result["text"]]
    message_id = first.result["message_id"]
    key = keyboard[-1]["callback_data"].split(":")[1]
    for index in range(1, total):
        bot.tg.inject_callback_query(FAN, message_id, f"pg:{key}:{index}")
        edit = await bot.tg.wait_for("editMessageText")
        assert edit.ok, edit.description
        pages.append(edit.result["text"])
    assert all(utf16_len(p) <= 4096 for p in pages)
    assert max(utf16_len(p) for p in pages) > 3800  # pages are filled, not cut short
    shown = "\n".join(pages)
    assert all(f"Purple wave {n} " + "💜" * 150 in shown for n in range(50))  # nothing lost


async def test_the_emulator_refuses_what_telegram_refuses_in_utf16(bot: Running) -> None:
    """Telegram counts the text after entity parsing, in UTF-16 units: so does the emulator."""
    api = bot.service.app.bot
    await api.send_message(FAN, "💜" * 2048)  # 2,048 characters, 4,096 units: the limit
    with pytest.raises(BadRequest, match="Message is too long"):
        await api.send_message(FAN, "💜" * 2049)  # 2,049 characters, 4,098 units
    escaped = "<b>" + "&amp;" * 4096 + "</b>"  # 20,487 characters of HTML, 4,096 shown
    assert (await api.send_message(FAN, escaped, parse_mode=ParseMode.HTML)).text == "&" * 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await api.send_message(FAN, "<i>💜</i>" + "&lt;" * 4095, parse_mode=ParseMode.HTML)


def test_one_splitter_counts_as_the_platform_does() -> None:
    blocks = [f"line {n} " + "💜" * 30 for n in range(40)]
    pages = split_pages(blocks, 300, length=utf16_len)
    assert all(utf16_len(p) <= 300 for p in pages) and len(pages) > 1
    assert "\n".join(pages) == "\n".join(blocks)  # whole blocks, in order, nothing lost
    assert split_pages(blocks, 300) != pages  # by Python characters the cut falls elsewhere
    long_word = "💜" * 500  # no line or word boundary: cut between characters, never inside one
    cut = split_pages([long_word], 301, length=utf16_len)
    assert [utf16_len(p) for p in cut] == [300, 300, 300, 100] and "".join(cut) == long_word


async def test_start_welcomes_with_the_help_also_from_a_deep_link(bot: Running) -> None:
    for line in ("/start", "/start abc-123_x", f"/start@{BOT} ref_instagram"):
        text = await bot.ask(FAN, line)
        assert text.startswith("Welcome to fanbot"), line
        assert "/milestone WHO… — Records and milestones" in text and "Sorry" not in text
        assert "/addstatus" not in text  # a fan's help: their commands only
    assert "/addstatus WHO DATE STATE SOURCE" in await bot.ask(ADMIN, "/start")
    assert (await bot.ask(GROUP, f"/start@{BOT} from-a-link")).startswith("Welcome to fanbot")
    bot.tg.inject_message(GROUP, "/start")  # bare, in a group: any bot's, so nobody's
    assert "military" in (await bot.ask(GROUP, "/status V")).lower()
    await bot.settled()
    assert len(bot.sends(GROUP)) == 2
    assert not [c for c in bot.tg.calls if not c.ok]


async def test_start_is_answered_but_not_offered(bot: Running) -> None:
    """Telegram sends /start by itself; menus and /help offer what people pick."""
    menus = [bot.tg.commands(), bot.tg.commands({"type": "chat", "chat_id": ADMIN})]
    assert all(menu and "start" not in {c["command"] for c in menu} for menu in menus)
    assert "/start" not in await bot.ask(FAN, "/help")
    assert "A welcome" in await bot.ask(FAN, "/help start")


async def test_start_in_the_console_is_the_same_welcome(core: Core) -> None:
    reply = text_of(await ask(core, "/start"))
    assert reply.startswith("Welcome to fanbot") and "/today [DATE]" in reply
