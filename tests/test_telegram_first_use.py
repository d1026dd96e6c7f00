"""What a new Telegram user meets first (issue 14, items 1-4), through the real PTB stack.

/start and its deep links, edited messages, pages measured as Telegram measures them, and the
answer to a command that does not exist: each against the Bot API emulator on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.telegram_fixtures import FAN, GROUP, Running, running


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
