"""`fanbot run` with both tokens set: Telegram and Discord served by one process, one loop.

The process is the real command an operator starts; the two emulators run in this test's loop
on 127.0.0.1. SIGTERM stops it cleanly, and neither token appears in what it printed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.emulators.discord_api import DiscordEmulator, one_guild
from tests.emulators.telegram_api import TelegramEmulator

TG_TOKEN = "123456:RUN-both-secret"
DC_TOKEN = "discord.run.both.secret"
GUILD, CHANNEL, FAN = 801, 802, 803


def _env(tmp_path: Path, tg: TelegramEmulator | None, dc: DiscordEmulator | None, **extra: str):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FANBOT_", "TELEGRAM_", "DISCORD_"))
    }
    env.update(FANBOT_DB=str(tmp_path / "fanbot.db"), FANBOT_LOG_LEVEL="DEBUG")
    if tg is not None:
        env.update(
            TELEGRAM_BOT_TOKEN=TG_TOKEN,
            TELEGRAM_API_BASE_URL=tg.base_url,
            TELEGRAM_API_BASE_FILE_URL=tg.base_file_url,
        )
    if dc is not None:
        env.update(
            DISCORD_TOKEN=DC_TOKEN,
            DISCORD_API_BASE_URL=dc.api_base,
            DISCORD_GATEWAY_URL=dc.gateway_url,
        )
    env.update(extra)
    return env


async def _run(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    return (out + err).decode()


def _discord_guild() -> DiscordEmulator:
    return one_guild(DC_TOKEN, 900, GUILD, CHANNEL, FAN)


async def _discord_answers(dc: DiscordEmulator) -> None:
    await dc.wait_until_identified(30, GUILD)
    rec = await dc.inject_slash_command(
        "milestone", {"who": "V"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
    )
    callback = await dc.wait_for_callback(rec.id, timeout=30)
    assert "10 million likes" in str(callback.data)


def _no_secrets(logged: str) -> None:
    assert TG_TOKEN not in logged and TG_TOKEN.split(":")[1] not in logged
    assert DC_TOKEN not in logged
    assert "Traceback" not in logged


async def test_one_process_serves_telegram_and_discord(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TG_TOKEN) as tg, _discord_guild() as dc:
        proc = await _run(tmp_path, _env(tmp_path, tg, dc))
        try:
            tg.inject_message(42, "/milestone V")
            answer = await tg.wait_for("sendMessage", timeout=30)
            assert "10 million likes" in answer.result["text"]
            await _discord_answers(dc)
        finally:
            logged = await _stop(proc)
        assert proc.returncode == 0, logged[-2000:]
        assert "telegram adapter started" in logged and "discord adapter started" in logged
        assert "voice will NOT be supported" not in logged  # fanbot never joins voice
        _no_secrets(logged)


async def test_a_refused_token_alone_ends_with_a_clear_message(tmp_path: Path) -> None:
    async with TelegramEmulator(token="999:the-real-one") as tg:
        proc = await _run(tmp_path, _env(tmp_path, tg, None))
        # Read while waiting: DEBUG output can fill the pipe, and a wait() alone then deadlocks.
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        logged = (out + err).decode()
    assert proc.returncode == 2, logged[-2000:]
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in logged
    assert "no platform accepted its token" in logged
    _no_secrets(logged)


async def test_one_platform_refusing_its_token_leaves_the_other_serving(tmp_path: Path) -> None:
    async with TelegramEmulator(token="999:the-real-one") as tg, _discord_guild() as dc:
        proc = await _run(tmp_path, _env(tmp_path, tg, dc))
        try:
            await _discord_answers(dc)
        finally:
            logged = await _stop(proc)
    assert proc.returncode == 0, logged[-2000:]
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in logged
    assert "discord adapter started" in logged
    _no_secrets(logged)


async def test_a_platform_that_is_down_at_start_is_tried_again(tmp_path: Path) -> None:
    async with TelegramEmulator(token=TG_TOKEN) as tg:
        tg.fail_next("getMe", "server_error", times=2)
        proc = await _run(tmp_path, _env(tmp_path, tg, None))
        try:
            tg.inject_message(42, "/status V")
            answer = await tg.wait_for("sendMessage", timeout=30)
            assert "V" in answer.result["text"]
        finally:
            logged = await _stop(proc)
    assert proc.returncode == 0, logged[-2000:]
    assert "could not start" in logged and "telegram adapter started after 3 attempts" in logged
    _no_secrets(logged)
