"""One day's reminders for 1,000, 10,000 and 100,000 subscriptions over the 100,000-fact store.

Most subscriptions keep the default, 09:00 KST (Asia/Seoul); the rest chose an hour that fell
in the last five hours in another zone; a third follow every subject, the others one to three.
The bench's moment is 09:30 KST, so every subscription is due.

- Digests: `Reminders.due_posts()` finds what each would post (anniversaries, day counts,
  countdowns, status changes, the ledger of what was delivered). Its floor is the very SQL it
  ran (recorded with `Database.trace`) replayed in plain sqlite3 on the same file.
- Delivery: the real PTB bot of the Telegram service posts every digest to the Bot API emulator
  through `Reminders.tick()` (a claim in the store's ledger per subscription and day, each page
  recorded), with the rate limiter set to LIMIT messages a second; the rate is messages
  accepted per second between the first and the last, against that limit.
- Exactly once: messages are counted per chat at the emulator; every chat due must hold exactly
  its digest's pages (one post), no other chat any; a second tick must send nothing. The bench
  fails if not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram.ext import AIORateLimiter, ExtBot

from adapters.telegram.service import GROUP_PER_MINUTE, TelegramService
from bench.floor import connect, record, replay
from bench.report import Report, growth, scaled, verdict
from bench.synth import cached_store
from bot.clock import FixedClock
from bot.core import Core
from bot.fan.commands import fan_commands
from bot.reminders.runner import IN_FLIGHT, Reminders
from bot.settings import Settings
from storage.store import Store
from tests.emulators.telegram_api import TelegramEmulator

SIZES = tuple(scaled(n, 100) for n in (1_000, 10_000, 100_000))  # subscriptions
FACTS = scaled(100_000, 1000)
LIMIT = 200  # messages a second: the high test limit of the rate limiter
DELIVERY_TARGET = 0.95  # of the limiter's rate
BARE_SAMPLE = scaled(4000, 400)  # pages the bare sender sends: enough for a steady rate
ROUNDS = 3 if SIZES[0] >= 1000 else 1
NOW = dt.datetime(2025, 6, 1, 0, 30, tzinfo=dt.UTC)  # 09:30 KST
DEFAULT = ("09:00", "Asia/Seoul")
SHARING_DEFAULT = 0.8
ZONES = ("Asia/Tokyo", "America/New_York", "Europe/London", "UTC", "Australia/Sydney")
TOKEN = "123456:BENCH-reminders"


def _subscribe_all(db: Path, count: int, seed: int = 3) -> None:
    """`count` group chats and their subscriptions, written with plain sqlite3 in one go."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    subject_ids = [r[0] for r in con.execute("SELECT id FROM subjects")]
    chats, subs = [], []
    for i in range(count):
        chat_id = str(-1_000_000 - i)
        chats.append(("telegram", chat_id, "group", f"fans {i}"))
        if rng.random() < SHARING_DEFAULT:
            at, zone = DEFAULT
        else:
            zone = rng.choice(ZONES)
            local = (NOW - dt.timedelta(minutes=rng.randrange(1, 300))).astimezone(ZoneInfo(zone))
            at = local.strftime("%H:%M")
        follows = [] if rng.random() < 1 / 3 else rng.sample(subject_ids, rng.randint(1, 3))
        subs.append((at, zone, json.dumps(follows), chat_id))
    with con:
        con.executemany(
            "INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)", chats
        )
        con.executemany(
            "INSERT INTO subscriptions(chat_ref, at_time, zone, subjects, created_by)"
            " SELECT id, ?, ?, ?, 'bench' FROM chats WHERE platform = 'telegram'"
            " AND chat_id = ?",
            subs,
        )
    con.close()


