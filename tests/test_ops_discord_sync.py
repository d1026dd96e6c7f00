"""`fanbot discord sync` as an operator runs it, against the Discord emulator on 127.0.0.1:
every way it can go wrong is one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import cli as discord_cli
from bot.settings import Settings
from tests.emulators.discord_api import DiscordEmulator
from tests.fanbot_process import fanbot_async, one_line, seeded_store
from tests.test_discord_adapter import restore_discord_globals

TOKEN = "emulated.discord.bot-token.secret"
APP_ID = 910000000000000001
COMMANDS_PATH = rf"/applications/{APP_ID}/commands"


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator(token=TOKEN, application_id=APP_ID) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return seeded_store(tmp_path_factory.mktemp("seeded"))


@pytest.fixture(autouse=True)
def store(tmp_path: Path, seeded: bytes) -> None:
    """An existing store, so what the operator reads is only what sync says."""
    (tmp_path / "fanbot.db").write_bytes(seeded)


async def sync(tmp_path: Path, api_base: str, token: str = TOKEN):
    return await fanbot_async(
        ["discord", "sync"],
        tmp_path,
        tmp_path / "fanbot.db",
        env={"DISCORD_TOKEN": token, "DISCORD_API_BASE_URL": api_base},
    )


async def test_sync_registers_the_commands(tmp_path: Path, emu: DiscordEmulator) -> None:
    result = await sync(tmp_path, emu.api_base)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Synced {len(emu.global_commands)} commands")
    assert "/milestone" in result.stdout and len(emu.global_commands) > 10


async def test_a_refused_token_is_one_line(tmp_path: Path, emu: DiscordEmulator) -> None:
    wrong = "wrong.discord.token-that-must-not-show"
    result = await sync(tmp_path, emu.api_base, token=wrong)
    one_line(result, 2, "fanbot: Discord refused DISCORD_TOKEN")
    assert wrong not in result.stderr + result.stdout and emu.global_commands == []


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: a connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_no_network_is_one_line(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}/api/v10"
    line = one_line(await sync(tmp_path, base), 2, f"fanbot: could not reach Discord at {base}")
    assert "Connect call failed" in line


async def test_discord_in_trouble_is_one_line(tmp_path: Path, emu: DiscordEmulator) -> None:
    emu.fail_next("PUT", COMMANDS_PATH, 503)
    one_line(await sync(tmp_path, emu.api_base), 2, "fanbot: Discord is in trouble (503)")


async def test_commands_discord_refuses_are_one_line(tmp_path: Path, emu: DiscordEmulator) -> None:
    emu.fail_next("PUT", COMMANDS_PATH, 400, code=30034, message="Max number of daily\ncreates")
    one_line(
        await sync(tmp_path, emu.api_base),
        1,
        "fanbot: Discord refused the commands: 400 Max number of daily creates",
    )


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [("silent", "no answer within 0.5 s"), ("hangs up", "Server disconnected")],
)
async def test_a_discord_that_does_not_answer_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    behaviour: str,
    said: str,
) -> None:
    """A server that takes the connection and says nothing (aiohttp alone would wait 5
    minutes), or closes it without an answer."""
    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        if behaviour == "hangs up":
            await reader.readuntil(b"\r\n\r\n")  # the request read, so the close is clean
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(discord_cli, "SYNC_TIMEOUT", 0.5)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        fanbot_db=tmp_path / "fanbot.db",
        discord_token=TOKEN,
        discord_api_base_url=f"http://127.0.0.1:{port}/api/v10",
    )
    try:
        with restore_discord_globals():
            code = await discord_cli.cmd_sync(settings, argparse.Namespace(guild=None))
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
    assert code == 2 and held
    assert capsys.readouterr().err.strip() == (
        f"fanbot: could not reach Discord at http://127.0.0.1:{port}/api/v10: {said}"
    )
