"""No secret reaches a log line, even at DEBUG (issue 14, item 16).

The real stacks run against the emulators with every library logger at DEBUG, through the
handler `fanbot run` installs (bot.logsetup with Settings.secrets()), and the whole output
is searched: python-telegram-bot logs setWebhook's parameters, discord.py logs interaction
and webhook URLs (which hold each interaction's token) and gateway payloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx

from bot import logsetup
from bot.app import all_commands
from bot.clock import FixedClock
from bot.commands import Command, Param, ParamKind
from bot.context import Context
from bot.core import Core
from bot.errors import FanbotError
from bot.replies import Line, Reply
from bot.settings import Settings
from storage.store import Store
from tests.telegram_fixtures import ADMIN, TOKEN, running
from tests.test_discord_adapter import CHANNEL, FAN, GUILD, configured_emulator
from tests.test_discord_adapter import TOKEN as DISCORD_TOKEN
from tests.test_discord_adapter import running as discord_running

LIBRARIES = ("telegram", "httpx", "httpcore", "discord", "aiohttp", "asyncio")


@contextlib.contextmanager
def everything_logged(settings: Settings) -> Iterator[io.StringIO]:
    """Root logging as `fanbot run` sets it, then every library turned up to DEBUG."""
    stream = io.StringIO()
    handler = logsetup.configure("DEBUG", settings.secrets(), stream)
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_webhook_secret_is_redacted_and_a_forged_update_refused(
    tmp_path: Path,
) -> None:
    port = free_port()
    webhook = {
        "telegram_webhook_url": f"http://127.0.0.1:{port}/tg-hook",
        "telegram_webhook_listen": "127.0.0.1",
        "telegram_webhook_port": port,
    }
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN, **webhook)  # type: ignore[arg-type]
    secret = settings.webhook_secret()  # derived from the token: no TELEGRAM_WEBHOOK_SECRET
    with everything_logged(settings) as stream:
        async with running(tmp_path, **webhook) as bot:
            registered = await bot.tg.wait_for("setWebhook")
            assert registered.ok and registered.params["secret_token"] == secret
            assert "10 million likes" in await bot.ask(ADMIN, "/milestone V")
            before = await bot.store.facts.count_facts()
            forged = {
                "update_id": 999_999_001,
                "message": {
                    "message_id": 77,
                    "date": 1_700_000_000,
                    "chat": {"id": ADMIN, "type": "private", "first_name": "Admin"},
                    "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"},
                    "text": '/addevent V 2024-02-01 "forged" https://example.com/forged',
                    "entities": [{"type": "bot_command", "offset": 0, "length": 9}],
                },
            }
            async with httpx.AsyncClient() as client:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guessed"}):
                    answer = await client.post(
                        webhook["telegram_webhook_url"], json=forged, headers=headers
                    )
                    assert answer.status_code == 403, headers
            assert "Sources" in await bot.ask(ADMIN, "/sources #4")  # still serving
            await bot.settled()
            assert await bot.store.facts.count_facts() == before  # nothing was written
            assert len(bot.sends(ADMIN)) == 2
    logged = stream.getvalue()
    assert "setWebhook" in logged and "secret_token" in logged  # PTB did log the call
    for value in (secret, TOKEN, TOKEN.split(":")[1]):
        assert value not in logged
    assert logsetup.REDACTED in logged


async def test_discord_interaction_tokens_never_reach_the_log(
    store: Store, clock: FixedClock
) -> None:
    gate = asyncio.Event()

    async def slow(ctx: Context, private: str | None = None) -> Reply:
        await gate.wait()
        if private:
            raise FanbotError("Only for you.")
        return Reply(title="Finally", lines=(Line("done"),))

    param = Param("private", ParamKind.TEXT, "fail privately", required=False)
    core = Core(store, clock, [*all_commands(), Command("slow", "Slow", (param,), slow)])
    settings = Settings(_env_file=None, discord_token=DISCORD_TOKEN)  # type: ignore[call-arg]
    tokens: list[str] = []
    with everything_logged(settings) as stream:
        async with configured_emulator() as emu, discord_running(core, emu, defer_after=0.01):
            where = {"guild_id": GUILD, "channel_id": CHANNEL, "user_id": FAN}
            # Each is deferred (POST /interactions/ID/TOKEN/callback), then answered: the
            # public one edits the original
            # (PATCH /webhooks/APP/TOKEN/messages/@original), the private one follows up
            # (POST /webhooks/APP/TOKEN) and deletes "thinking…".
            edited = await emu.inject_slash_command("slow", {}, **where)
            private = await emu.inject_slash_command("slow", {"private": "yes"}, **where)
            await emu.wait_for_callback(edited.id)
            await emu.wait_for_callback(private.id)
            gate.set()
            await emu.wait_for_original_edit(edited.id)
            await emu.wait_for_followup(private.id)
            tokens += [edited.token, private.token]
    logged = stream.getvalue()
    assert "/interactions/" in logged and "/webhooks/" in logged  # the URLs were logged
    assert "INTERACTION_CREATE" in logged  # and the gateway payloads carrying the token
    for value in (*tokens, DISCORD_TOKEN):
        assert value not in logged