async def _digests(db: Path) -> dict[str, float]:
    """due_posts() timed, then its SQL recorded and replayed in plain sqlite3."""
    store = await Store.open(db)
    try:
        reminders = Reminders(store, {"telegram": object()}, FixedClock(NOW))  # type: ignore[dict-item]
        computes, floors = [], []
        posts: list = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            posts = await reminders.due_posts()
            computes.append(time.perf_counter() - started)
        _, sql = await record(store, reminders.due_posts)
        con = connect(db)
        for _ in range(ROUNDS):
            floors.append(replay(con, sql))
        con.close()
    finally:
        await store.close()
    return {
        "digest_s": statistics.median(computes),
        "floor_s": statistics.median(floors),
        "statements": len(sql),
        "posts": len(posts),
    }


async def _deliver(db: Path) -> dict[str, float]:
    store = await Store.open(db)
    clock = FixedClock(NOW)
    try:
        async with TelegramEmulator(token=TOKEN) as tg:
            settings = Settings(
                _env_file=None,
                telegram_bot_token=TOKEN,  # type: ignore[arg-type]
                telegram_api_base_url=tg.base_url,
                telegram_api_base_file_url=tg.base_file_url,
            )
            service = TelegramService(
                settings,
                Core(store, clock, fan_commands()),
                overall_per_second=LIMIT,
                poll_timeout=1,
            )
            await service.start()
            try:
                reminders = Reminders(store, {"telegram": service.notifier}, clock)
                due = await reminders.due_posts()
                pages = {sub.chat_id: len(service.notifier.pages(reply)) for sub, _, reply in due}
                texts = [
                    (sub.chat_id, page)
                    for sub, _, reply in due
                    for page in service.notifier.pages(reply)
                ]
                started = time.perf_counter()
                delivered = await reminders.tick()
                tick_s = time.perf_counter() - started
                again = await reminders.tick()  # everything is in the ledger: nothing to send
            finally:
                await service.stop()
            sent = [c for c in tg.calls if c.method == "sendMessage" and c.ok]
        ledger = len(await store.subscriptions.ledger())
    finally:
        await store.close()
    per_chat = Counter(str(c.params["chat_id"]) for c in sent)
    posts_per_chat = {chat: per_chat[chat] / n for chat, n in pages.items()}
    strays = set(per_chat) - set(pages)
    once = all(v == 1 for v in posts_per_chat.values()) and not strays and again == 0
    if not once or delivered != len(due) or ledger != len(due):
        raise SystemExit(
            f"exactly once broken: {len(due)} due, {delivered} delivered, {ledger} ledger rows, "
            f"second tick {again}, chats not posted once "
            f"{sum(1 for v in posts_per_chat.values() if v != 1)}, others posted {len(strays)}"
        )
    window = sent[-1].time - sent[0].time if len(sent) > 1 else float("nan")
    return {
        "bare_rate": await _bare_send(texts[:BARE_SAMPLE]),
        "due": len(due),
        "delivered": delivered,
        "ledger": ledger,
        "messages": len(sent),
        "chats": len(per_chat),
        "max_posts_per_chat_day": max(posts_per_chat.values(), default=0),
        "second_tick": again,
        "rate": (len(sent) - 1) / window,
        "tick_s": tick_s,
    }


async def _bare_send(texts: list[tuple[str, str]]) -> float:
    """The machine's own ceiling: a bare PTB bot with fanbot's limiter settings sending the
    same pages to the same chats, as many at once as the runner, with no store at all."""
    async with TelegramEmulator(token=TOKEN) as tg:
        limiter = AIORateLimiter(
            overall_max_rate=LIMIT,
            overall_time_period=1,
            group_max_rate=GROUP_PER_MINUTE,
            group_time_period=60,
            max_retries=0,
        )
        bot = ExtBot(
            TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url, rate_limiter=limiter
        )
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(chat_id: str, text: str) -> None:
            async with gate:
                await bot.send_message(chat_id, text, parse_mode="HTML")

        async with bot:
            await asyncio.gather(*(one(c, t) for c, t in texts))
        sent = [c for c in tg.calls if c.method == "sendMessage" and c.ok]
    return (len(sent) - 1) / (sent[-1].time - sent[0].time) if len(sent) > 1 else float("nan")


