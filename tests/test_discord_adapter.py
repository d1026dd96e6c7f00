"""The Discord adapter through the real discord.py stack against the emulator on 127.0.0.1.

The service is started the way `fanbot run` starts it (settings point REST and gateway at the
emulator), interactions are injected as Discord would send them, and the recorded callbacks
are checked: embeds, ephemeral flags, allowed_mentions, components, modals.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterable

import discord
import discord.gateway
import discord.http
import pytest

from adapters.discord.cli import cmd_sync
from adapters.discord.render import render
from adapters.discord.service import DiscordService, discord_service
from bot.app import all_commands
from bot.clock import FixedClock
from bot.commands import Command, Param, ParamKind, Role
from bot.context import Context
from bot.core import Core
from bot.errors import FanbotError
from bot.replies import Field, Line, Reply
from bot.settings import Settings
from storage.models import NewSubject, PartialDate, Source, SubjectKind
from storage.store import Store
from tests.emulators.discord_api import (
    EPHEMERAL,
    MANAGE_GUILD,
    DiscordEmulator,
    member,
    role,
    text_channel,
)

TOKEN = "emulated.discord.bot-token.secret"
APP_ID = 910000000000000001
GUILD = (4 << 22) + 5
CHANNEL = 810000000000000001
MOD_ROLE = 710000000000000001
OWNER, MOD, FAN = 610000000000000001, 610000000000000002, 610000000000000003
NO_MENTIONS = {"parse": []}


def configured_emulator(**kwargs: object) -> DiscordEmulator:
    emu = DiscordEmulator(token=TOKEN, application_id=APP_ID, **kwargs)  # type: ignore[arg-type]
    emu.add_guild(
        GUILD,
        "ARMY base",
        owner_id=OWNER,
        channels=[text_channel(CHANNEL, "general")],
        roles=[role(MOD_ROLE, "mods", MANAGE_GUILD)],
        members=[member(OWNER, "owner"), member(MOD, "mod", roles=[MOD_ROLE]), member(FAN, "fan")],
    )
    return emu


def settings_for(emu: DiscordEmulator, **extra: object) -> Settings:
    return Settings(
        _env_file=None,
        discord_token=TOKEN,
        discord_api_base_url=emu.api_base,  # type: ignore[call-arg]
        discord_gateway_url=emu.gateway_url,
        **extra,
    )


@contextlib.contextmanager
def restore_discord_globals():
    """The service points its own client at the emulator: discord.py's class attributes stay."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == saved


@contextlib.asynccontextmanager
async def running(
    core: Core, emu: DiscordEmulator, **options: object
) -> AsyncIterator[DiscordService]:
    with restore_discord_globals():
        service = DiscordService(settings_for(emu), core, guild_ready_timeout=0.05, **options)
        await asyncio.wait_for(service.start(), 5)
        try:
            yield service
        finally:
            await service.stop()


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    async with configured_emulator() as emulator:
        yield emulator


@pytest.fixture
async def service(core: Core, emu: DiscordEmulator) -> AsyncIterator[DiscordService]:
    async with running(core, emu) as svc:
        yield svc


def description(callback) -> str:
    return "\n".join(e.get("description") or "" for e in callback.embeds)


# -- test-only commands (the admin feature will bring real ones) --------------------------------

calls: list[tuple[str, dict]] = []


async def _echo(ctx: Context, text: str) -> Reply:
    calls.append(("echo", {"text": text}))
    return Reply(title=f"Echo: {text[:50]}", lines=(Line(text),), fields=(Field("Said", text),))


async def _topic(ctx: Context, text: str) -> Reply:
    calls.append(("topic", {"text": text, "chat": ctx.chat.id}))
    return Reply(title="Topic set", lines=(Line(text),))


async def _long(ctx: Context) -> Reply:
    lines = tuple(
        Line(f"Line {i}: " + "word " * 30, when=PartialDate(2024, 1, 24), refs=(1,))
        for i in range(120)
    )
    return Reply(title="Long", lines=lines, sources=(Source("An article", "https://e.x/a"),))


