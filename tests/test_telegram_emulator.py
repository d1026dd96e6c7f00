"""The Telegram emulator speaks the Bot API well enough for the real python-telegram-bot stack.

Why: every Telegram adapter test leans on this emulator; these tests pin down that PTB's own
client, Application and Updater accept its answers and map its errors to the right exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
)

from tests.emulators.telegram_api import ApiCall, TelegramEmulator

TOKEN = "123456:TEST-token"
USERNAME = "fanbot_test_bot"
GROUP = -4001
SUPERGROUP = -1009876543210


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username=USERNAME) as emulator:
        yield emulator


@pytest.fixture
async def bot(tg: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


def build_app(tg: TelegramEmulator) -> Application:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Own the Application lifecycle the way fanbot's main will (beside discord.py)."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def to_chat(chat_id: int):  # -> predicate over recorded calls
    return lambda call: call.params.get("chat_id") == chat_id


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await update.effective_message.reply_text(f"<b>hello</b> {update.effective_chat.type}",
                                              parse_mode=ParseMode.HTML)


async def test_lifecycle_calls_and_identity(tg: TelegramEmulator) -> None:
    app = build_app(tg)
    async with polling(app):
        assert app.bot.username == USERNAME
        assert app.bot.id == 123456
        assert app.bot.bot.supports_inline_queries and app.bot.bot.can_join_groups
        await tg.wait_for_poller()
    methods = [call.method for call in tg.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert methods[-1] == "getUpdates"  # the updater's final call that confirms fetched updates
    assert set(methods) == {"getMe", "deleteWebhook", "getUpdates"}


async def test_start_command_in_private_and_group(tg: TelegramEmulator) -> None:
    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    async with polling(app):
        tg.inject_message(42, "/start", first_name="Army")
        private = await tg.wait_for("sendMessage", to_chat(42))
        tg.inject_message(GROUP, "/start@other_bot", chat_title="ARMY")  # not for us: ignored
        tg.inject_message(GROUP, f"/start@{USERNAME}", user_id=77)
        group = await tg.wait_for("sendMessage", to_chat(GROUP))
    assert private.params["parse_mode"] == "HTML"
    assert private.result["text"] == "hello private"
    assert private.result["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert private.result["from"]["username"] == USERNAME
    assert group.result["chat"] == {"id": GROUP, "type": "group", "title": "ARMY"}
    assert group.result["reply_to_message"]["text"] == f"/start@{USERNAME}"
    assert [m["text"] for m in tg.sent_messages(GROUP)] == ["hello group"]
    assert tg.pending_updates == []  # the updater confirmed everything via offset


async def test_inline_query_answered(tg: TelegramEmulator) -> None:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        text = f"<b>{update.inline_query.query}</b>"
        content = InputTextMessageContent(text, parse_mode=ParseMode.HTML)
        await update.inline_query.answer([InlineQueryResultArticle("r1", "BTS", content)])

    app = build_app(tg)
    app.add_handler(InlineQueryHandler(answer))
    async with polling(app):
        update = tg.inject_inline_query(42, "bts")
        call = await tg.wait_for("answerInlineQuery")
    assert call.ok and call.params["inline_query_id"] == update["inline_query"]["id"]
    assert call.params["results"][0]["id"] == "r1"
    assert call.params["results"][0]["input_message_content"]["message_text"] == "<b>bts</b>"


async def test_callback_query_answered_and_message_edited(tg: TelegramEmulator) -> None:
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("ok")
        await query.edit_message_text(f"chosen {query.data}")

    app = build_app(tg)
    app.add_handler(CallbackQueryHandler(pressed))
    async with polling(app):
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("V", callback_data="v")]])
        sent = await app.bot.send_message(42, "pick one", reply_markup=keyboard)
        assert sent.reply_markup == keyboard
        tg.inject_callback_query(42, sent.message_id, "v")
        answered = await tg.wait_for("answerCallbackQuery")
        edited = await tg.wait_for("editMessageText")
    assert answered.ok and answered.params["text"] == "ok"
    assert edited.ok and edited.result["text"] == "chosen v"
    assert [m["text"] for m in tg.sent_messages(42)] == ["chosen v"]
    assert "reply_markup" not in tg.sent_messages(42)[0]  # an edit without markup drops it


async def test_html_is_validated_like_telegram(tg: TelegramEmulator, bot: Bot) -> None:
    for bad in ["<b>unclosed", "<p>para</p>", "a < b", "Tom & Jerry", "<b>x</i>"]:
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(42, bad, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)unsupported start tag"):  # PTB lowercases it
        await bot.send_message(42, "<p>x</p>", parse_mode=ParseMode.HTML)
    assert tg.calls[-1].description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0'
    )
    html = (
        '&lt;3 💜 <a href="https://x.y/?a=1&amp;b=2">l</a> <pre><code class="language-py">1'
        "</code></pre>"
    )
    ok = await bot.send_message(42, html, parse_mode=ParseMode.HTML)
    assert ok.text == "<3 💜 l 1"
    assert [(e.type, e.offset, e.length) for e in ok.entities] == [
        ("text_link", 6, 1), ("pre", 8, 1)  # offsets count UTF-16 units: 💜 is two
    ]
    assert ok.entities[0].url == "https://x.y/?a=1&b=2" and ok.entities[1].language == "py"
    await bot.send_message(42, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "a" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(42, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(html, 42, ok.message_id, parse_mode=ParseMode.HTML)
    edited = await bot.edit_message_text("<3 💜 l 1", 42, ok.message_id)  # entities differ
    assert edited.entities == () and edited.edit_date is not None


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
async def test_faults_surface_as_ptb_exceptions(tg: TelegramEmulator, bot: Bot) -> None:
    tg.fail_next("sendMessage", "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(42, "hi")
    assert seconds(flood.value.retry_after) == 7
    await bot.send_message(42, "hi")  # only the next call failed

    tg.fail_next("sendMessage", "kicked", chat_id=GROUP)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(GROUP, "hi")
    tg.fail_next("sendMessage", "blocked")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "hi")

    tg.fail_next("sendMessage", "migrated", chat_id=-4002, migrate_to_chat_id=SUPERGROUP)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4002, "hi")
    assert migrated.value.new_chat_id == SUPERGROUP
    body = tg.calls[-1].response
    assert body["parameters"] == {"migrate_to_chat_id": SUPERGROUP}
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"


async def test_permanent_kick_and_migration(tg: TelegramEmulator, bot: Bot) -> None:
    tg.kick_bot(SUPERGROUP)
    for _ in range(2):
        with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
            await bot.send_message(SUPERGROUP, "hi")
    new_id = tg.migrate_chat(GROUP)
    for _ in range(2):
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(GROUP, "hi")
        assert migrated.value.new_chat_id == new_id
    sent = await bot.send_message(new_id, "hi")
    assert sent.chat.type == "supergroup"
    kinds = [u["message"].get("migrate_to_chat_id") for u in tg.pending_updates]
    assert kinds == [new_id, None]


async def test_my_chat_member_marks_the_bot_removed(tg: TelegramEmulator, bot: Bot) -> None:
    update = tg.inject_my_chat_member(GROUP, "kicked")
    parsed = Update.de_json(update, bot)
    assert parsed.my_chat_member is not None
    assert parsed.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden):
        await bot.send_message(GROUP, "hi")
    tg.inject_my_chat_member(GROUP, "administrator")
    await bot.send_message(GROUP, "back")


async def test_long_poll_wakes_on_injection_and_offset_confirms(
    tg: TelegramEmulator, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_for_poller()
    started = loop.time()
    tg.inject_non_text_message(42, "sticker")
    updates = await poll
    assert loop.time() - started < 1.0  # woke at once, not at the 10 s timeout
    assert updates[0].message is not None and updates[0].message.sticker is not None

    tg.inject_message(42, "one")
    tg.inject_edited_message(42, 1, "edited")
    assert len(await bot.get_updates(offset=updates[0].update_id, limit=1)) == 1
    rest = await bot.get_updates(offset=updates[0].update_id + 1)
    assert [u.message.text if u.message else u.edited_message.text for u in rest] == [
        "one", "edited"
    ]
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
    assert tg.pending_updates == []
    started = loop.time()
    assert await bot.get_updates(timeout=dtm.timedelta(milliseconds=200)) == ()
    assert loop.time() - started >= 0.15  # it did wait for the (short) timeout


async def test_second_poller_terminates_the_first(tg: TelegramEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_for_poller()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.base_url}{TOKEN}/getUpdates?timeout=0") as response:
            assert (await response.json()) == {"ok": True, "result": []}
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_raw_http_shapes_and_commands(tg: TelegramEmulator, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False, "error_code": 401, "description": "Unauthorized"
            }
        async with http.post(f"{tg.base_url}{TOKEN}/nosuchMethod") as response:
            assert response.status == 404 and (await response.json())["description"] == "Not Found"
        markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
        payload = {"chat_id": 7, "text": "json", "reply_markup": markup}
        async with http.post(f"{tg.base_url}{TOKEN}/SENDMESSAGE", json=payload) as response:
            assert (await response.json())["result"]["reply_markup"] == markup
    assert tg.calls[-1].method == "sendMessage" and tg.calls[-1].params["chat_id"] == 7

    with pytest.raises(InvalidToken):
        await Bot("999:WRONG", base_url=tg.base_url).initialize()
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")

    await bot.set_my_commands([("milestone", "Records and milestones"), ("help", "Help")])
    assert [c.command for c in await bot.get_my_commands()] == ["milestone", "help"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad-Name", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    tg.set_chat_member(GROUP, 77, "administrator")
    admin = await bot.get_chat_member(GROUP, 77)
    assert admin.status == "administrator" and admin.can_delete_messages
    assert (await bot.get_chat_member(GROUP, 78)).status == "member"
    assert (await bot.get_chat(GROUP)).type == "group"
    assert (await bot.get_webhook_info()).url == ""


async def test_webhook_delivery_with_secret(tg: TelegramEmulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = build_app(tg)
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="hook", secret_token="s3cret",
        webhook_url=f"http://127.0.0.1:{port}/hook",
    )
    try:
        set_call = await tg.wait_for("setWebhook")
        assert set_call.params["secret_token"] == "s3cret"
        tg.inject_message(42, "/start")
        reply: ApiCall = await tg.wait_for("sendMessage")
        assert reply.result["text"] == "hello private"
        info = await app.bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
