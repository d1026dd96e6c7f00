"""A running fanbot Telegram service over a real SQLite file, talking to the Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from adapters.telegram.service import TelegramService
from bot.app import all_commands
from bot.clock import FixedClock
from bot.core import Core
from bot.settings import Settings
from storage.store import Store
from tests.conftest import DEFAULT_NOW, SEEDS
from tests.emulators.telegram_api import ApiCall, TelegramEmulator

TOKEN = "123456:TEST-secret-token-value"
BOT = "fanbot_test_bot"
FAN = 42  # a fan's user id, also their private chat's id
ADMIN = 7  # named in FANBOT_ADMINS
GROUP = -4001
SUPERGROUP = -1009876543210


@dataclass
class Running:
    tg: TelegramEmulator
    service: TelegramService
    core: Core
    store: Store
    slept: list[float] = field(default_factory=list)

    async def reply_to(self, chat_id: int, timeout: float = 5.0) -> ApiCall:  # noqa: ASYNC109
        return await self.tg.wait_for(
            "sendMessage", lambda c: c.params.get("chat_id") == chat_id, timeout=timeout
        )

    async def ask(self, chat_id: int, text: str, **kw) -> str:
        """Send a message as a user; the text the bot answered with, as Telegram shows it."""
        self.tg.inject_message(chat_id, text, **kw)
        call = await self.reply_to(chat_id)
        assert call.ok, call.description
        return call.result["text"]

    async def settled(self) -> None:
        """Every update fetched so far has been handled (PTB's queue and workers are idle).

        Updates run concurrently, so a later message's answer does not prove an earlier one
        (answered with silence) is done; this does, before a test counts what was sent."""
        app = self.service.app

        async def idle() -> bool:
            """PTB's update queue is empty and no handler is running"""
            return app.update_queue.empty() and not app.update_processor.current_concurrent_updates

        await eventually(idle)

    def sends(self, chat_id: int) -> list[ApiCall]:
        return [
            c
            for c in self.tg.calls
            if c.method == "sendMessage" and c.params.get("chat_id") == chat_id
        ]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until `check()` holds. Updates are handled concurrently, so the answer to a later
    message is no proof that an earlier update (one fanbot answers with silence) is done."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check.__doc__ or check}")
        await asyncio.sleep(0.01)


def settings_for(tg: TelegramEmulator, db: Path, **extra) -> Settings:
    return Settings(
        _env_file=None,
        fanbot_db=db,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=tg.base_url,
        telegram_api_base_file_url=tg.base_file_url,
        fanbot_admins=f"telegram:{ADMIN}",
        **extra,
    )


@contextlib.asynccontextmanager
async def running(tmp_path: Path, **settings_extra) -> AsyncIterator[Running]:
    async with TelegramEmulator(token=TOKEN, username=BOT) as tg:
        settings = settings_for(tg, tmp_path / "fanbot.db", **settings_extra)
        store = await Store.open(settings.fanbot_db)
        await store.seed_if_empty(SEEDS)
        core = Core(
            store,
            FixedClock(DEFAULT_NOW),
            all_commands(),
            admins=settings.admins,
            language=settings.fanbot_language,
        )
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        service = TelegramService(settings, core, poll_timeout=1, sleep=sleep)
        await service.start()
        try:
            yield Running(tg, service, core, store, slept)
        finally:
            await service.stop()
            await store.close()
