"""The Discord emulator driven by the real discord.py stack (Client, CommandTree, ui.View).

These prove the emulator speaks discord.py's wire format, so adapter tests built on it can be
trusted: login, gateway handshake (zlib-stream), interactions and their callbacks, command sync,
rate limits and Discord's error answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import aiohttp
import discord
import discord.gateway
import discord.http
import discord.utils
import pytest
from discord import app_commands

from tests.emulators.discord_api import (
    EPHEMERAL,
    MANAGE_GUILD,
    SUPPRESS_EMBEDS,
    DiscordEmulator,
    member,
    point_discord_py_at,
    role,
    text_channel,
)

TOKEN = "emulated.bot.token"
APP_ID = 900000000000000001
GUILD = (4 << 22) + 5  # shard 0 of 2: (id >> 22) % 2
OTHER_GUILD = (3 << 22) + 7  # shard 1 of 2
CHANNEL = 800000000000000001
OTHER_CHANNEL = 800000000000000002
MOD_ROLE = 700000000000000001
OWNER, MOD, FAN = 600000000000000001, 600000000000000002, 600000000000000003


def configured_emulator(**kwargs: object) -> DiscordEmulator:
    emu = DiscordEmulator(token=TOKEN, application_id=APP_ID, **kwargs)  # type: ignore[arg-type]
    emu.add_guild(GUILD, "ARMY base", owner_id=OWNER,
                  channels=[text_channel(CHANNEL, "general")],
                  roles=[role(MOD_ROLE, "mods", MANAGE_GUILD)],
                  members=[member(OWNER, "owner"), member(MOD, "mod", roles=[MOD_ROLE]),
                           member(FAN, "fan")])
    return emu


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    async with configured_emulator() as emulator:
        with point_discord_py_at(emulator):
            yield emulator


@contextlib.asynccontextmanager
async def running(client: discord.Client, token: str = TOKEN) -> AsyncIterator[discord.Client]:
    """The owned lifecycle fanbot uses: login, connect in a task, wait for ready, close."""
    await client.login(token)
    task = asyncio.create_task(client.connect(reconnect=False))
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=5,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
        assert ready in done, "client never became ready"
        yield client
    finally:
        ready.cancel()
        await client.close()
        await asyncio.wait_for(task, 5)


def new_client(intents: discord.Intents | None = None) -> discord.Client:
    # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before READY
    # (2 s by default); the emulator sends them all at once, so 0.05 s is plenty.
    return discord.Client(intents=intents or discord.Intents.default(), guild_ready_timeout=0.05)


async def test_login_gateway_handshake_and_guild_cache(emu: DiscordEmulator) -> None:
    client = new_client()
    async with running(client):
        assert client.user is not None and client.user.id == APP_ID
        assert client.application_id == APP_ID
        guild = client.get_guild(GUILD)
        assert guild is not None and guild.name == "ARMY base"
        assert guild.get_channel(CHANNEL) is not None
        assert guild.get_role(MOD_ROLE).permissions.manage_guild  # type: ignore[union-attr]
        assert guild.me is not None
    connect = emu.gateway_connects[0]
    # zlib-stream, or zstd-stream when zstandard / compression.zstd is importable
    wanted = discord.utils._ActiveDecompressionContext.COMPRESSION_TYPE
    assert connect == {"v": "10", "encoding": "json", "compress": wanted}
    identify = emu.identify_payloads[0]
    assert identify["token"] == TOKEN and identify["intents"] == discord.Intents.default().value
    assert [r.path for r in emu.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert any(p["op"] == 1 for p in emu.gateway_received)  # heartbeat was acked, not ignored


async def test_point_discord_py_at_restores_the_real_endpoints() -> None:
    before = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with configured_emulator() as emulator:
        with point_discord_py_at(emulator):
            assert discord.http.Route.BASE == emulator.api_base
        assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == before


async def test_wrong_token_is_a_login_failure(emu: DiscordEmulator) -> None:
    client = new_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_slash_command_answers_in_guild_with_member_permissions(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction, who: str, times: int = 1) -> None:
        can_manage = interaction.permissions.manage_guild
        await interaction.response.send_message(
            f"hi {who} x{times} manage={can_manage} in {interaction.channel_id}", ephemeral=True)

    async with running(client):
        as_mod = await emu.inject_slash_command("hello", {"who": "V", "times": 2},
                                                guild_id=GUILD, channel_id=CHANNEL, user_id=MOD)
        as_fan = await emu.inject_slash_command("hello", {"who": "Jimin"}, guild_id=GUILD,
                                                user_id=FAN)
        mod_reply = await emu.wait_for_callback(as_mod.id)
        fan_reply = await emu.wait_for_callback(as_fan.id)
    assert mod_reply.type == 4 and mod_reply.ephemeral
    assert mod_reply.content == f"hi V x2 manage=True in {CHANNEL}"
    assert fan_reply.content == f"hi Jimin x1 manage=False in {CHANNEL}"
    assert emu.interaction(as_mod.id).original is not None


async def test_slash_command_in_dm(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="where", description="Where am I")
    async def where(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"guild={interaction.guild_id} dm={isinstance(interaction.channel, discord.DMChannel)}"
            f" user={interaction.user.name}")

    async with running(client):
        rec = await emu.inject_slash_command("where", user_id=FAN)
        reply = await emu.wait_for_callback(rec.id)
    assert reply.content == "guild=None dm=True user=fan"
    assert rec.payload["context"] == 1 and "member" not in rec.payload


async def test_defer_then_edit_original_and_followup(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="slow", description="Takes a while")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(
            embed=discord.Embed(title="Milestones", description="1 billion streams"))
        await interaction.followup.send("and one more thing", ephemeral=True)

    async with running(client):
        rec = await emu.inject_slash_command("slow", guild_id=GUILD, user_id=FAN)
        deferred = await emu.wait_for_callback(rec.id)
        edited = await emu.wait_for_original_edit(rec.id)
        followup = await emu.wait_for_followup(rec.id)
    assert deferred.type == 5
    assert edited.embeds[0]["title"] == "Milestones"
    assert edited.flags == 0  # the "thinking" LOADING flag is gone once edited
    assert followup.content == "and one more thing" and followup.ephemeral


async def test_deferred_answer_keeps_the_visibility_the_defer_chose(emu: DiscordEmulator) -> None:
    """As on Discord (discord.py's `defer`: "whether the deferred message will eventually be
    ephemeral"; a follow-up "makes this thinking state go away"): the first follow-up replaces a
    public "thinking…" message and stays public, whatever its own flag; an edit cannot make a
    message ephemeral; only once the thinking message is deleted is a follow-up its own."""
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="public", description="Defers publicly")
    async def public(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("meant for one", ephemeral=True)
        await interaction.followup.send("second", ephemeral=True)

    @tree.command(name="private", description="Defers privately")
    async def private(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.edit_original_response(content="still private")

    @tree.command(name="deleted", description="Deletes the thinking message")
    async def deleted(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.delete_original_response()
        await interaction.followup.send("private after all", ephemeral=True)

    async with running(client):
        first = await emu.inject_slash_command("public", guild_id=GUILD, user_id=FAN)
        await emu.wait_for_followup(first.id)
        second = await emu.inject_slash_command("private", guild_id=GUILD, user_id=FAN)
        await emu.wait_for_original_edit(second.id)
        third = await emu.inject_slash_command("deleted", guild_id=GUILD, user_id=FAN)
        await emu.wait_for_followup(third.id)
        async with aiohttp.ClientSession() as http:
            url = f"{emu.api_base}/webhooks/{APP_ID}/{first.token}/messages/@original"
            async with http.patch(url, json={"flags": EPHEMERAL | SUPPRESS_EMBEDS}) as answer:
                assert answer.status == 200
    replaced = first.original
    assert replaced is not None and replaced.content == "meant for one"
    assert not replaced.ephemeral and replaced.flags == SUPPRESS_EMBEDS  # the edit kept it public
    assert [(f.content, f.ephemeral) for f in first.followups] == [("second", True)]
    assert second.original is not None and second.original.content == "still private"
    assert second.original.ephemeral
    assert third.original is not None and third.original.deleted
    assert [(f.content, f.ephemeral) for f in third.followups] == [("private after all", True)]


async def test_tree_sync_puts_commands_and_keeps_ids(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="milestone", description="Records and milestones")
    @app_commands.describe(who="a name in any form")
    async def milestone(interaction: discord.Interaction, who: str) -> None:
        await interaction.response.send_message(who)

    async with running(client):
        synced = await tree.sync()
        again = await tree.sync()
        tree.copy_global_to(guild=discord.Object(GUILD))
        guild_synced = await tree.sync(guild=discord.Object(GUILD))
    assert [c.name for c in synced] == ["milestone"] and synced[0].id == again[0].id
    stored = emu.global_commands[0]
    assert stored["options"][0]["name"] == "who" and stored["options"][0]["type"] == 3
    assert [c.name for c in guild_synced] == ["milestone"]
    assert emu.guild_commands[GUILD][0]["guild_id"] == str(GUILD)
    puts = [r for r in emu.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [f"/applications/{APP_ID}/commands"] * 2 + [
        f"/applications/{APP_ID}/guilds/{GUILD}/commands"]


async def test_invalid_command_is_rejected_like_discord(emu: DiscordEmulator) -> None:
    client = new_client()
    async with running(client):
        with pytest.raises(discord.HTTPException) as err:
            await client.http.bulk_upsert_global_commands(
                APP_ID, payload=[{"name": "Bad Name", "description": "spaces are not allowed"}])
    assert err.value.code == 50035 and "name" in err.value.text
    assert emu.global_commands == []


async def test_autocomplete_returns_choices(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    names = ["V", "Jimin", "Jin", "Jungkook", "J-Hope"]

    @tree.command(name="member", description="A member")
    async def member_cmd(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(name)

    @member_cmd.autocomplete("name")
    async def complete(interaction: discord.Interaction, current: str) -> list[
            app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    async with running(client):
        rec = await emu.inject_autocomplete("member", focused="name", value="Ji",
                                            guild_id=GUILD, user_id=FAN)
        answer = await emu.wait_for_callback(rec.id)
    assert answer.type == 8
    assert answer.choices == [{"name": "Jimin", "value": "Jimin"}, {"name": "Jin", "value": "Jin"}]


class Confirm(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.pressed_by: int | None = None

    @discord.ui.button(label="Subscribe", custom_id="subscribe")
    async def subscribe(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.pressed_by = interaction.user.id
        await interaction.response.edit_message(content="subscribed", view=None)


async def test_button_press_reaches_view_callback(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    view = Confirm()

    @tree.command(name="subscribe", description="Subscribe this channel")
    async def subscribe(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Subscribe?", view=view)

    async with running(client):
        command = await emu.inject_slash_command("subscribe", guild_id=GUILD, user_id=MOD)
        await emu.wait_for_callback(command.id)
        original = emu.interaction(command.id).original
        assert original is not None and original.components[0]["type"] == 1
        press = await emu.inject_component("subscribe", message_id=original.id, user_id=MOD)
        update = await emu.wait_for_callback(press.id)
    assert view.pressed_by == MOD
    assert update.type == 7 and update.content == "subscribed" and update.components == []
    assert original.message["content"] == "subscribed"


async def test_button_on_channel_message(emu: DiscordEmulator) -> None:
    client = new_client()
    view = Confirm()
    async with running(client):
        channel = client.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Today is V's birthday", view=view)
        press = await emu.inject_component("subscribe", message_id=sent.id, user_id=FAN)
        await emu.wait_for_callback(press.id)
    assert view.pressed_by == FAN


async def test_modal_submit_reaches_modal(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    got: list[str] = []

    class Note(discord.ui.Modal, title="Add a note"):
        text = discord.ui.TextInput(label="Note", custom_id="note_text")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            got.append(self.text.value)
            await interaction.response.send_message("saved", ephemeral=True)

    @tree.command(name="note", description="Add a note")
    async def note(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Note(custom_id="note_modal"))

    async with running(client):
        command = await emu.inject_slash_command("note", guild_id=GUILD, user_id=MOD)
        modal = await emu.wait_for_callback(command.id)
        submit = await emu.inject_modal_submit("note_modal", {"note_text": "comeback 10/21"},
                                               guild_id=GUILD, user_id=MOD)
        saved = await emu.wait_for_callback(submit.id)
    assert modal.type == 9 and modal.data["custom_id"] == "note_modal"
    assert got == ["comeback 10/21"] and saved.content == "saved"


async def test_modal_outside_discords_rules_is_refused(emu: DiscordEmulator) -> None:
    """A title over 45 characters, a pre-filled value over its max_length, a modal answering a
    modal: Discord answers 400, so the emulator does, and nothing counts as answered."""
    client = new_client()
    tree = app_commands.CommandTree(client)
    refused: list[discord.HTTPException] = []

    def form(title: str, default: str) -> discord.ui.Modal:
        modal = discord.ui.Modal(title=title, custom_id="form")
        modal.add_item(discord.ui.TextInput(label="Note", custom_id="n", default=default,
                                            max_length=10))
        return modal

    @tree.command(name="form", description="Open a form")
    async def open_form(interaction: discord.Interaction, title: str, default: str) -> None:
        try:
            await interaction.response.send_modal(form(title, default))
        except discord.HTTPException as exc:
            refused.append(exc)
            await interaction.response.send_message("refused", ephemeral=True)

    async with running(client):
        for title, default in (("t" * 46, "ok"), ("Fine", "x" * 11), ("Fine", "ok")):
            rec = await emu.inject_slash_command("form", {"title": title, "default": default},
                                                 guild_id=GUILD, user_id=FAN)
            await emu.wait_for_callback(rec.id)
        answers = [r.callback for r in emu.interactions.values() if r.callback]
    assert [a.type for a in answers if a] == [4, 4, 9]
    assert [(e.status, e.code) for e in refused] == [(400, 50035)] * 2
    assert "title" in refused[0].text and "value" in refused[1].text


async def test_channel_send_records_allowed_mentions(emu: DiscordEmulator) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("@everyone it's comeback day",
                                     allowed_mentions=discord.AllowedMentions.none())
        sent = await emu.wait_for_message(CHANNEL)
        poster = await channel.send(file=discord.File(io.BytesIO(b"png"), "poster.png"))
    assert message.id == int(sent.id) and message.content == "@everyone it's comeback day"
    assert sent.allowed_mentions == {"parse": []}
    assert poster.attachments[0].filename == "poster.png"
    assert [m.files for m in emu.channel_messages(CHANNEL)] == [[], ["poster.png"]]


async def test_rate_limit_is_waited_out(emu: DiscordEmulator) -> None:
    client = new_client()
    emu.fail_next("POST", rf"/channels/{CHANNEL}/messages", 429, retry_after=0.2)
    async with running(client):
        channel = client.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        started = asyncio.get_running_loop().time()
        await channel.send("happy anniversary")
        waited = asyncio.get_running_loop().time() - started
    posts = [r.status for r in emu.requests if r.method == "POST"]
    assert posts == [429, 200] and waited >= 0.2
    assert [m.content for m in emu.channel_messages(CHANNEL)] == ["happy anniversary"]


async def test_rate_limited_interaction_callback_is_retried(emu: DiscordEmulator) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    emu.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 429, retry_after=0.1)
    async with running(client):
        rec = await emu.inject_slash_command("ping", guild_id=GUILD, user_id=FAN)
        reply = await emu.wait_for_callback(rec.id)
    assert reply.content == "pong"


async def test_errors_surface_as_discord_exceptions(emu: DiscordEmulator) -> None:
    client = new_client()
    async with running(client):
        channel = client.get_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        emu.fail_next("POST", rf"/channels/{CHANNEL}/messages", 403)
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send("x")
        emu.fail_next("POST", rf"/channels/{CHANNEL}/messages", 404)
        with pytest.raises(discord.NotFound) as not_found:
            await channel.send("x")
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        await channel.send("fine again")
        emu.forbid_channel(CHANNEL)
        for _ in range(2):
            with pytest.raises(discord.Forbidden):
                await channel.send("x")
        emu.delete_channel(OTHER_CHANNEL)
        with pytest.raises(discord.NotFound):
            await client.fetch_channel(OTHER_CHANNEL)
        with pytest.raises(discord.NotFound) as unknown_route:
            await client.http.request(discord.http.Route("GET", "/no/such/route"))
    assert unknown_route.value.text == "404: Not Found" and unknown_route.value.code == 0
    assert (forbidden.value.status, forbidden.value.code) == (403, 50001)
    assert (not_found.value.status, not_found.value.code) == (404, 10003)
    assert too_long.value.code == 50035 and "content" in too_long.value.text
    assert [m.content for m in emu.channel_messages(CHANNEL)] == ["fine again"]


async def test_members_intent_chunks_and_reconnect_resumes(emu: DiscordEmulator) -> None:
    intents = discord.Intents.default()
    intents.members = True
    client = new_client(intents)
    tree = app_commands.CommandTree(client)

    @tree.command(name="ping", description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    async with running(client):
        guild = client.get_guild(GUILD)
        assert guild is not None and {m.id for m in guild.members} >= {OWNER, MOD, FAN}
        resumed = asyncio.create_task(client.wait_for("resumed", timeout=5))
        await emu.request_reconnect()
        await resumed
        rec = await emu.inject_slash_command("ping", guild_id=GUILD, user_id=FAN)
        assert (await emu.wait_for_callback(rec.id)).content == "pong"
    assert [p["op"] for p in emu.gateway_received if p["op"] in (2, 6)] == [2, 6]


class _NoWaitShardedClient(discord.AutoShardedClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before each non-initial IDENTIFY; nothing to pace here."""


async def test_auto_sharded_client_uses_gateway_bot() -> None:
    async with configured_emulator(shard_count=2) as emulator:
        emulator.add_guild(OTHER_GUILD, "Other", owner_id=OWNER,
                           channels=[text_channel(OTHER_CHANNEL, "news")])
        with point_discord_py_at(emulator):
            client = _NoWaitShardedClient(intents=discord.Intents.default(),
                                          guild_ready_timeout=0.05)
            async with running(client):
                assert client.shard_count == 2
                assert {g.id: g.shard_id for g in client.guilds} == {GUILD: 0, OTHER_GUILD: 1}
                channel = client.get_channel(OTHER_CHANNEL)
                assert isinstance(channel, discord.TextChannel)
                await channel.send("news")
    assert sorted(p["shard"] for p in emulator.identify_payloads) == [[0, 2], [1, 2]]
    assert any(r.path == "/gateway/bot" for r in emulator.requests)


# -- shards: Discord routes a guild to shard (guild_id >> 22) % count, and refuses bad shards ----


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [1], [0, "2"], "0,2"])
async def test_an_identify_with_an_invalid_shard_is_closed_4010(shard: object) -> None:
    async with configured_emulator(shard_count=2) as emulator, aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{emulator.gateway_url}?v=10&encoding=json") as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["op"] == 10
            identify = {"token": TOKEN, "intents": discord.Intents.default().value,
                        "properties": {}, "shard": shard}
            await ws.send_json({"op": 2, "d": identify})
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4010
    assert not emulator._sessions  # no session to RESUME either