async def _note(ctx: Context, who: object, text: str, when: object = None) -> Reply:
    calls.append(("note", {"who": getattr(who, "name", who), "text": text, "when": when}))
    return Reply(title="Noted", lines=(Line(f"{getattr(who, 'name', who)}: {text}"),))


gate = asyncio.Event()  # a fresh one per test (`slow_gate`): an Event binds to one loop


@pytest.fixture
def slow_gate() -> asyncio.Event:
    """What /slow and /slowrefusal wait for before they answer."""
    global gate
    gate = asyncio.Event()
    return gate


async def _slow(ctx: Context) -> Reply:
    await gate.wait()
    return Reply(title="Finally", lines=(Line("done"),))


async def _slow_private_pages(ctx: Context) -> Reply:
    await gate.wait()
    return dataclasses.replace(await _long(ctx), title="Just for you", private=True)


async def _slow_refusal(ctx: Context) -> Reply:
    await gate.wait()
    raise FanbotError("Only for your eyes: that did not work.")


EXTRA = [
    Command("echo", "Say it back", (Param("text", ParamKind.TEXT, "anything"),), _echo),
    Command(
        "topic",
        "Set a topic",
        (Param("text", ParamKind.TEXT, "the topic"),),
        _topic,
        allowed=frozenset({Role.CHAT_ADMIN}),
        in_private=False,
        writes=True,
    ),
    Command("long", "A long answer", (), _long),
    Command(
        "note",
        "Add a note",
        (
            Param("who", ParamKind.SUBJECT, "who it is about", suggest="subjects"),
            Param("text", ParamKind.TEXT, "the note", max_length=500),
            Param("when", ParamKind.DATE, "a day", required=False),
        ),
        _note,
        form=True,
    ),
    Command("slow", "Takes its time", (), _slow),
    Command("slowrefusal", "Takes its time, then refuses", (), _slow_refusal),
    Command("slowpages", "Takes its time, then pages privately", (), _slow_private_pages),
]


@pytest.fixture
def extra_core(store: Store, clock: FixedClock) -> Core:
    calls.clear()
    return Core(store, clock, [*all_commands(), *EXTRA])


# -- the tree -------------------------------------------------------------------------------


