"""`fanbot web`, `fanbot run` with FANBOT_WEB_PORT, and `/calendar` in chat, as operators and
fans meet them: real processes on 127.0.0.1 and the real core."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.app import all_commands
from bot.clock import FixedClock
from bot.core import Core
from storage.store import Store
from tests.conftest import DEFAULT_NOW, ask, text_of
from tests.emulators.telegram_api import TelegramEmulator
from tests.test_run_both import TG_TOKEN, _env, _run, _stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _web(tmp_path: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "adapters.cli",
        "web",
        *args,
        cwd=tmp_path,
        env=_env(tmp_path, None, None, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status, await r.text()


async def _said(stream: asyncio.StreamReader, words: str) -> str:
    """Read a process's output until a line with these words: the event that it is ready."""
    seen = []
    while line := (await asyncio.wait_for(stream.readline(), 30)).decode():
        seen.append(line)
        if words in line:
            return line
    raise AssertionError(f"never said {words!r}:\n{''.join(seen)[-2000:]}")


async def test_fanbot_web_serves_v_page_over_the_seed_store(tmp_path: Path) -> None:
    port = _free_port()
    proc = await _web(tmp_path, "--port", str(port), FANBOT_LOG_LEVEL="INFO")
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.decode().strip() == (
            f"Serving the website at http://127.0.0.1:{port}/ (Ctrl-C stops it)"
        )
        status, html = await _get(f"http://127.0.0.1:{port}/artist/v")
        assert status == 200
        assert "V&#39;s Instagram post with IU reached 10 million likes" in html
        assert "King and Queen" in html
        status, feed = await _get(f"http://127.0.0.1:{port}/calendar/iu.ics")
        assert status == 200 and "SUMMARY:IU released her pre-release single Love wins all" in feed
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode()


async def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await _web(tmp_path, FANBOT_WEB_PORT=str(port), FANBOT_LOG_LEVEL="WARNING")
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    said = err.decode().strip().splitlines()
    assert proc.returncode == 2
    assert said[-1].startswith(f"fanbot: the website cannot listen on 127.0.0.1:{port}: ")
    assert "FANBOT_WEB_PORT" in said[-1] and "Traceback" not in err.decode()


async def test_fanbot_run_with_a_taken_web_port_stops_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(tmp_path, None, None, FANBOT_WEB_PORT=str(port), FANBOT_LOG_LEVEL="WARNING")
        proc = await _run(tmp_path, env)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith(f"fanbot: the website cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in err.decode()


async def test_a_wrong_web_setting_is_named(tmp_path: Path) -> None:
    proc = await _web(tmp_path, FANBOT_PUBLIC_URL="fans.example.org")
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert "FANBOT_PUBLIC_URL" in err.decode() and "Traceback" not in err.decode()


async def test_fanbot_run_serves_the_site_beside_the_bots(tmp_path: Path) -> None:
    port = _free_port()
    async with TelegramEmulator(token=TG_TOKEN) as tg:
        env = _env(
            tmp_path,
            tg,
            None,
            FANBOT_WEB_PORT=str(port),
            FANBOT_PUBLIC_URL="https://fans.example.org",
        )
        proc = await _run(tmp_path, env)
        try:
            await _said(proc.stderr, f"the website is at http://127.0.0.1:{port}/")
            status, html = await _get(f"http://127.0.0.1:{port}/artist/iu")
            assert status == 200 and "Love wins all" in html
            assert "webcal://fans.example.org/calendar/iu.ics" in html
            tg.inject_message(42, "/calendar IU")
            answer = await tg.wait_for("sendMessage", timeout=30)
            assert "webcal://fans.example.org/calendar/iu.ics" in answer.result["text"]
        finally:
            logged = await _stop(proc)
    assert proc.returncode == 0, logged[-2000:]
    assert "Traceback" not in logged and TG_TOKEN not in logged


def _core(store: Store, public_url: str | None) -> Core:
    return Core(store, FixedClock(DEFAULT_NOW), all_commands(public_url))


async def test_calendar_answers_the_feed_addresses(store: Store) -> None:
    core = _core(store, "https://fans.example.org/")
    text = text_of(await ask(core, "/calendar 뷔"))
    assert "V: webcal://fans.example.org/calendar/v.ics" in text
    assert "https://fans.example.org/calendar/v.ics" in text
    text = text_of(await ask(core, "/calendar BTS, IU"))
    assert "BTS and its members: webcal://fans.example.org/calendar/bts.ics" in text
    assert "IU: webcal://fans.example.org/calendar/iu.ics" in text
    text = text_of(await ask(core, "/calendar"))
    assert "every artist: webcal://fans.example.org/calendar/all.ics" in text
    assert (await ask(core, "/calendar nobody-at-all")).error


async def test_calendar_without_a_public_address_says_what_to_set(store: Store) -> None:
    reply = await ask(_core(store, None), "/calendar V")
    assert reply.error and "FANBOT_PUBLIC_URL" in text_of(reply)


def test_the_web_settings_are_in_env_example() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    for name in ("FANBOT_WEB_PORT", "FANBOT_WEB_HOST", "FANBOT_PUBLIC_URL"):
        assert f"#{name}=" in example or f"\n{name}=" in example
