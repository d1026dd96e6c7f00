"""10,000 subscriptions over the 100,000-fact store: one day's digests, then their delivery.

Computing: every subscription is due (zones and hours spread so that all fall within the
grace period at the bench's moment); `Reminders.due_posts()` finds what each would post.
Its floor is plain sqlite3 reading the same rows (the day's candidate facts and the
subscriptions) in the same run. Delivering: the real PTB bot of the Telegram service posts
them to the Bot API emulator with its rate limiter set to LIMIT messages a second; the
target is at least 90% of that limit, with no post twice and none lost.
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

from adapters.telegram.service import TelegramService
from bench.synth import cached_store
from bot.clock import FixedClock
from bot.core import Core
from bot.fan_commands import fan_commands
from bot.reminders.runner import Reminders
from bot.settings import Settings
from storage.store import Store
from tests.emulators.telegram_api import TelegramEmulator

SUBSCRIPTIONS = 10_000
LIMIT = 200  # messages a second: the high test limit of the rate limiter
ROUNDS = 3
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
ZONES = (
    "Asia/Seoul",
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    "UTC",
    "Australia/Sydney",
    "America/Los_Angeles",
)
TOKEN = "123456:BENCH-reminders"


def _subscribe_all(db: Path, seed: int = 3) -> None:
    """10,000 group chats, each subscribed at an hour that fell in the last five hours."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    subject_ids = [r[0] for r in con.execute("SELECT id FROM subjects")]
    with con:
        for i in range(SUBSCRIPTIONS):
            chat_id = str(-1_000_000 - i)
            con.execute(
                "INSERT INTO chats(platform, chat_id, kind, title) VALUES (?, ?, ?, ?)",
                ("telegram", chat_id, "group", f"fans {i}"),
            )
            zone = rng.choice(ZONES)
            local = (NOW - dt.timedelta(minutes=rng.randrange(1, 300))).astimezone(ZoneInfo(zone))
            subjects = [] if rng.random() < 0.5 else rng.sample(subject_ids, rng.randint(1, 3))
            con.execute(
                "INSERT INTO subscriptions(chat_ref, at_time, zone, subjects, created_by)"
                " SELECT id, ?, ?, ?, 'bench' FROM chats WHERE platform = 'telegram'"
                " AND chat_id = ?",
                (local.strftime("%H:%M"), zone, json.dumps(subjects), chat_id),
            )
    con.close()


def _floor(db: Path) -> float:
    """Plain sqlite3 reading what the digests are made of, for the days the zones are in."""
    con = sqlite3.connect(db)
    started = time.perf_counter()
    con.execute("SELECT * FROM subscriptions s JOIN chats c ON c.id = s.chat_ref").fetchall()
    for day in {NOW.astimezone(ZoneInfo(z)).date() for z in ZONES}:
        con.execute(
            "SELECT f.*, (SELECT group_concat(title) FROM fact_sources WHERE fact_id = f.id)"
            " FROM facts f WHERE f.month = ? AND f.day = ? AND f.year < ? AND f.hidden = 0",
            (day.month, day.day, day.year),
        ).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


async def _compute(db: Path) -> tuple[float, int]:
    store = await Store.open(db)
    try:
        reminders = Reminders(store, {"telegram": object()}, FixedClock(NOW))  # type: ignore
        started = time.perf_counter()
        posts = await reminders.due_posts()
        return time.perf_counter() - started, len(posts)
    finally:
        await store.close()


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
                expected = len(await reminders.due_posts())
                started = time.perf_counter()
                delivered = await reminders.tick()
                elapsed = time.perf_counter() - started
            finally:
                await service.stop()
            per_chat = Counter(
                c.params["chat_id"] for c in tg.calls if c.method == "sendMessage" and c.ok
            )
        ledger = len(await store.subscriptions.ledger())
    finally:
        await store.close()
    return {
        "expected": expected,
        "delivered": delivered,
        "ledger": ledger,
        "sent": sum(per_chat.values()),
        "chats": len(per_chat),
        "twice": sum(1 for n in per_chat.values() if n > 1),
        "rate": delivered / elapsed,
    }


def main() -> None:
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("bot.reminders.runner").setLevel(logging.WARNING)

    async def run() -> tuple[list[float], list[float], int, dict[str, float]]:
        with tempfile.TemporaryDirectory() as tmp:
            db = await cached_store(copy_to=Path(tmp) / "bench.db")
            _subscribe_all(db)
            computes, floors, posts = [], [], 0
            for _ in range(ROUNDS):
                floors.append(_floor(db))
                elapsed, posts = await _compute(db)
                computes.append(elapsed)
            delivery = await _deliver(db)
        return computes, floors, posts, delivery

    computes, floors, posts, d = asyncio.run(run())
    compute, floor = statistics.median(computes), statistics.median(floors)
    print("### Reminders: 10,000 subscriptions over the 100,000-fact store\n")
    print(f"Medians of {ROUNDS} runs; the floor is plain sqlite3 reading the same rows.\n")
    print("| step | fanbot | floor | ratio | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(
        f"| one day's digests for all ({posts:,} to post) | {compute:.2f} s | {floor:.2f} s "
        f"| {compute / floor:.1f}× | ≤ 1 s |"
    )
    print(
        f"| delivery through the Telegram emulator, limiter at {LIMIT}/s | "
        f"{d['rate']:.0f}/s | {LIMIT}/s | {d['rate'] / LIMIT:.0%} of the limit | ≥ 90% |"
    )
    print(
        f"\nDelivered {d['delivered']:,.0f} of {d['expected']:,.0f} due posts; ledger rows "
        f"{d['ledger']:,.0f}; messages accepted {d['sent']:,.0f} in {d['chats']:,.0f} chats; "
        f"chats that got a post twice: {d['twice']:,.0f}."
    )


if __name__ == "__main__":
    main()