async def test_a_client_beyond_the_shard_count_ends_with_4010() -> None:
    """discord.py itself does not check shard_id < shard_count: Discord's answer is the check."""
    async with configured_emulator(shard_count=2) as emulator:
        with point_discord_py_at(emulator):
            client = discord.Client(intents=discord.Intents.default(), shard_id=2, shard_count=2)
            await client.login(TOKEN)
            with pytest.raises(discord.ConnectionClosed) as closed:
                await asyncio.wait_for(client.connect(reconnect=False), 5)
            await client.close()
    assert closed.value.code == 4010


def _shard_client(shard_id: int, seen: list[int], count: int = 2) -> discord.Client:
    """One shard of a sharded bot in its own Client, as one process of several runs it."""
    client = discord.Client(intents=discord.Intents.default(), shard_id=shard_id,
                            shard_count=count, guild_ready_timeout=0.05)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        seen.append(interaction.guild_id or 0)
        await interaction.response.send_message(f"shard {shard_id}")

    @client.event
    async def on_guild_update(before: discord.Guild, after: discord.Guild) -> None:
        seen.append(-after.id)

    return client


async def test_each_shard_gets_only_its_guilds_and_their_events() -> None:
    async with configured_emulator(shard_count=2) as emulator:
        emulator.add_guild(OTHER_GUILD, "Other", owner_id=OWNER,
                           channels=[text_channel(OTHER_CHANNEL, "news")],
                           members=[member(FAN, "fan")])
        with point_discord_py_at(emulator):
            seen: tuple[list[int], list[int]] = ([], [])
            zero, one = _shard_client(0, seen[0]), _shard_client(1, seen[1])
            async with running(zero), running(one):
                assert [g.id for g in zero.guilds] == [GUILD]  # GUILD_CREATE to its shard only
                assert [g.id for g in one.guilds] == [OTHER_GUILD]
                for guild, shard in ((OTHER_GUILD, 1), (GUILD, 0)):
                    rec = await emulator.inject_slash_command("ping", guild_id=guild, user_id=FAN)
                    assert (await emulator.wait_for_callback(rec.id)).content == f"shard {shard}"
                # A guild event is routed by the guild it names, whoever the caller thinks has it.
                update = {"id": str(OTHER_GUILD), "name": "Renamed", "owner_id": str(OWNER),
                          "roles": [], "emojis": [], "features": []}
                updated = asyncio.create_task(one.wait_for("guild_update", timeout=5))
                await emulator.dispatch("GUILD_UPDATE", update)
                await updated
                with pytest.raises(AssertionError, match="shard 1"):
                    await emulator.dispatch("GUILD_UPDATE", update, guild_id=GUILD)
    assert seen == ([GUILD], [OTHER_GUILD, -OTHER_GUILD])


async def test_a_session_is_routed_by_its_own_shard_count() -> None:
    """One process with [0, 1] serves every guild, whatever /gateway/bot recommends."""
    async with configured_emulator(shard_count=2) as emulator:
        emulator.add_guild(OTHER_GUILD, "Other", owner_id=OWNER, members=[member(FAN, "fan")])
        with point_discord_py_at(emulator):
            seen: list[int] = []
            client = _shard_client(0, seen, count=1)
            async with running(client):
                assert {g.id for g in client.guilds} == {GUILD, OTHER_GUILD}
                rec = await emulator.inject_slash_command("ping", guild_id=OTHER_GUILD,
                                                          user_id=FAN)
                assert (await emulator.wait_for_callback(rec.id)).content == "shard 0"
