"""Issue 16 end to end: an operator follows BTS from MusicBrainz, a Telegram group subscribes to
the daily post, and on V's birthday the group gets "Happy birthday, V!" with its source, once.

Every piece is the real one: `fanbot catalog add --mbid` as a process against the MusicBrainz
emulator writing a real SQLite file; python-telegram-bot talking to the Bot API emulator over
that same file; the reminders runner that the daily job calls, run as two jobs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.reminders.runner import Reminders
from tests.emulators.musicbrainz_api import BTS, MusicBrainzEmulator, V
from tests.telegram_fixtures import GROUP
from tests.telegram_fixtures import running as telegram_running
from tests.test_catalog_cli import FAST, fanbot

BIRTHDAY = "Happy birthday, V! Born 30 December 1995"
ADMIN_ID = 1002  # administers the group (tests/telegram_fixtures.py's ADMIN is a bot admin)


@pytest.fixture
async def mb() -> AsyncIterator[MusicBrainzEmulator]:
    async with MusicBrainzEmulator(min_interval=FAST) as emulator:
        yield emulator


async def test_a_followed_members_birthday_reaches_a_telegram_group_once(
    tmp_path: Path, mb: MusicBrainzEmulator
) -> None:
    code, out, err = await fanbot(tmp_path, mb, "catalog", "add", "--mbid", BTS)
    assert code == 0, err
    assert "Following BTS." in out
    site = mb.url.removesuffix("/ws/2/")
    async with telegram_running(tmp_path) as bot:  # the same fanbot.db the command wrote
        clock = bot.core.clock
        assert isinstance(clock, FixedClock)
        bot.tg.set_chat_member(GROUP, ADMIN_ID, "administrator")
        subscribed = await bot.ask(GROUP, "/subscribe 9:00 Asia/Seoul BTS", user_id=ADMIN_ID)
        assert "Every day at 09:00 KST (Asia/Seoul), about BTS." in subscribed
        subscribed_at = len(bot.sends(GROUP))

        # Two jobs (a restart, a second process): the store's ledger lets one of them post.
        jobs = [Reminders(bot.store, {"telegram": bot.service.notifier}, clock) for _ in "ab"]
        clock.set(dt.datetime(2025, 12, 29, 23, 59, tzinfo=dt.UTC))  # 30 December, 08:59 KST
        assert [await job.tick() for job in jobs] == [0, 0]
        clock.set(dt.datetime(2025, 12, 30, 0, 0, tzinfo=dt.UTC))  # 09:00 KST, V's birthday
        assert [await job.tick() for job in jobs] == [1, 0]
        assert [await job.tick() for job in jobs] == [0, 0]

        posts = bot.sends(GROUP)[subscribed_at:]
        assert len(posts) == 1 and posts[0].ok, [p.params for p in posts]
        text = posts[0].result["text"]
        assert text.startswith("Today, 30 December 2025")
        assert text.count(BIRTHDAY) == 1, text
        # The birthday line cites its MusicBrainz page: V's artist page, read when it was added.
        (line,) = [ln for ln in text.splitlines() if BIRTHDAY in ln]
        refs = re.findall(r"\[(\d+)\]", line)
        assert len(refs) == 1, line
        (source,) = [ln for ln in text.splitlines() if ln.startswith(f"[{refs[0]}] ")]
        assert "MusicBrainz: V (read " in source and f"<{site}/artist/{V}>" in source, source
        assert posts[0].params["parse_mode"] == "HTML"
