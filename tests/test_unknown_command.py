"""A command that does not exist (issue 14, item 4): the name is echoed harmless, and the
suggestions are commands the caller may use here, in the core, the console and on Telegram."""

from __future__ import annotations

from pathlib import Path

from bot.app import all_commands
from bot.clock import FixedClock
from bot.commands import Command
from bot.context import Caller, Chat, Context
from bot.core import Core
from bot.replies import Reply
from storage.store import Store
from tests.conftest import ask, text_of
from tests.telegram_fixtures import ADMIN, running
from tests.telegram_fixtures import FAN as TG_FAN
from tests.test_cli import run

CONTROL = "\x00\x1b\u202e\u2066\x07"  # NUL, ESC, right-to-left override, LRI, bell
HOSTILE = "\x00\x1b[2J\x1b[31m\u202e\u2066\x07"  # ANSI clear screen and red among them
ADMIN_CALLER = Caller(platform="console", user_id="root-admin", name="Root")


def harmless(text: str) -> bool:
    return not any(ch in text for ch in CONTROL)


async def test_a_fan_is_not_offered_admin_commands(core: Core) -> None:
    fan = text_of(await ask(core, "/addstatu V"))
    assert "There is no command /addstatu" in fan and "/addstatus" not in fan
    admin = text_of(await ask(core, "/addstatu V", ADMIN_CALLER))
    assert "Did you mean: /addstatus" in admin
    assert "/status" in text_of(await ask(core, "/statu V"))  # a fan's own command still is


async def test_a_command_that_needs_a_group_is_not_offered_in_a_private_chat(
    store: Store, clock: FixedClock
) -> None:
    async def topic(ctx: Context) -> Reply:
        return Reply(title="the group's topic")

    group_only = Command("topic", "The group's topic", (), topic, in_private=False)
    core = Core(store, clock, [*all_commands(), group_only])
    fan = Caller("telegram", "5", "Mina")
    private, group = Chat("telegram", "5", "private"), Chat("telegram", "-5", "group")
    assert "/topic" not in text_of(await core.handle_line("/topi", fan, private))
    assert "Did you mean: /topic" in text_of(await core.handle_line("/topi", fan, group))


async def test_the_echoed_name_and_extra_words_lose_control_and_bidi_characters(
    core: Core,
) -> None:
    reply = text_of(await ask(core, f"/mile{HOSTILE}stne V"))
    assert harmless(reply) and "There is no command /mile[2j[31mstne" in reply
    assert "/milestone" in reply  # still recognised through the noise
    extra = text_of(await ask(core, f"/sources #4 {HOSTILE}more"))
    assert harmless(extra) and "takes 1 argument" in extra
    only_noise = text_of(await ask(core, "/\x00\u202e"))
    assert harmless(only_noise) and "/help lists the commands" in only_noise


def test_the_console_prints_no_control_characters(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, stdin=f"/add{HOSTILE}status V\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "There is no command /add[2j[31mstatus" in result.stdout
    assert harmless(result.stdout) and "/addstatus" not in result.stdout.replace(
        "/add[2j[31mstatus", ""
    )


async def test_telegram_echoes_it_harmless_and_offers_only_usable_commands(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as bot:
        fan = await bot.ask(TG_FAN, f"/addstatu{HOSTILE} V")
        assert "There is no command /addstatu" in fan and harmless(fan)
        assert "/addstatus" not in fan
        assert "Did you mean: /addstatus" in await bot.ask(ADMIN, "/addstatu V")
