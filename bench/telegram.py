"""Round trips per second through the Bot API emulator: fanbot beside a bare bot.

Both are real python-telegram-bot Applications long-polling the emulator on 127.0.0.1 in this
process; the bare bot answers every command with a fixed string (the library's own ceiling).
fanbot answers questions drawn from the whole 100,000-fact synthetic store (`bench.questions`:
any alias, release title or day), twice: every answer computed afresh (answer keeping off) and
the production setting (answers kept until the store changes, the hit rate shown). Its rate
limiter is opened wide: the bench measures the software, not Telegram's 30-messages-a-second
rule. A round trip ends when the answer's last page arrived.
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
from bench.questions import questions
from bench.report import Report, scaled, verdict
from bench.synth import cached_store
from bot.clock import SystemClock
from bot.core import Core
from bot.fan.commands import fan_commands
from bot.settings import Settings
from storage.store import Store
from tests.emulators.telegram_api import ApiCall, TelegramEmulator

TOKEN = "123456:BENCH-token"
ROUNDS = 3
SEQUENTIAL = scaled(200, 20)
CONCURRENT_TOTAL = scaled(600, 100)
IN_FLIGHT = 50
FACTS = scaled(100_000, 1000)
TARGET = 0.85  # computed afresh, of the bare bot's rate
# "<b>Title</b> (2/3)": a page of several; an answer without the counter is one page.
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
    """Futures for the next answer in each chat, resolved by the emulator's call listener
    when the answer arrived. A long answer is one message: its first page, with buttons that
    turn to the others (adapters/telegram/handlers.py), so its later pages never come unasked."""

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


class Asked:
    """The questions of a round, handed out in turn to whichever chat asks next."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.next = 0

    def take(self) -> str:
        line = self.lines[self.next % len(self.lines)]
        self.next += 1
        return line


async def _one(tg: TelegramEmulator, chat_id: int) -> None:
    answers: Answers = tg.answers  # type: ignore[attr-defined]
    asked: Asked = tg.asked  # type: ignore[attr-defined]
    answer = answers.expect(chat_id)
    question = asked.take()
    tg.inject_message(chat_id, question)
    try:
        call = await asyncio.wait_for(answer, 30)
    except TimeoutError:
        said = f"bench.telegram: no answer in 30 s to {question!r} (chat {chat_id})"
        raise SystemExit(said) from None
    assert call.ok, call.description


async def _sequential(tg: TelegramEmulator) -> float:
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        await _one(tg, 42)
    return SEQUENTIAL / (time.perf_counter() - started)


async def _concurrent(tg: TelegramEmulator) -> float:
    """CONCURRENT_TOTAL round trips from IN_FLIGHT chats, each chat one question at a time."""
    per_chat = max(1, CONCURRENT_TOTAL // IN_FLIGHT)

    async def chat(chat_id: int) -> None:
        for _ in range(per_chat):
            await _one(tg, chat_id)

    started = time.perf_counter()
    await asyncio.gather(*(chat(1000 + i) for i in range(IN_FLIGHT)))
    return per_chat * IN_FLIGHT / (time.perf_counter() - started)


Runner = Callable[[TelegramEmulator], contextlib.AbstractAsyncContextManager[None]]


async def _round(run: Runner, lines: list[str]) -> tuple[float, float]:
    async with TelegramEmulator(token=TOKEN) as tg, run(tg):
        tg.answers = Answers(tg)  # type: ignore[attr-defined]
        tg.asked = Asked(lines)  # type: ignore[attr-defined]
        for _ in range(20):  # warm up connections and the name index
            await _one(tg, 42)
        one = await _sequential(tg)
        many = await _concurrent(tg)
    return one, many


LABELS = ("bare", "afresh", "kept")


async def _measure(db: Path) -> dict:
    per_round = SEQUENTIAL + CONCURRENT_TOTAL + 20
    work = questions(db, ROUNDS * per_round // 4 + 1, seed=11)
    lines = [f"/{kind} {arg}" for kind, arg in work]
    store = await Store.open(db)
    afresh = Core(store, SystemClock(), fan_commands(), keep_answers=False)
    kept = Core(store, SystemClock(), fan_commands())
    await afresh.resolver.warm()
    await kept.resolver.warm()
    bots: dict[str, Runner] = {
        "bare": _bare,
        "afresh": lambda tg: _fanbot(tg, afresh),
        "kept": lambda tg: _fanbot(tg, kept),
    }
    results: dict[str, list[float]] = {f"{k}{n}": [] for k in LABELS for n in ("1", "50")}
    try:
        for r in range(ROUNDS):
            # Each round asks questions of its own; every bot of the round asks the same.
            asked = lines[r * per_round : (r + 1) * per_round]
            for label, run in bots.items():
                one, many = await _round(run, asked)
                results[f"{label}1"].append(one)
                results[f"{label}50"].append(many)
    finally:
        await store.close()
    out: dict = {k: statistics.median(v) for k, v in results.items()}
    out["hit_rate"] = kept.watch.kept_hits / max(1, kept.watch.asked)
    return out


def main() -> None:
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def run() -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(FACTS // 10, FACTS, copy_to=Path(tmp) / "bench.db")
            return await _measure(db)

    m = asyncio.run(run())
    report = Report("telegram")
    report.figures.update(m)
    report.text(
        "### Telegram: questions from the whole store through the Bot API emulator",
        f"Real python-telegram-bot Applications long-polling the emulator on 127.0.0.1; {ROUNDS} "
        f"alternating rounds, medians. fanbot answers `/milestone`, `/status`, `/release` and "
        f"`/today` drawn from the whole {FACTS:,}-fact store (any alias, title or day), its "
        "rate limiter opened wide; a round trip ends at the answer's message (a long answer's "
        "first page, with its page buttons). The bare bot answers a fixed string in the same run.",
    )
    targets = {}
    rows = []
    for key, label in (("1", "one chat at a time"), ("50", f"{IN_FLIGHT} chats at once")):
        bare, fresh, kept = m[f"bare{key}"], m[f"afresh{key}"], m[f"kept{key}"]
        ok = fresh / bare >= TARGET
        targets[f"Telegram afresh ≥ {TARGET:.0%} of bare, {label}"] = ok
        rows.append(
            (
                label,
                f"{bare:,.0f}/s",
                f"{fresh:,.0f}/s",
                f"{fresh / bare:.0%}: {verdict(ok)}",
                f"{kept:,.0f}/s",
                f"{kept / bare:.0%}",
            )
        )
    report.table(
        (
            "load",
            "bare bot, fixed string",
            "fanbot, computed afresh",
            f"afresh / bare (target ≥ {TARGET:.0%})",
            "fanbot, answers kept",
            "kept / bare",
        ),
        rows,
    )
    report.text(
        f"Answers kept found for {m['hit_rate']:.0%} of the questions (production setting)."
    )
    report.figures["targets"] = targets
    report.finish()


if __name__ == "__main__":
    main()