async def test_sync_registers_every_declared_command(
    core: Core, emu: DiscordEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with restore_discord_globals():
        code = await cmd_sync(
            settings_for(emu, fanbot_db=core.store.db.path), argparse.Namespace(guild=None)
        )
    assert code == 0
    assert "Synced" in capsys.readouterr().out
    synced = {c["name"]: c for c in emu.global_commands}
    assert set(synced) == {c.name for c in core.registry.listed()}  # /start is Telegram's
    milestone = synced["milestone"]
    # Korean from the catalogue (bot/locale/ko), through the translator at sync.
    assert milestone["name_localizations"] == {"ko": "기록"}
    assert milestone["description_localizations"] == {"ko": "아티스트, 그룹, 멤버의 기록"}
    who = milestone["options"][0]
    assert (who["name"], who["type"], who["required"], who["autocomplete"]) == (
        "who",
        3,
        True,
        True,
    )
    assert who["name_localizations"] == {"ko": "누구"}
    assert who["description_localizations"] == {
        "ko": "어떤 형태의 이름이든: V, 태형, 뷔. 여럿은 “뷔, 아이유”처럼"
    }
    days = synced["upcoming"]["options"][0]
    assert (days["type"], days["min_value"], days["max_value"], days["required"]) == (
        4,
        1,
        366,
        False,
    )
    assert synced["sources"]["options"][0]["type"] == 4
    assert synced["milestone"]["default_member_permissions"] is None


async def test_sync_to_one_guild(core: Core, emu: DiscordEmulator) -> None:
    with restore_discord_globals():
        code = await cmd_sync(
            settings_for(emu, fanbot_db=core.store.db.path), argparse.Namespace(guild=GUILD)
        )
    assert code == 0 and emu.global_commands == []
    listed = {c.name for c in core.registry.listed()}
    assert {c["name"] for c in emu.guild_commands[GUILD]} == listed


async def test_sync_without_token_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code = await cmd_sync(Settings(_env_file=None), argparse.Namespace(guild=None))  # type: ignore[call-arg]
    assert code == 2 and "DISCORD_TOKEN" in capsys.readouterr().err


async def test_manager_command_is_guild_only_with_permission_hint(
    extra_core: Core, emu: DiscordEmulator
) -> None:
    async with running(extra_core, emu) as svc:
        await svc.tree.sync()
    topic = next(c for c in emu.global_commands if c["name"] == "topic")
    assert int(topic["default_member_permissions"]) == MANAGE_GUILD
    assert topic["dm_permission"] is False
    note = next(c for c in emu.global_commands if c["name"] == "note")
    assert [o["name"] for o in note["options"]] == ["who", "text", "when"]
    assert not any(o["required"] for o in note["options"])  # the form asks for them


async def test_no_token_no_service(core: Core) -> None:
    assert await discord_service(Settings(_env_file=None), core) is None  # type: ignore[call-arg]


# -- answers ----------------------------------------------------------------------------------

SAMPLES = {
    ParamKind.SUBJECT: "V",
    ParamKind.TEXT: "V",
    ParamKind.DATE: "2024-01-24",
    ParamKind.PARTIAL_DATE: "2024-01",
    ParamKind.TIME: "09:00",
    ParamKind.TIMEZONE: "Asia/Seoul",
}


def _sample(param: Param) -> object:
    if param.kind is ParamKind.INTEGER:
        return param.minimum if param.minimum is not None else 1
    if param.kind is ParamKind.FACT:
        return 1
    if param.kind is ParamKind.CHOICE:
        return param.choices[0]
    return SAMPLES[param.kind]


def _options(command: Command) -> dict[str, object]:
    return {p.name: _sample(p) for p in command.params if p.required}


def _public_commands(core: Core) -> Iterable[Command]:
    return [c for c in core.registry.listed() if c.allowed == frozenset({Role.EVERYONE})]


async def test_every_command_answers_in_a_guild_and_a_dm(
    core: Core, emu: DiscordEmulator, service: DiscordService
) -> None:
    for command in _public_commands(core):
        for where in ({"guild_id": GUILD, "channel_id": CHANNEL, "user_id": FAN}, {"user_id": FAN}):
            rec = await emu.inject_slash_command(command.name, _options(command), **where)
            answer = await emu.wait_for_callback(rec.id)
            assert answer.type == 4, command.name
            assert answer.embeds and answer.embeds[0]["title"], command.name
            assert "went wrong" not in description(answer), command.name
            assert answer.allowed_mentions == NO_MENTIONS
    fan_commands = {
        "help",
        "milestone",
        "release",
        "status",
        "today",
        "upcoming",
        "search",
        "sources",
    }
    assert fan_commands <= {c.name for c in _public_commands(core)}


async def test_milestone_is_an_embed_with_kst_dates_and_sources(
    emu: DiscordEmulator, service: DiscordService
) -> None:
    rec = await emu.inject_slash_command(
        "milestone", {"who": "v"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
    )
    answer = await emu.wait_for_callback(rec.id)
    embed = answer.embeds[0]
    assert answer.type == 4 and not answer.ephemeral
    assert embed["title"] == "Milestones of V"
    # A KST calendar day written as a date: a <t:…:D> timestamp would show each reader the day
    # in their own zone (27 January in New York).
    assert embed["description"].startswith("28 January 2024 · V's Instagram post")
    assert "<t:" not in embed["description"]
    assert "10 million likes" in embed["description"]
    assert embed["footer"]["text"].startswith("Sources: [1] ")
    assert "Dates are KST" in embed["footer"]["text"]
    original = emu.interaction(rec.id).original
    assert original is not None and original.message["embeds"][0]["title"] == "Milestones of V"


async def test_command_in_a_guild_channel_records_the_chat(
    core: Core, emu: DiscordEmulator, service: DiscordService
) -> None:
    rec = await emu.inject_slash_command("today", guild_id=GUILD, channel_id=CHANNEL, user_id=FAN)
    await emu.wait_for_callback(rec.id)
    chat = await core.store.chats.get("discord", str(CHANNEL))
    assert chat is not None and chat.kind == "group" and chat.title == "general" and chat.active
    dm = await emu.inject_slash_command("today", user_id=FAN)
    await emu.wait_for_callback(dm.id)
    dm_channel = emu.interaction(dm.id).payload["channel_id"]
    assert await core.store.chats.get("discord", dm_channel) is None


async def test_autocomplete_offers_v_in_every_script(
    emu: DiscordEmulator, service: DiscordService
) -> None:
    for typed in ("v", "tae", "뷔", "Kim Taehyung"):
        rec = await emu.inject_autocomplete(
            "milestone", focused="who", value=typed, guild_id=GUILD, user_id=FAN
        )
        answer = await emu.wait_for_callback(rec.id)
        assert answer.type == 8
        assert 1 <= len(answer.choices) <= 25
        assert answer.choices[0]["value"] == "v", typed
        assert answer.choices[0]["name"].startswith("V (BTS)")
    rec = await emu.inject_autocomplete("milestone", focused="who", value="", user_id=FAN)
    assert len((await emu.wait_for_callback(rec.id)).choices) <= 25


async def test_typed_value_instead_of_picked_one(
    emu: DiscordEmulator, service: DiscordService
) -> None:
    rec = await emu.inject_slash_command(
        "milestone", {"who": "Kim Tae-hyung"}, guild_id=GUILD, user_id=FAN
    )
    assert (await emu.wait_for_callback(rec.id)).embeds[0]["title"] == "Milestones of V"
    rec = await emu.inject_slash_command(
        "milestone", {"who": "Taehyugn"}, guild_id=GUILD, user_id=FAN
    )
    answer = await emu.wait_for_callback(rec.id)
    assert answer.ephemeral and "Did you mean: V (BTS)?" in description(answer)


async def test_subject_removed_after_it_was_offered(
    core: Core, emu: DiscordEmulator, service: DiscordService
) -> None:
    async with core.store.transaction() as tx:
        await tx.names.upsert_subject(
            NewSubject("jimin", "Jimin", SubjectKind.MEMBER, aliases=("지민",))
        )
    offer = await emu.inject_autocomplete(
        "milestone", focused="who", value="지민", guild_id=GUILD, user_id=FAN
    )
    picked = (await emu.wait_for_callback(offer.id)).choices[0]["value"]
    assert picked == "jimin"
    async with core.store.transaction() as tx:
        await tx.names.delete_subject("jimin")
    rec = await emu.inject_slash_command("milestone", {"who": picked}, guild_id=GUILD, user_id=FAN)
    answer = await emu.wait_for_callback(rec.id)
    assert answer.type == 4 and answer.ephemeral
    assert "I don't know anyone called “jimin”" in description(answer)
    assert answer.embeds[0]["title"] == "Sorry"


async def test_option_of_six_thousand_characters_is_refused(
    extra_core: Core, emu: DiscordEmulator
) -> None:
    async with running(extra_core, emu):
        rec = await emu.inject_slash_command(
            "echo", {"text": "x" * 6000}, guild_id=GUILD, user_id=FAN
        )
        answer = await emu.wait_for_callback(rec.id)
        big = await emu.inject_slash_command("search", {"text": "가" * 6000}, user_id=FAN)
        refused = await emu.wait_for_callback(big.id)
    assert answer.ephemeral and "too long (6,000 characters" in description(answer)
    assert refused.ephemeral and "too long" in description(refused)
    assert calls == []


async def test_member_without_manage_server_is_refused(
    extra_core: Core, emu: DiscordEmulator
) -> None:
    async with running(extra_core, emu):
        fan = await emu.inject_slash_command(
            "topic", {"text": "comeback"}, guild_id=GUILD, user_id=FAN
        )
        refused = await emu.wait_for_callback(fan.id)
        assert calls == []
        mod = await emu.inject_slash_command(
            "topic", {"text": "comeback"}, guild_id=GUILD, channel_id=CHANNEL, user_id=MOD
        )
        allowed = await emu.wait_for_callback(mod.id)
        dm = await emu.inject_slash_command("topic", {"text": "x"}, user_id=MOD)
        in_dm = await emu.wait_for_callback(dm.id)
    assert refused.ephemeral and "Only chat admins can use /topic" in description(refused)
    assert not allowed.ephemeral and allowed.embeds[0]["title"] == "Topic set"
    assert in_dm.ephemeral and len(calls) == 1 and calls[0][1]["chat"] == str(CHANNEL)


async def test_mentions_and_markdown_stay_inert(extra_core: Core, emu: DiscordEmulator) -> None:
    text = "@everyone <@&710000000000000001> <@610000000000000003> **bold** `code` @here"
    async with running(extra_core, emu):
        rec = await emu.inject_slash_command("echo", {"text": text}, guild_id=GUILD, user_id=FAN)
        answer = await emu.wait_for_callback(rec.id)
    assert answer.allowed_mentions == NO_MENTIONS
    shown = description(answer) + answer.embeds[0]["fields"][0]["value"]
    for live in ("@everyone", "<@&", "<@6", "**bold**", "`code`", "@here"):
        assert live not in shown, live
    assert "bold" in shown and "everyone" in shown


async def test_long_answer_is_paged_with_buttons(extra_core: Core, emu: DiscordEmulator) -> None:
    async with running(extra_core, emu):
        rec = await emu.inject_slash_command(
            "long", guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        first = await emu.wait_for_callback(rec.id)
        original = emu.interaction(rec.id).original
        assert original is not None
        buttons = first.components[0]["components"]
        labels = [b.get("label") for b in buttons]
        assert labels[0] == "◀" and labels[2] == "▶" and labels[1].startswith("1 / ")
        other = await emu.inject_component(
            buttons[2]["custom_id"], message_id=original.id, user_id=MOD
        )
        refused = await emu.wait_for_callback(other.id)
        press = await emu.inject_component(
            buttons[2]["custom_id"], message_id=original.id, user_id=FAN
        )
        turned = await emu.wait_for_callback(press.id)
    assert "Line 0:" in first.embeds[0]["description"]
    assert refused.ephemeral and "Only the person who asked" in refused.content
    assert turned.type == 7 and "Line 0:" not in turned.embeds[0]["description"]
    assert turned.components[0]["components"][1]["label"].startswith("2 / ")
    assert "Page 2 of" in turned.embeds[0]["footer"]["text"]


async def test_form_command_opens_a_prefilled_modal(extra_core: Core, emu: DiscordEmulator) -> None:
    async with running(extra_core, emu):
        rec = await emu.inject_slash_command(
            "note", {"who": "v"}, guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        modal = await emu.wait_for_callback(rec.id)
        inputs = [row["components"][0] for row in modal.data["components"]]
        by_id = {i["custom_id"]: i for i in inputs}
        assert modal.type == 9 and len(inputs) == 3
        assert by_id["fanbot:who"]["value"] == "v" and by_id["fanbot:text"]["required"]
        submit = await emu.inject_modal_submit(
            modal.data["custom_id"],
            {"fanbot:who": "뷔", "fanbot:text": "first solo album", "fanbot:when": ""},
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=FAN,
        )
        answer = await emu.wait_for_callback(submit.id)
    assert answer.type == 4 and answer.embeds[0]["title"] == "Noted"
    assert calls == [("note", {"who": "V", "text": "first solo album", "when": None})]


async def test_admin_form_does_not_open_for_a_fan(store: Store, clock: FixedClock) -> None:
    """The form opens only for someone the core would let use the command: a fan is refused at
    once, privately, instead of after typing every value in."""
    admin_core = Core(store, clock, all_commands(), admins=frozenset({("discord", str(OWNER))}))
    where = {"guild_id": GUILD, "channel_id": CHANNEL}
    async with configured_emulator() as emu, running(admin_core, emu):
        for name in ("addmilestone", "addrelease", "addstatus", "addevent", "addsubject"):
            fan = await emu.inject_slash_command(name, user_id=FAN, **where)
            refused = await emu.wait_for_callback(fan.id)
            assert refused.type == 4 and refused.ephemeral, name
            assert f"Only bot admins or editors can use /{name}" in description(refused), name
        admin = await emu.inject_slash_command(
            "addmilestone", {"who": "IU"}, user_id=OWNER, **where
        )
        modal = await emu.wait_for_callback(admin.id)
    assert modal.type == 9


async def test_slow_command_is_deferred_then_answered(
    extra_core: Core, emu: DiscordEmulator, slow_gate: asyncio.Event
) -> None:
    async with running(extra_core, emu, defer_after=0.01):
        rec = await emu.inject_slash_command("slow", guild_id=GUILD, user_id=FAN)
        deferred = await emu.wait_for_callback(rec.id)
        slow_gate.set()
        edited = await emu.wait_for_original_edit(rec.id)
    assert deferred.type == 5
    assert edited.embeds[0]["title"] == "Finally"


async def test_private_answer_stays_private_after_a_defer(
    extra_core: Core, emu: DiscordEmulator, slow_gate: asyncio.Event
) -> None:
    """The defer ("thinking…") is public; the error that comes later is for the asker only."""
    async with running(extra_core, emu, defer_after=0.01):
        rec = await emu.inject_slash_command(
            "slowrefusal", guild_id=GUILD, channel_id=CHANNEL, user_id=FAN
        )
        deferred = await emu.wait_for_callback(rec.id)
        slow_gate.set()
        await emu.wait_for(lambda: rec.followups or (rec.original and rec.original.edits))
    assert deferred.type == 5 and not deferred.ephemeral
    assert rec.original is not None and not rec.original.edits, "the error replaced thinking…"
    [answer] = rec.followups
    assert answer.ephemeral and answer.embeds[0]["title"] == "Sorry"
    assert "Only for your eyes" in answer.embeds[0]["description"]
    assert rec.original is not None and rec.original.deleted  # no public "thinking…" left
    shown_to_all = [
        m for m in emu.messages.values() if not m.deleted and not m.ephemeral and m.embeds
    ]
    assert not any("Only for your eyes" in str(m.embeds) for m in shown_to_all)


async def test_private_pages_after_a_defer_turn_in_the_follow_up(
    extra_core: Core, emu: DiscordEmulator, slow_gate: asyncio.Event
) -> None:
    slow_gate.set()  # answers at once, but the defer comes first
    async with running(extra_core, emu, defer_after=0):
        rec = await emu.inject_slash_command("slowpages", guild_id=GUILD, user_id=FAN)
        answer = await emu.wait_for_followup(rec.id)
        buttons = answer.components[0]["components"]
        press = await emu.inject_component(
            buttons[2]["custom_id"], message_id=answer.id, user_id=FAN
        )
        turned = await emu.wait_for_callback(press.id)
    assert emu.interaction(rec.id).callback.type == 5  # type: ignore[union-attr]
    assert answer.ephemeral and answer.embeds[0]["title"] == "Just for you"
    assert turned.type == 7 and "Page 2 of" in turned.embeds[0]["footer"]["text"]
    assert "Page 2 of" in answer.embeds[0]["footer"]["text"]  # the follow-up itself turned


async def test_stale_registered_command_gets_a_message(
    emu: DiscordEmulator, service: DiscordService
) -> None:
    """Discord still has an older registration (here: /milestone without its option)."""
    rec = await emu.inject_slash_command("milestone", guild_id=GUILD, user_id=FAN)
    answer = await emu.wait_for_callback(rec.id)
    assert answer.ephemeral and "fanbot discord sync" in description(answer)


async def test_token_never_logged(
    core: Core, emu: DiscordEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(core, emu):
        rec = await emu.inject_slash_command("milestone", {"who": "v"}, guild_id=GUILD, user_id=FAN)
        await emu.wait_for_callback(rec.id)
    assert caplog.records
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


async def test_sharded_process_runs_its_shards(core: Core) -> None:
    async with configured_emulator(shard_count=2) as emu:
        with restore_discord_globals():
            settings = settings_for(emu, discord_shard_count=2, discord_shard_ids="1")
            svc = DiscordService(settings, core, guild_ready_timeout=0.05)
            assert isinstance(svc.client, discord.AutoShardedClient)
            await asyncio.wait_for(svc.start(), 5)
            await svc.stop()
    assert [p["shard"] for p in emu.identify_payloads] == [[1, 2]]


SHARD_1_GUILD = (3 << 22) + 7  # (id >> 22) % 2 == 1; GUILD is on shard 0
SHARD_1_CHANNEL = 810000000000000002


async def test_two_shard_services_each_serve_their_own_guilds(core: Core) -> None:
    """Shards 0 and 1 of 2 as two services (two processes' worth): each has only its guilds,
    and a command in either guild is answered, by the service of that guild's shard."""
    async with configured_emulator(shard_count=2) as emu:
        emu.add_guild(SHARD_1_GUILD, "Other fans", owner_id=OWNER,
                      channels=[text_channel(SHARD_1_CHANNEL, "news")],
                      members=[member(OWNER, "owner"), member(FAN, "fan")])
        with restore_discord_globals():
            services = [
                DiscordService(
                    settings_for(emu, discord_shard_count=2, discord_shard_ids=str(shard)),
                    core,
                    guild_ready_timeout=0.05,
                )
                for shard in (0, 1)
            ]
            for svc in services:
                await asyncio.wait_for(svc.start(), 5)
            try:
                assert [[g.id for g in svc.client.guilds] for svc in services] == [
                    [GUILD],
                    [SHARD_1_GUILD],
                ]
                for guild, channel in ((GUILD, CHANNEL), (SHARD_1_GUILD, SHARD_1_CHANNEL)):
                    rec = await emu.inject_slash_command(
                        "milestone", {"who": "v"}, guild_id=guild, channel_id=channel,
                        user_id=FAN,
                    )
                    answer = await emu.wait_for_callback(rec.id)
                    assert answer.embeds and "V" in answer.embeds[0]["title"]
            finally:
                for svc in services:
                    await svc.stop()
    assert sorted(p["shard"] for p in emu.identify_payloads) == [[0, 2], [1, 2]]


def test_render_stays_within_discord_limits() -> None:
    big = "word " * 400
    reply = Reply(
        title="T" * 500,
        lines=tuple(Line(big, when=PartialDate(2024, 1, 24), refs=(1,)) for _ in range(40)),
        fields=tuple(Field(f"F{i}", big) for i in range(40)),
        sources=(Source("S" * 3000, "https://e.x"),),
        footer="f" * 3000,
    )
    pages = render(reply)
    assert len(pages) > 1
    for page in pages:
        assert len(page) <= 6000 and len(page.fields) <= 25
        assert len(page.title or "") <= 256 and len(page.description or "") <= 4096
        assert all(len(f.value or "") <= 1024 for f in page.fields)
        assert len(page.footer.text or "") <= 2048
    assert sum(1 for p in pages for f in p.fields if f.name.startswith("F0")) >= 2
    partial = render(Reply(title="x", lines=(Line("y", when=PartialDate(2024, 1)),)))
    assert partial[0].description == "January 2024 · y"
    day = render(Reply(title="x", lines=(Line("y", when=PartialDate(2024, 1, 28)),)))
    assert day[0].description == "28 January 2024 · y"
    _ = EPHEMERAL


async def test_two_services_in_one_process_answer_through_their_own_emulators(core: Core) -> None:
    """Each client is pointed at its own emulator; no discord.py class attribute moves."""
    async with configured_emulator() as first, configured_emulator() as second:
        async with running(core, first), running(core, second):
            for emu in (first, second):
                rec = await emu.inject_slash_command("today", guild_id=GUILD, channel_id=CHANNEL)
                answer = await emu.wait_for_callback(rec.id)
                assert "went wrong" not in description(answer)
        assert first.gateway_connects and second.gateway_connects
        assert discord.http.Route.BASE == "https://discord.com/api/v10"