def main() -> None:
    for name in ("telegram", "httpx", "bot.reminders.runner", "storage.db"):
        logging.getLogger(name).setLevel(logging.WARNING)

    async def run() -> dict[int, dict[str, float]]:
        out = {}
        with tempfile.TemporaryDirectory() as tmp:
            for count in SIZES:
                db = await cached_store(FACTS // 10, FACTS, copy_to=Path(tmp) / "bench.db")
                _subscribe_all(db, count)
                out[count] = {**await _digests(db), **await _deliver(db)}
        return out

    _write(asyncio.run(run()))


def _write(runs: dict[int, dict[str, float]]) -> None:
    report = Report("reminders")
    report.figures.update(
        {"facts": FACTS, "limit": LIMIT, "sizes": {str(k): v for k, v in runs.items()}}
    )
    report.text(
        f"### Reminders: one day's posts over the {FACTS:,}-fact store",
        f"{SHARING_DEFAULT:.0%} of the subscriptions keep the default 09:00 KST, the rest an "
        "hour of the last five in another zone; all are due. **Digests**: `due_posts()` (what "
        "each would post), median of "
        f"{ROUNDS}; its floor is the very SQL it ran (`Database.trace`) replayed in plain "
        "sqlite3 on the same file. **Delivery**: `tick()` through the real PTB bot to the Bot "
        f"API emulator, each post claimed and each page recorded in the ledger, the limiter at "
        f"{LIMIT} messages/s; the rate is messages accepted per second from the first to the "
        "last. **Bare sender**: a bare PTB bot with the same limiter settings sending the same "
        f"pages to the same chats (the first {BARE_SAMPLE:,} at most), as many at once, with no "
        "store: the machine's own ceiling. "
        "**Once**: messages counted per chat at the emulator, divided by the pages of "
        "that chat's digest; a second tick right after.",
    )
    targets = {}
    rows = []
    for count, r in runs.items():
        ok = r["rate"] >= DELIVERY_TARGET * LIMIT
        targets[f"delivery ≥ {DELIVERY_TARGET:.0%} of the limiter, {count:,} subscriptions"] = ok
        rows.append(
            (
                f"{count:,}",
                f"{r['due']:,.0f}",
                f"{r['digest_s']:.2f} s",
                f"{r['floor_s']:.3f} s ({r['statements']:.0f} statements)",
                f"{r['digest_s'] / r['floor_s']:.1f}×",
                f"{r['rate']:.0f}/s of {LIMIT}/s: {r['rate'] / LIMIT:.0%}, {verdict(ok)}",
                f"{r['bare_rate']:.0f}/s ({r['rate'] / r['bare_rate']:.0%})",
                f"{r['delivered']:,.0f} / {r['ledger']:,.0f} / {r['messages']:,.0f}",
                f"{r['max_posts_per_chat_day']:.0f}; second tick {r['second_tick']:.0f}",
            )
        )
    report.table(
        (
            "subscriptions",
            "posts due",
            "digests",
            "floor (same SQL)",
            "ratio",
            f"delivery (target ≥ {DELIVERY_TARGET:.0%})",
            "bare PTB sender, same pages (fanbot / bare)",
            "delivered / ledger rows / messages",
            "most posts to one chat in the day",
        ),
        rows,
    )
    sizes = list(runs)
    report.text(
        "Growth per ×10 subscriptions: digests "
        f"{growth([runs[s]['digest_s'] for s in sizes])}, floor "
        f"{growth([runs[s]['floor_s'] for s in sizes])}, delivery rate "
        f"{growth([runs[s]['rate'] for s in sizes])}."
    )
    report.figures["targets"] = targets
    report.finish()


if __name__ == "__main__":
    main()
