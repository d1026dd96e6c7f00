"""`/milestone V` round trips per second through the Bot API emulator, fanbot beside a bare bot.

Both are real python-telegram-bot Applications long-polling the emulator on 127.0.0.1 in this
process; the bare bot answers every command with a fixed string (the library's own ceiling).
fanbot runs over the 100,000-fact synthetic store with its rate limiter opened wide: the
bench measures the software, not Telegram's 30-messages-a-second rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from adapters.telegram.service import TelegramService
from bench.synth import cached_store
from bot.clock import SystemClock
from bot.core import Core
from bot.fan_commands import fan_commands
from bot.settings import Settings
from storage.store import Store
from tests.emulators.telegram_api import ApiCall, TelegramEmulator

TOKEN = "123456:BENCH-token"
ROUNDS = 3
SEQUENTIAL = 200
CONCURRENT_TOTAL = 600
IN_FLIGHT = 50
WIDE_OPEN = 1_000_000  # messages a second: no limiter in the way


@contextlib.asynccontextmanager
async def _bare(tg: TelegramEmulator) -> AsyncIterator[None]:
    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Milestones of V")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.COMMAND, answer))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(timeout=dt.timedelta(seconds=1))
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@contextlib.asynccontextmanager
async def _fanbot(tg: TelegramEmulator, core: Core) -> AsyncIterator[None]:
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        telegram_api_base_url=tg.base_url,
        telegram_api_base_file_url=tg.base_file_url,
    )
    service = TelegramService(settings, core, overall_per_second=WIDE_OPEN, poll_timeout=1)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


class Answers:
    """Futures for the next answer in each chat, resolved by the emulator's call listener."""

    def __init__(self, tg: TelegramEmulator):
        self.waiting: dict[int, asyncio.Future[ApiCall]] = {}
        tg.listeners.append(self._seen)

    def _seen(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            future = self.waiting.pop(int(call.params["chat_id"]), None)
            if future is not None and not future.done():
                future.set_result(call)

    def expect(self, chat_id: int) -> asyncio.Future[ApiCall]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future


async def _one(tg: TelegramEmulator, chat_id: int) -> None:
    answers: Answers = tg.answers  # type: ignore[attr-defined]
    answer = answers.expect(chat_id)
    tg.inject_message(chat_id, "/milestone V")
    call = await asyncio.wait_for(answer, 30)
    assert call.ok, call.description


async def _sequential(tg: TelegramEmulator) -> float:
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        await _one(tg, 42)
    return SEQUENTIAL / (time.perf_counter() - started)


async def _concurrent(tg: TelegramEmulator) -> float:
    """CONCURRENT_TOTAL round trips from IN_FLIGHT chats, each chat one question at a time."""
    per_chat = CONCURRENT_TOTAL // IN_FLIGHT

    async def chat(chat_id: int) -> None:
        for _ in range(per_chat):
            await _one(tg, chat_id)

    started = time.perf_counter()
    await asyncio.gather(*(chat(1000 + i) for i in range(IN_FLIGHT)))
    return per_chat * IN_FLIGHT / (time.perf_counter() - started)


Runner = Callable[[TelegramEmulator], contextlib.AbstractAsyncContextManager[None]]


async def _round(run: Runner) -> tuple[float, float]:
    async with TelegramEmulator(token=TOKEN) as tg, run(tg):
        tg.answers = Answers(tg)  # type: ignore[attr-defined]
        for _ in range(20):  # warm up connections and the name index
            await _one(tg, 42)
        one = await _sequential(tg)
        many = await _concurrent(tg)
    return one, many


async def _measure(db: Path) -> dict[str, float]:
    store = await Store.open(db)
    core = Core(store, SystemClock(), fan_commands())
    results: dict[str, list[float]] = {k: [] for k in ("bare1", "bare50", "fan1", "fan50")}
    try:
        for _ in range(ROUNDS):
            for label, run in (("bare", _bare), ("fan", lambda tg: _fanbot(tg, core))):
                one, many = await _round(run)
                results[f"{label}1"].append(one)
                results[f"{label}50"].append(many)
    finally:
        await store.close()
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def run() -> dict[str, float]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(copy_to=Path(tmp) / "bench.db")
            return await _measure(db)

    m = asyncio.run(run())
    print("### Telegram: `/milestone V` through the Bot API emulator\n")
    print(
        f"Real python-telegram-bot Applications long-polling the emulator on 127.0.0.1; "
        f"{ROUNDS} alternating rounds, medians; fanbot over the 100,000-fact synthetic store "
        "(rate limiter opened wide); the bare bot answers a fixed string in the same run.\n"
    )
    print("| load | bare bot, fixed string | fanbot | fanbot / bare (target ≥ 80%) |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("1", "one chat at a time"), ("50", f"{IN_FLIGHT} chats at once")):
        bare, fan = m[f"bare{key}"], m[f"fan{key}"]
        print(f"| {label} | {bare:,.0f}/s | {fan:,.0f}/s | {fan / bare:.0%} |")


if __name__ == "__main__":
    main()
