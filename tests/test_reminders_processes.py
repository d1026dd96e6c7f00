"""Daily posts from real `fanbot run` processes, on the system clock.

Subscriptions are written to the store due two minutes ago (made two days ago, so that post is
owed and within the grace period): the start-up catch-up tick of each process posts it, with
no wait for a wall-clock minute. Two processes on one store file race for the same posts; the
Telegram emulator holds every sendMessage unanswered until both have posts in flight, so the
race is certain, not a matter of timing. The console run posts too, and leaves quietly right
after /subscribe.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
import socket
from collections import Counter
from pathlib import Path

from bot.app import all_commands
from bot.clock import FixedClock, SystemClock
from bot.context import Caller, Chat
from bot.core import Core
from bot.reminders.runner import IN_FLIGHT
from storage.store import Store
from tests.conftest import SEEDS
from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.telegram_api import TelegramEmulator
from tests.test_cli import run
from tests.test_reminders_scheduler import guild_with_channels
from tests.test_run_both import DC_TOKEN, TG_TOKEN, _env, _no_secrets, _run

ROOT = Caller("console", "root-admin", "Root")
GUILD = (6 << 22) + 1
FIRST_CHANNEL = 840000000000000001
GROUPS = [-6000 - i for i in range(IN_FLIGHT + 8)]  # more than one process has in flight
CHANNELS = [FIRST_CHANNEL + i for i in range(20)]
DUE_LINE = re.compile(r"reminders: (\d+) post\(s\) due, (\d+) completed here")


async def _store_due_now(db: Path, chats: list[tuple[str, str]]) -> dt.date:
    """Seed the store with `chats` subscribed at a minute two minutes ago (UTC), and a fact
    whose 4th anniversary is that day, so each chat owes exactly one post now."""
    due = (SystemClock().now() - dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    day = due.date()
    async with await Store.open(db) as store:
        await store.seed_if_empty(SEEDS)
        core = Core(
            store, FixedClock(due), all_commands(), admins=frozenset({("console", "root-admin")})
        )
        then = day.replace(year=day.year - 4)
        line = f'/addevent IU {then} "IU met her fans on this day" https://a.com/1'
        reply = await core.handle_line(line, ROOT, Chat("console", "console"))
        assert not reply.error, reply
        made = due - dt.timedelta(days=2)
        for platform, chat in chats:
            await store.subscriptions.put(
                platform, chat, "group", None, due.time(), "UTC", (), "x:1", made
            )
    return day


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A `fanbot run` whose output is read as it comes (a full pipe would block it)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.ticked = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None and self.proc.stderr is not None
        await asyncio.gather(self._lines(self.proc.stdout), self._lines(self.proc.stderr))

    async def _lines(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if DUE_LINE.search(line):
                self.ticked.set()

    def completed(self) -> int:
        return sum(int(m[2]) for line in self.lines if (m := DUE_LINE.search(line)))

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), 30)
        await self.reader
        return "".join(self.lines)


async def _start(tmp_path: Path, env: dict[str, str]) -> Process:
    return Process(await _run(tmp_path, {**env, "FANBOT_LOG_LEVEL": "INFO"}))


async def test_two_runs_on_one_store_post_each_chat_once(tmp_path: Path) -> None:
    chats = [("telegram", str(g)) for g in GROUPS] + [("discord", str(c)) for c in CHANNELS]
    await _store_due_now(tmp_path / "fanbot.db", chats)
    dc = DiscordEmulator(token=DC_TOKEN, application_id=900, shard_count=2)
    guild_with_channels(dc, GUILD, CHANNELS)
    async with TelegramEmulator(token=TG_TOKEN) as tg, dc:
        tg.hold("sendMessage")  # a slow Telegram: answers wait until both runs are posting
        runs = []
        for shard in (0, 1):  # one bot, two processes: Discord shards, Telegram webhooks
            port = _free_port()
            env = _env(
                tmp_path,
                tg,
                dc,
                TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
                TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
                TELEGRAM_WEBHOOK_PORT=str(port),
                DISCORD_SHARD_COUNT="2",
                DISCORD_SHARD_IDS=str(shard),
            )
            runs.append(await _start(tmp_path, env))
        logged = ""
        try:
            # One process has at most IN_FLIGHT posts on their way: more held sends than that
            # means both are in the middle of posting the same due minute.
            await tg.wait_held(len(GROUPS), timeout=90)
            tg.release("sendMessage")
            for process in runs:
                await asyncio.wait_for(process.ticked.wait(), 60)
        finally:
            for process in runs:
                logged += await process.stop()
        sends = Counter(c.params["chat_id"] for c in tg.calls if c.method == "sendMessage")
        assert sends == Counter(GROUPS)  # every group once
        posts = Counter(
            r.path.split("/")[2]
            for r in dc.requests
            if r.method == "POST" and r.path.endswith("/messages")
        )
        assert posts == Counter(str(c) for c in CHANNELS)  # every channel once
        for group in GROUPS[:3]:
            assert "4 years ago today: IU met her fans" in tg.sent_messages(group)[0]["text"]
        completed = [process.completed() for process in runs]
        assert sum(completed) == len(chats) and all(completed), completed  # both posted
    assert all(p.proc.returncode == 0 for p in runs), logged[-3000:]
    _no_secrets(logged)


SHARD_1_GUILD = (7 << 22) + 1  # (id >> 22) % 2 == 1; GUILD is on shard 0
SHARD_1_CHANNELS = [841000000000000001 + i for i in range(20)]
POSTED = re.compile(r"posted the digest for \S+ to discord (\d+)")


async def test_each_shard_process_posts_to_its_own_guilds(tmp_path: Path) -> None:
    """Shards 0 and 1 of 2 in two `fanbot run`s on one store, a guild on each shard with 20
    subscribed channels, all due at once: every channel gets its post once, from the process
    whose shard its guild is on ((guild_id >> 22) % 2), never from the other."""
    chats = [("discord", str(c)) for c in CHANNELS + SHARD_1_CHANNELS]
    await _store_due_now(tmp_path / "fanbot.db", chats)
    dc = DiscordEmulator(token=DC_TOKEN, application_id=900, shard_count=2)
    guild_with_channels(dc, GUILD, CHANNELS)
    guild_with_channels(dc, SHARD_1_GUILD, SHARD_1_CHANNELS)

    def posts() -> Counter[str]:
        return Counter(
            r.path.split("/")[2]
            for r in dc.requests
            if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
        )

    async with dc:
        runs = []
        for shard in (0, 1):
            env = _env(tmp_path, None, dc, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS=str(shard))
            runs.append(await _start(tmp_path, env))
        logs = []
        try:
            await dc.wait_for(lambda: sum(posts().values()) >= len(chats), 60, "every post")
            for process in runs:  # the tick's closing line: nothing of it is still under way
                await asyncio.wait_for(process.ticked.wait(), 30)
        finally:
            for process in runs:
                logs.append(await process.stop())
        assert posts() == Counter(chat for _, chat in chats)  # every channel once
    by_process = [{int(m[1]) for m in POSTED.finditer(log)} for log in logs]
    assert by_process == [set(CHANNELS), set(SHARD_1_CHANNELS)], logs[0][-3000:]
    assert all(p.proc.returncode == 0 for p in runs), logs[1][-3000:]
    _no_secrets("".join(logs))


def test_the_console_run_prints_a_post_due_now(tmp_path: Path) -> None:
    asyncio.run(_store_due_now(tmp_path / "data" / "fanbot.db", [("console", "console")]))
    result = run(["run"], tmp_path, stdin="/quit\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("[daily post]") == 1
    assert "4 years ago today: IU met her fans" in result.stdout
    assert "Traceback" not in result.stderr


def test_quit_right_after_subscribe_leaves_quietly(tmp_path: Path) -> None:
    for _ in range(2):  # the rebuild /subscribe starts is still running when /quit comes
        result = run(["run"], tmp_path, stdin="/subscribe\n/quit\n")
        assert result.returncode == 0
        assert "Subscribed" in result.stdout
        assert "Traceback" not in result.stderr and "CancelledError" not in result.stderr
        assert "ERROR" not in result.stderr
