"""Who may change what: every write command × every kind of caller × every platform.

Exactly bot admins (and, except for /editor, editors) get through; for every refused call
the store — facts, subjects, aliases, audit trail, editors — is byte for byte unchanged.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.app import all_commands
from bot.clock import FixedClock
from bot.commands import Role
from bot.context import Caller, Chat
from bot.core import Core
from storage import bundle as bundles
from storage.editors import Editor
from storage.store import Store
from tests.conftest import SEEDS, text_of

PLATFORMS = ("discord", "telegram", "console")
ROLES = ("bot admin", "editor", "chat admin", "member", "unknown user")
# A line each write command accepts from a caller who may use it (fact #1 is seeded, #8 is
# hidden before each test, and every caller under test has one change of their own to undo).
LINES = {
    "addrelease": '/addrelease IU 2024-10-28 "The Winning" https://a.com/1 album',
    "addmilestone": '/addmilestone IU 2024-02-01 "LWA MV reached 100M views" https://a.com/2',
    "addstatus": '/addstatus V 2025-06-10 "discharged" https://a.com/3',
    "addevent": '/addevent IU 2024-05-01 "IU held a concert" https://a.com/4',
    "addsubject": "/addsubject Jimin member https://a.com/5 BTS",
    "addalias": "/addalias IU Jieunie https://a.com/6",
    "removealias": "/removealias IU Jieun https://a.com/7",
    "edit": "/edit #1 date 2024-01-25 https://a.com/8",
    "remove": "/remove #1 https://a.com/9",
    "restore": "/restore #8 https://a.com/10",
    "undo": "/undo",
    "editor": "/editor add telegram:31337 Newbie",
    # Its writes need MusicBrainz (tests/test_catalog.py); here: who gets through.
    "catalog": "/catalog list",
}
BOT_ADMINS_ONLY = ("editor", "catalog")
# Writes to the facts; a chat's own subscription (chat admins) has its own test in
# test_reminders_commands.py.
WRITE_COMMANDS = sorted(
    c.name for c in all_commands() if c.writes and Role.CHAT_ADMIN not in c.allowed
)


def test_every_write_command_is_in_the_matrix() -> None:
    assert sorted(LINES) == WRITE_COMMANDS


def caller_for(role: str, platform: str) -> Caller:
    ids = {"bot admin": "100", "editor": "200", "chat admin": "300", "member": "400"}
    if role == "unknown user":
        return Caller(platform, "999999999", "")
    return Caller(platform, ids[role], role.title(), is_chat_admin=role == "chat admin")


def chat_for(platform: str) -> Chat:
    if platform == "console":
        return Chat("console", "console", "private", "terminal")
    return Chat(platform, "-1001", "group", "fans")


def allowed(command: str, role: str) -> bool:
    return role == "bot admin" or (role == "editor" and command not in BOT_ADMINS_ONLY)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded store built once; each case works on its own copy."""
    import asyncio

    path = tmp_path_factory.mktemp("matrix") / "template.db"

    async def build() -> None:
        async with await Store.open(path) as store:
            await store.seed_if_empty(SEEDS)

    asyncio.run(build())
    return path


async def dump(store: Store) -> str:
    return bundles.dump(await store.export_bundle())


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", WRITE_COMMANDS)
async def test_write_permissions(
    template: Path, tmp_path: Path, command: str, role: str, platform: str
) -> None:
    path = tmp_path / "case.db"
    shutil.copy(template, path)
    caller, chat = caller_for(role, platform), chat_for(platform)
    boss = Caller(platform, "100", "Bot Admin")
    async with await Store.open(path) as store:
        core = Core(
            store,
            FixedClock(dt.datetime(2025, 1, 24, tzinfo=dt.UTC)),
            all_commands(),
            admins=frozenset({(platform, "100")}),
        )
        async with store.transaction() as tx:
            await tx.editors.put(Editor(platform, "200", "Editor", "x:1", "2025-01-01"))
        assert (await core.handle_line("/remove #8 https://a.com/0", boss, chat)).title
        # The caller's own change, for /undo: made while they were briefly a bot admin.
        core.admins = frozenset({(platform, "100"), (caller.platform, caller.user_id)})
        own = await core.handle_line(
            '/addevent V 2024-06-01 "V posted" https://a.com/o', caller, chat
        )
        assert not own.error, text_of(own)
        core.admins = frozenset({(platform, "100")})
        roles = await core.roles_of(caller)
        assert (Role.BOT_ADMIN in roles) == (role == "bot admin")
        assert (Role.EDITOR in roles) == (role == "editor")

        before = await dump(store)
        reply = await core.handle_line(LINES[command], caller, chat)
        after = await dump(store)
        if allowed(command, role):
            assert not reply.error, text_of(reply)
            assert after != before or command == "catalog"
        else:
            assert reply.error
            assert f"can use /{command}; nothing was changed" in text_of(reply)
            assert after == before
