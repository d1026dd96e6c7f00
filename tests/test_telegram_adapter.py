"""Telegram through the real python-telegram-bot stack and the Bot API emulator on 127.0.0.1.

Every command the core declares is asked in a private chat and in a group; what Telegram would
show must be what the core answered, escaped, never a "can't parse entities".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.context import Caller, Chat
from bot.replies import plain_blocks
from tests.telegram_fixtures import ADMIN, BOT, FAN, GROUP, Running, running

# Arguments that make each command say something real over the seed facts.
EXAMPLES = {
    "help": "milestone",
    "milestone": "V",
    "release": "Love wins all",
    "status": "V",
    "today": "2025-01-24",
    "upcoming": "30",
    "search": "instagram likes",
    "sources": "#4",
}


@pytest.fixture
async def bot(tmp_path: Path):
    async with running(tmp_path) as r:
        yield r


def shown(reply) -> str:
    """What Telegram shows for a one-page reply: its plain blocks, one a line."""
    return "\n".join(plain_blocks(reply))


async def test_every_command_answers_in_private_and_in_a_group(bot: Running) -> None:
    for command in bot.core.registry.listed():  # /start: tests/test_telegram_first_use.py
        line = f"/{command.name} {EXAMPLES.get(command.name, '')}".strip()
        for chat_id, chat in (
            (FAN, Chat("telegram", str(FAN))),
            (GROUP, Chat("telegram", str(GROUP), "group")),
        ):
            text = await bot.ask(chat_id, line)
            caller = Caller(
                "telegram",
                str(FAN if chat_id == FAN else 1001),
                "Fan",
                is_chat_admin=chat_id == FAN,
            )
            if command.writes:  # asking again would not give the same answer
                assert text.splitlines()[0], line
                continue
            expected = await bot.core.handle_line(line, caller, chat)
            assert text == shown(expected), line
    assert not [c for c in bot.tg.calls if not c.ok]


async def test_answers_carry_facts_and_sources(bot: Running) -> None:
    text = await bot.ask(FAN, "/milestone 뷔")
    assert "10 million likes in 6 h 55 min" in text and "Sources:" in text
    assert "28 January 2024" in text
    text = await bot.ask(GROUP, "/today 2025-01-24")
    assert "1st anniversary" in text and "Love wins all" in text
    assert "V" in await bot.ask(GROUP, "/status Taehyung")


async def test_group_etiquette(bot: Running) -> None:
    text = await bot.ask(GROUP, f"/milestone@{BOT} V")
    assert "10 million likes" in text
    call = bot.sends(GROUP)[-1]
    assert call.params["reply_parameters"]["message_id"]  # answers the asker's message
    bot.tg.inject_message(GROUP, "/milestone@otherbot V")
    bot.tg.inject_message(GROUP, "/start")  # another bot's, or nobody's: no noise in a group
    bot.tg.inject_edited_message(GROUP, 1, "/milestone V")
    bot.tg.inject_non_text_message(GROUP, "sticker")
    bot.tg.inject_non_text_message(GROUP, "photo", caption="/milestone V")
    text = await bot.ask(GROUP, "/status V")  # the marker: everything before it is handled
    assert "military" in text.lower()
    await bot.settled()
    assert len(bot.sends(GROUP)) == 2


async def test_private_unknown_command_gets_a_hint(bot: Running) -> None:
    text = await bot.ask(FAN, "/milestne V")
    assert "There is no command /milestne" in text and "/milestone" in text
    assert "Type a command, such as /milestone V" in await bot.ask(FAN, "what about V?")


async def test_bad_input_gets_a_clear_reply(bot: Running) -> None:
    assert "Did you mean" in await bot.ask(FAN, "/milestone Taehyng")
    assert "needs" in await bot.ask(FAN, "/milestone")
    long = await bot.ask(FAN, "/search " + "love " * 800)
    assert "Sorry" in long and "long" in long
    assert "Sorry" in await bot.ask(FAN, "/today 2025-02-30")
    assert not [c for c in bot.tg.calls if not c.ok]


async def test_markup_in_stored_facts_is_shown_inert(bot: Running) -> None:
    summary = "<b>V</b> & IU's <a href='x'>MV</a> *bold* _it_ `code` </i>"
    added = await bot.ask(
        ADMIN, f'/addevent V 2024-02-01 "{summary}" https://example.com/a?b=1&c=<2>'
    )
    assert "Added #" in added, added
    text = await bot.ask(FAN, "/search IU's")
    assert summary in text
    assert not [c for c in bot.tg.calls if not c.ok]  # no "can't parse entities"


async def test_inline_mode_offers_milestones_releases_status(bot: Running) -> None:
    bot.tg.inject_inline_query(FAN, "V")
    call = await bot.tg.wait_for("answerInlineQuery")
    assert call.ok, call.description
    results = {r["id"]: r for r in call.params["results"]}
    assert set(results) == {"milestone", "release", "status"}
    assert "10 million likes" in results["milestone"]["input_message_content"]["message_text"]
    bot.tg.inject_inline_query(FAN, "nobody-at-all-xyz")
    call = await bot.tg.wait_for("answerInlineQuery")
    assert call.ok and call.params["results"] == []


async def test_a_long_answer_is_paged_with_buttons(bot: Running, tmp_path: Path) -> None:
    for n in range(40):
        added = await bot.ask(
            ADMIN,
            f'/addevent V 2023-0{1 + n % 9}-1{n % 9} "V event {n}: '
            + "word " * 25
            + f'" https://example.com/{n}',
        )
        assert "Added #" in added, added
    bot.tg.inject_message(FAN, "/release V")  # a small one first: no keyboard
    assert "reply_markup" not in (await bot.reply_to(FAN)).params
    bot.tg.inject_message(FAN, "/search V event")
    first = await bot.reply_to(FAN)
    keyboard = first.params["reply_markup"]["inline_keyboard"][0]
    total = int(keyboard[0]["text"].split(" / ")[1])
    assert total >= 2 and [b["text"] for b in keyboard] == [f"1 / {total}", "Next ▶"]
    assert all(len(p) <= 4096 for p in [first.result["text"]])
    message_id = first.result["message_id"]
    bot.tg.inject_callback_query(FAN, message_id, keyboard[1]["callback_data"])
    edit = await bot.tg.wait_for("editMessageText")
    assert edit.ok and f"(2/{total})" in edit.result["text"]
    buttons = [b["text"] for b in edit.params["reply_markup"]["inline_keyboard"][0]]
    assert buttons[0] == "◀ Previous" and buttons[1] == f"2 / {total}"
    assert (await bot.tg.wait_for("answerCallbackQuery")).ok
    bot.tg.inject_callback_query(FAN, message_id, "pg:999999:1")  # pages long forgotten
    expired = await bot.tg.wait_for("answerCallbackQuery")
    assert "expired" in expired.params["text"]


async def test_a_429_is_waited_out_for_exactly_retry_after(bot: Running) -> None:
    bot.tg.fail_next("sendMessage", "retry_after", retry_after=7, chat_id=FAN)
    bot.tg.inject_message(FAN, "/milestone V")
    refused, accepted = await bot.reply_to(FAN), await bot.reply_to(FAN)
    assert refused.status == 429 and accepted.ok
    assert bot.slept == [7]  # exactly what Telegram asked for, then the same message again
    assert accepted.params["text"] == refused.params["text"]
    assert "10 million likes" in accepted.result["text"]
    sends = bot.sends(FAN)
    assert [c.status for c in sends] == [429, 200]


async def test_command_menus(bot: Running) -> None:
    default = {c["command"] for c in bot.tg.commands()}
    assert {"milestone", "today", "help"} <= default
    assert "addrelease" not in default and "editor" not in default
    admins = {c["command"] for c in bot.tg.commands({"type": "all_chat_administrators"})}
    assert default <= admins
    mine = {c["command"] for c in bot.tg.commands({"type": "chat", "chat_id": ADMIN})}
    assert {"addrelease", "undo", "editor"} <= mine
    korean = bot.tg.commands(language_code="ko")
    assert any("기념일" in c["description"] for c in korean)


async def test_an_admin_adds_edits_and_undoes_from_telegram(bot: Running) -> None:
    added = await bot.ask(
        ADMIN,
        '/addmilestone IU 2024-03-05 "Love wins all MV reached 100 million views" '
        "https://www.soompi.com/a YouTube views 100000000",
    )
    assert "Added #" in added
    number = added.split("Added #")[1].split()[0]
    assert "100 million views" in await bot.ask(FAN, "/milestone IU")
    edited = await bot.ask(ADMIN, f"/edit #{number} date 2024-03-06 https://www.soompi.com/b")
    assert f"Changed #{number}" in edited
    assert "6 March 2024" in await bot.ask(FAN, "/milestone IU")
    assert "Sorry" in await bot.ask(FAN, f"/remove #{number} nope")  # fans do not write
    undone = await bot.ask(ADMIN, "/undo")
    assert "Sorry" not in undone
    assert "5 March 2024" in await bot.ask(FAN, "/milestone IU")


async def test_an_admin_adds_step_by_step_in_a_private_chat(bot: Running) -> None:
    first = await bot.ask(ADMIN, "/addmilestone")
    assert "/addmilestone, step 1 of 9" in first and "Who:" in first
    prompt = bot.sends(ADMIN)[-1].params
    assert prompt["reply_markup"]["force_reply"] and prompt["reply_markup"]["selective"]
    assert "step 2 of 9" in await bot.ask(ADMIN, "IU")
    wrong = await bot.ask(ADMIN, "2024-02-30")  # no such day: asked again, nothing lost
    assert "has no day 30" in wrong and "step 2 of 9" in wrong
    assert "step 3 of 9" in await bot.ask(ADMIN, "2024-02-01")
    assert "step 4 of 9" in await bot.ask(ADMIN, "Love wins all MV reached 100 million views")
    needed = await bot.ask(ADMIN, "/skip")
    assert "source is needed" in needed and "step 4 of 9" in needed
    optional = await bot.ask(ADMIN, "https://www.soompi.com/article/lwa-100m")
    assert "step 5 of 9" in optional and "/done to save now" in optional
    assert "step 6 of 9" in await bot.ask(ADMIN, "YouTube")
    assert "step 7 of 9" in await bot.ask(ADMIN, "/skip")
    bad_number = await bot.ask(ADMIN, "a lot")
    assert "should be a whole number" in bad_number and "step 7 of 9" in bad_number
    assert "step 8 of 9" in await bot.ask(ADMIN, "100,000,000")
    added = await bot.ask(ADMIN, "/done")
    assert "Added #" in added
    answer = await bot.ask(FAN, "/milestone IU")
    assert "100 million views" in answer and "1 February 2024" in answer
    assert "Unknown command" not in await bot.ask(ADMIN, "/milestone IU")  # the form is closed
    [fact] = await bot.store.search.search("100 million views")
    assert fact.details["platform"] == "YouTube" and fact.details["value"] == 100_000_000
    assert "metric" not in fact.details or not fact.details["metric"]


async def test_a_group_form_is_its_askers_alone_and_cancel_saves_nothing(bot: Running) -> None:
    count = await bot.store.facts.count_facts()
    first = await bot.ask(GROUP, "/addrelease IU", user_id=ADMIN, chat_type="group")
    assert "/addrelease, step 1 of 6" in first and "Date:" in first  # who was given already
    assert bot.sends(GROUP)[-1].params["reply_parameters"]["message_id"]
    bot.tg.inject_message(GROUP, "2024-05-05", user_id=FAN, chat_type="group")  # not theirs
    assert "step 2 of 6" in await bot.ask(GROUP, "2024-05-06", user_id=ADMIN, chat_type="group")
    cancelled = await bot.ask(GROUP, "/cancel", user_id=ADMIN, chat_type="group")
    assert "cancelled" in cancelled and "Nothing was saved" in cancelled
    assert await bot.store.facts.count_facts() == count
    assert len(bot.sends(GROUP)) == 3  # the fan's message and the cancelled form got no more
    bot.tg.inject_message(GROUP, "Love wins all", user_id=ADMIN, chat_type="group")
    assert "military" in (await bot.ask(GROUP, "/status V")).lower()
    assert len(bot.sends(GROUP)) == 4


async def test_a_member_gets_no_form_only_the_refusal(bot: Running) -> None:
    refused = await bot.ask(FAN, "/addmilestone")
    assert "Only bot admins or editors" in refused and "step 1" not in refused
    assert bot.sends(FAN)[-1].params.get("reply_markup") is None


async def test_the_token_never_reaches_a_log_line(tmp_path: Path) -> None:
    import io
    import logging

    from bot import logsetup
    from tests.telegram_fixtures import TOKEN

    stream = io.StringIO()
    handler = logsetup.configure("DEBUG", [TOKEN], stream)
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)  # the worst case: every request URL
    try:
        async with running(tmp_path) as r:
            await r.ask(FAN, "/milestone V")
            r.tg.fail_next("sendMessage", "server_error", chat_id=FAN)
            r.tg.inject_message(FAN, "/status V")  # fails: logged with its traceback
            await r.reply_to(FAN)
    finally:
        logging.getLogger().removeHandler(handler)
    logged = stream.getvalue()
    assert "HTTP Request" in logged or "getUpdates" in logged  # the requests were logged
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged


async def test_webhook_mode(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with running(
        tmp_path,
        telegram_webhook_url=f"http://127.0.0.1:{port}/tg-hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    ) as r:
        assert (await r.tg.wait_for("setWebhook")).ok
        assert "10 million likes" in await r.ask(FAN, "/milestone V")
