"""Anything a person can type, into every declared command: a reply, never a traceback,
and the store exactly as it was."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from storage import bundle as bundles
from storage.store import Store
from tests.conftest import SEEDS

NASTY = st.sampled_from(
    [
        "",
        " ",
        "@everyone",
        "@here",
        "<b>bold</b>",
        "<script>alert(1)</script>",
        "**x** _y_ `z`",
        "2024-02-30",
        "0000-00-00",
        "#0",
        "#-1",
        "9" * 40,
        "\x00\x07\x1b[31m",
        "뷔",
        "V IU",
        "'",
        '"',
        "“",
        "a" * 5000,
        "\u202e",
        "Robert'); DROP TABLE facts;--",
        "/milestone",
        "%s %d",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=300), st.text(alphabet=st.characters(), max_size=40))
CALLERS = [
    Caller("console", "fan", "Fan"),
    Caller("telegram", "1", "Member", False),
    Caller("discord", "2", "Admin", True),
]


def test_every_command_survives_any_text(tmp_path: Path) -> None:
    async def build() -> tuple[Store, Core, str]:
        store = await Store.open(tmp_path / "fuzz.db")
        await store.seed_if_empty(SEEDS)
        core = Core(store, FixedClock(dt.datetime(2025, 1, 24, tzinfo=dt.UTC)), all_commands())
        return store, core, bundles.dump(await store.export_bundle())

    loop = asyncio.new_event_loop()
    store, core, before = loop.run_until_complete(build())
    names = [c.name for c in core.registry]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        name=st.sampled_from(names),
        text=TEXT,
        caller=st.sampled_from(CALLERS),
        by_name=st.booleans(),
    )
    def check(name: str, text: str, caller: Caller, by_name: bool) -> None:
        chat = Chat(caller.platform, "c1", "group")
        command = core.registry.get(name)
        assert command is not None
        if by_name:  # the Discord path: options by name
            raw = {p.name: text for p in command.params}
            reply = loop.run_until_complete(core.invoke(name, raw, caller, chat))
        else:  # the Telegram and console path: one line
            reply = loop.run_until_complete(core.handle_line(f"/{name} {text}", caller, chat))
        assert reply.title
        if reply.error:
            assert reply.lines and reply.lines[0].text
            assert "Traceback" not in reply.lines[0].text
            assert "went wrong on our side" not in reply.lines[0].text, reply

    try:
        check()
        assert loop.run_until_complete(store.export_bundle()) is not None
        assert bundles.dump(loop.run_until_complete(store.export_bundle())) == before
    finally:
        loop.run_until_complete(store.close())
        loop.close()


def test_every_command_survives_any_text_as_a_bot_admin(tmp_path: Path) -> None:
    """The write paths too: a bot admin's refused change leaves the store exactly as it was."""
    admin = Caller("telegram", "1", "Admin")

    async def build() -> tuple[Store, Core]:
        store = await Store.open(tmp_path / "fuzz-admin.db")
        await store.seed_if_empty(SEEDS)
        core = Core(
            store,
            FixedClock(dt.datetime(2025, 1, 24, tzinfo=dt.UTC)),
            all_commands(),
            admins=frozenset({("telegram", "1")}),
        )
        return store, core

    loop = asyncio.new_event_loop()
    store, core = loop.run_until_complete(build())
    names = [c.name for c in core.registry if c.writes] * 3 + [c.name for c in core.registry]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(name=st.sampled_from(names), text=TEXT, by_name=st.booleans())
    def check(name: str, text: str, by_name: bool) -> None:
        chat = Chat("telegram", "c1", "group")
        command = core.registry.get(name)
        assert command is not None
        before = bundles.dump(loop.run_until_complete(store.export_bundle()))
        if by_name:
            raw = {p.name: text for p in command.params}
            reply = loop.run_until_complete(core.invoke(name, raw, admin, chat))
        else:
            reply = loop.run_until_complete(core.handle_line(f"/{name} {text}", admin, chat))
        assert reply.title
        if reply.error:
            assert reply.lines and reply.lines[0].text
            assert "went wrong on our side" not in reply.lines[0].text, reply
            after = bundles.dump(loop.run_until_complete(store.export_bundle()))
            assert after == before, (name, text)

    try:
        check()
    finally:
        loop.run_until_complete(store.close())
        loop.close()
