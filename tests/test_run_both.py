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

from tests.emulators.discord_api import DiscordEmulator, member, text_channel
from tests.emulators.telegram_api import TelegramEmulator

TG_TOKEN = "123456:RUN-both-secret"
DC_TOKEN = "discord.run.both.secret"
GUILD, CHANNEL, FAN = 801, 802, 803


async def test_one_process_serves_telegram_and_discord(tmp_path: Path) -> None:
    discord_emu = DiscordEmulator(token=DC_TOKEN, application_id=900)
    discord_emu.add_guild(
        GUILD,
        "Fans",
        owner_id=FAN,
        channels=[text_channel(CHANNEL, "general")],
        members=[member(FAN, "fan")],
    )
    async with TelegramEmulator(token=TG_TOKEN) as tg, discord_emu as dc:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("FANBOT_", "TELEGRAM_", "DISCORD_"))
        }
        env.update(
            FANBOT_DB=str(tmp_path / "fanbot.db"),
            TELEGRAM_BOT_TOKEN=TG_TOKEN,
            TELEGRAM_API_BASE_URL=tg.base_url,
            TELEGRAM_API_BASE_FILE_URL=tg.base_file_url,
            DISCORD_TOKEN=DC_TOKEN,
            DISCORD_API_BASE_URL=dc.api_base,
            DISCORD_GATEWAY_URL=dc.gateway_url,
            FANBOT_LOG_LEVEL="DEBUG",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters.cli",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            tg.inject_message(42, "/milestone V")
            answer = await tg.wait_for("sendMessage", timeout=30)
            assert "10 million likes" in answer.result["text"]
            await dc.wait_until_identified(30, GUILD)
            rec = await dc.inject_slash_command(
                "milestone", {"who": "V"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
            )
            callback = await dc.wait_for_callback(rec.id, timeout=30)
            assert "10 million likes" in str(callback.data)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()[-2000:]
        logged = (out + err).decode()
        assert "telegram adapter started" in logged and "discord adapter started" in logged
        assert TG_TOKEN not in logged and TG_TOKEN.split(":")[1] not in logged
        assert DC_TOKEN not in logged
        assert "Traceback" not in logged
