"""A Discord REST + Gateway emulator on 127.0.0.1, so tests run the real discord.py stack offline.

It speaks the wire format discord.py 2.7 sends and expects (checked against its source):
``Authorization: Bot <token>`` on REST, ``Content-Type: application/json`` exactly (discord.py
compares the header verbatim), 429s carrying ``Via`` (without it discord.py assumes a Cloudflare
ban and raises instead of waiting), interaction callbacks answered with an
InteractionCallbackResponse because discord.py always asks ``?with_response=1``, and a gateway
that honours ``?compress=zlib-stream`` (or ``zstd-stream`` when a zstd module is importable).

Tests configure guilds, start the emulator, point discord.py at it with
``point_discord_py_at(emu)``, inject interactions and read back what the bot sent.
"""

# ruff: noqa: ASYNC109  (a `timeout=` argument on waits is the API tests asked for)
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

T = TypeVar("T")
Json = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
#: What discord.py 2.7's ``Permissions.all()`` holds; owners and administrators get this.
ALL_PERMISSIONS = 8866461766385663
#: @everyone default: view, send, embed links, read history, add reactions, use app commands.
DEFAULT_EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 6) | (1 << 31)
GUILDS_INTENT = 1 << 0
GUILD_MEMBERS_INTENT = 1 << 1
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
#: The only flag an edit may set or clear; EPHEMERAL stays as the message was created (for a
#: deferred answer: as the defer chose it).
EDITABLE_FLAGS = SUPPRESS_EMBEDS

_API_PREFIX = re.compile(r"^/api/v\d+(?P<path>/.*)$")
_DEFAULT_ERRORS: dict[int, tuple[str, int]] = {
    400: ("400: Bad Request", 0),
    401: ("401: Unauthorized", 0),
    403: ("Missing Access", 50001),
    404: ("Unknown Channel", 10003),
    405: ("405: Method Not Allowed", 0),
    500: ("500: Internal Server Error", 0),
    502: ("502: Bad Gateway", 0),
}
_NOT_FOUND_BY_PREFIX = (
    ("/webhooks/", "Unknown Webhook", 10015),
    ("/interactions/", "Unknown interaction", 10062),
    ("/guilds/", "Unknown Guild", 10004),
)



def _zstd_stream() -> Callable[[bytes], bytes] | None:
    """One zstd stream per connection, each message flushed as a block, or None if no zstd.

    discord.py asks for ``zstd-stream`` exactly when ``zstandard`` or the stdlib
    ``compression.zstd`` (Python 3.14+) imports, so the emulator mirrors that choice.
    """
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        try:
            from compression.zstd import ZstdCompressor  # type: ignore[import-not-found]
        except ImportError:
            return None
        stdlib = ZstdCompressor()
        return lambda raw: stdlib.compress(raw, mode=ZstdCompressor.FLUSH_BLOCK)
    stream = zstandard.ZstdCompressor().compressobj()
    return lambda raw: stream.compress(raw) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


ZSTD_AVAILABLE = _zstd_stream() is not None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False, **extra: Any) -> Json:
    """A user object as Discord sends it (discord.py needs id, username, discriminator, avatar)."""
    return {"id": str(user_id), "username": username, "discriminator": "0",
            "global_name": None, "avatar": None, "bot": bot, "public_flags": 0, **extra}


def role(role_id: int, name: str, permissions: int = 0, *, position: int = 1, **extra: Any) -> Json:
    """A role with a permission bitfield (e.g. ``MANAGE_GUILD``), for ``add_guild(roles=...)``."""
    return {"id": str(role_id), "name": name, "permissions": str(permissions),
            "position": position, "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False, "managed": False, "mentionable": False, "icon": None,
            "unicode_emoji": None, "flags": 0, **extra}


def text_channel(channel_id: int, name: str, *, position: int = 0, **extra: Any) -> Json:
    """A guild text channel, for ``add_guild(channels=...)``."""
    return {"id": str(channel_id), "type": 0, "name": name, "position": position,
            "permission_overwrites": [], "nsfw": False, "topic": None, "last_message_id": None,
            "rate_limit_per_user": 0, "parent_id": None, "flags": 0, **extra}


def member(user_id: int, username: str, *, roles: Sequence[int] = (), **extra: Any) -> Json:
    """A guild member holding ``roles`` (ids), for ``add_guild(members=...)``."""
    return {"user": user(user_id, username), "roles": [str(r) for r in roles],
            "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0, "pending": False,
            "nick": None, "avatar": None, "premium_since": None,
            "communication_disabled_until": None, **extra}


class ApiError(Exception):
    """A Discord error answer (status + JSON body); raised inside handlers, rendered once."""

    def __init__(self, status: int, message: str, code: int = 0, errors: Json | None = None):
        super().__init__(f"{status} {message}")
        self.status, self.message, self.code, self.errors = status, message, code, errors

    def body(self) -> Json:
        body: Json = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class _Body:
    """Accessors shared by everything the bot sent: the fields tests assert on."""

    data: Json

    @property
    def _current(self) -> Json:
        return self.data

    @property
    def content(self) -> str | None:
        return self._current.get("content")

    @property
    def embeds(self) -> list[Json]:
        return self._current.get("embeds") or []

    @property
    def flags(self) -> int:
        return int(self._current.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def allowed_mentions(self) -> Json | None:
        return self.data.get("allowed_mentions")

    @property
    def components(self) -> list[Json]:
        return self._current.get("components") or []


@dataclass
class Callback(_Body):
    """The bot's answer to an interaction: type 4 message, 5 defer, 8 choices, 9 modal."""

    interaction_id: str = ""
    type: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def choices(self) -> list[Json]:
        return self.data.get("choices") or []


NONCE_WINDOW_S = 300  # Discord keeps a nonce for "a few minutes" for enforce_nonce


@dataclass
class SentMessage(_Body):
    """A message the bot created: ``message`` is its current state (content, embeds, flags and
    components are read from it), ``data`` the request bodies merged, ``edits`` each PATCH."""

    message: Json = field(default_factory=dict)
    kind: str = "channel"  # channel | original | followup
    interaction_id: str | None = None
    files: list[str] = field(default_factory=list)
    edits: list[Json] = field(default_factory=list)
    deleted: bool = False
    created: float = field(default_factory=time.time)

    @property
    def _current(self) -> Json:
        return self.message

    @property
    def id(self) -> str:
        return self.message["id"]

    @property
    def channel_id(self) -> str:
        return self.message["channel_id"]


@dataclass
class InteractionRecord:
    """One injected interaction and everything the bot did with it."""

    id: str
    token: str
    type: int
    payload: Json
    callback: Callback | None = None
    original: SentMessage | None = None
    followups: list[SentMessage] = field(default_factory=list)


@dataclass
class RecordedRequest:
    """Every REST call, so tests can assert what was (not) called."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class _FailRule:
    method: str
    path: re.Pattern[str]
    status: int
    retry_after: float | None
    code: int | None
    message: str | None
    times: int
    scope: str


@dataclass
class _Guild:
    id: int
    name: str
    owner_id: int
    roles: list[Json]
    channels: list[Json]
    members: list[Json]
    locale: str

    def member(self, user_id: int) -> Json | None:
        return next((m for m in self.members if int(m["user"]["id"]) == user_id), None)

    def channel(self, channel_id: int) -> Json | None:
        return next((c for c in self.channels if int(c["id"]) == channel_id), None)

    def permissions(self, user_id: int) -> int:
        """Guild-level permissions (channel overwrites ignored): owner/admin get everything."""
        found = self.member(user_id)
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        by_id = {int(r["id"]): int(r["permissions"]) for r in self.roles}
        perms = by_id.get(self.id, 0)
        for rid in (found or {}).get("roles", []):
            perms |= by_id.get(int(rid), 0)
        return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


def _valid_shard(shard: object) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as (id, count), or None where Discord closes with 4010."""
    if not isinstance(shard, list) or len(shard) != 2:
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in shard):
        return None
    shard_id, count = shard
    return (shard_id, count) if 0 <= shard_id < count else None


def _on_shard(guild_id: int, shard: tuple[int, int]) -> bool:
    """Discord's rule: a guild lives on shard (guild_id >> 22) % shard_count."""
    return (guild_id >> 22) % shard[1] == shard[0]


def _event_guild(event: str, data: Any) -> int | None:
    """The guild a dispatched event belongs to, by Discord's payload shapes."""
    if not isinstance(data, dict):
        return None
    if data.get("guild_id"):
        return int(data["guild_id"])
    if event.startswith("GUILD_") and data.get("id"):
        return int(data["id"])
    return None


class _GatewayConnection:
    """One gateway socket; a lock keeps the shared compression stream in send order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.seq = 0
        self.session_id: str | None = None
        self.identify: Json | None = None
        self.shard: tuple[int, int] = (0, 1)
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = _zstd_stream() if compress == "zstd-stream" else None

    async def send(self, op: int, d: Any = None, t: str | None = None) -> None:
        async with self._lock:
            s = None
            if op == 0:
                self.seq += 1
                s = self.seq
            raw = json.dumps({"op": op, "d": d, "s": s, "t": t}).encode()
            if self._zlib is not None:
                flushed = self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(flushed)
            elif self._zstd is not None:
                await self.ws.send_bytes(self._zstd(raw))
            else:
                await self.ws.send_str(raw.decode())


class DiscordEmulator:
    """Discord's REST API and Gateway, in-process, for one bot application."""

    def __init__(self, token: str = "test-token", *, application_id: int = 100000000000000001,
                 bot_user_id: int | None = None, bot_name: str = "fanbot",
                 shard_count: int = 1, heartbeat_interval_ms: int = 41250,
                 privileged_intents: int = PRIVILEGED_INTENTS) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id or application_id
        self.bot_user = user(self.bot_user_id, bot_name, bot=True, verified=True,
                             mfa_enabled=False, flags=0)
        self.shard_count = shard_count
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.requests: list[RecordedRequest] = []
        self.gateway_received: list[Json] = []
        self.gateway_connects: list[dict[str, str]] = []
        self.interactions: dict[str, InteractionRecord] = {}
        self.messages: dict[str, SentMessage] = {}
        self._guilds: dict[int, _Guild] = {}
        self._users: dict[int, Json] = {self.bot_user_id: self.bot_user}
        self._dm_channels: dict[int, Json] = {}
        self._forbidden: set[int] = set()
        self._deleted: set[int] = set()
        self._fail_rules: list[_FailRule] = []
        self._sessions: dict[str, Json] = {}
        self._connections: list[_GatewayConnection] = []
        self._last_id = 0
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes = self._build_routes()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 with an OS-chosen port (parallel tests never collide)."""
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for conn in list(self._connections):
            await conn.ws.close(code=1001, message=b"emulator stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/"

    # -- configuration -------------------------------------------------------------------------

    def add_guild(self, guild_id: int, name: str, *, owner_id: int,
                  channels: Sequence[Json] = (), roles: Sequence[Json] = (),
                  members: Sequence[Json] = (), locale: str = "en-US") -> None:
        """Configure a guild the bot is in; call before the client connects (READY lists it).

        An @everyone role (id == guild id) and the bot's own member are added when missing, and
        a "general" text channel when none is given, because discord.py expects all three.
        """
        all_roles = [dict(r) for r in roles]
        if not any(int(r["id"]) == guild_id for r in all_roles):
            everyone = role(guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, position=0)
            all_roles.insert(0, everyone)
        all_channels = [dict(c) for c in channels] or [text_channel(self._snowflake(), "general")]
        all_members = [dict(m) for m in members]
        if not any(int(m["user"]["id"]) == self.bot_user_id for m in all_members):
            all_members.append(member(self.bot_user_id, self.bot_user["username"]))
        for m in all_members:
            m["user"] = {**m["user"], "bot": int(m["user"]["id"]) == self.bot_user_id}
            self._users[int(m["user"]["id"])] = m["user"]
        self._guilds[guild_id] = _Guild(guild_id, name, owner_id, all_roles, all_channels,
                                        all_members, locale)

    def add_user(self, user_id: int, username: str) -> Json:
        """Register a user who is in no guild (e.g. someone who only DMs the bot)."""
        self._users[user_id] = user(user_id, username)
        return self._users[user_id]

    def forbid_channel(self, channel_id: int) -> None:
        """From now on every call on this channel answers 403 Missing Access (bot lost access)."""
        self._forbidden.add(int(channel_id))

    def delete_channel(self, channel_id: int) -> None:
        """From now on every call on this channel answers 404 Unknown Channel."""
        self._deleted.add(int(channel_id))

    def restore_channel(self, channel_id: int) -> None:
        """Undo ``forbid_channel``/``delete_channel``: the bot was let back in."""
        self._forbidden.discard(int(channel_id))
        self._deleted.discard(int(channel_id))

    def fail_next(self, method: str, path_regex: str, status: int, *,
                  retry_after: float | None = None, code: int | None = None,
                  message: str | None = None, times: int = 1, scope: str = "user") -> None:
        """Answer the next ``times`` matching calls with Discord's error for ``status``.

        ``path_regex`` must fully match the path after the API base, e.g.
        ``r"/channels/\\d+/messages"``; ``method`` may be ``"*"``. 429 answers carry the body
        and X-RateLimit-* headers discord.py reads; ``scope="global"`` makes it a global limit.
        """
        self._fail_rules.append(_FailRule(method.upper(), re.compile(path_regex), status,
                                          retry_after, code, message, times, scope))

    # -- reading what the bot did --------------------------------------------------------------

    def channel_messages(self, channel_id: int) -> list[SentMessage]:
        """Messages the bot posted with POST /channels/{id}/messages (not interaction replies)."""
        return [m for m in self.messages.values()
                if m.kind == "channel" and int(m.channel_id) == int(channel_id) and not m.deleted]

    def interaction(self, interaction_id: int | str) -> InteractionRecord:
        return self.interactions[str(interaction_id)]

    async def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0,
                       what: str = "condition") -> T:
        """Wait until ``predicate()`` is truthy (re-checked on every recorded event); return it."""
        assert self._changed is not None, "start the emulator first"
        found: list[T] = []

        def check() -> bool:
            value = predicate()
            if value:
                found.append(value)
            return bool(value)

        try:
            async with self._changed, asyncio.timeout(timeout):
                await self._changed.wait_for(check)
        except TimeoutError:
            raise TimeoutError(f"{what} not seen within {timeout}s") from None
        return found[-1]

    async def wait_for_callback(self, interaction_id: int | str, timeout: float = 5.0) -> Callback:
        rec = self.interaction(interaction_id)
        return await self.wait_for(lambda: rec.callback, timeout, f"callback for {rec.id}")

    async def wait_for_followup(self, interaction_id: int | str, index: int = 0,
                                timeout: float = 5.0) -> SentMessage:
        rec = self.interaction(interaction_id)
        return await self.wait_for(
            lambda: rec.followups[index] if len(rec.followups) > index else None,
            timeout, f"followup #{index} for {rec.id}")

    async def wait_for_original_edit(self, interaction_id: int | str,
                                     timeout: float = 5.0) -> SentMessage:
        """Wait until the original response was edited (the usual answer after a defer)."""
        rec = self.interaction(interaction_id)
        return await self.wait_for(lambda: rec.original if rec.original and rec.original.edits
                                   else None, timeout, f"original edit for {rec.id}")

    async def wait_for_message(self, channel_id: int, timeout: float = 5.0,
                               count: int = 1) -> SentMessage:
        """Wait until the channel holds ``count`` bot messages; return the ``count``-th."""
        return await self.wait_for(
            lambda: (self.channel_messages(channel_id)[count - 1]
                     if len(self.channel_messages(channel_id)) >= count else None),
            timeout, f"message #{count} in channel {channel_id}")

    async def wait_until_identified(self, timeout: float = 5.0,
                                    guild_id: int | None = None) -> None:
        await self.wait_for(lambda: self._connection_for(guild_id), timeout,
                            "an identified gateway client")

    @property
    def identify_payloads(self) -> list[Json]:
        return [p["d"] for p in self.gateway_received if p.get("op") == 2]

    # -- injecting gateway events --------------------------------------------------------------

    async def dispatch(self, event: str, data: Json, *, guild_id: int | None = None,
                       timeout: float = 5.0) -> None:
        """Send a DISPATCH event to the client holding its guild's shard (waits for IDENTIFY).

        The guild is the one the event names (``guild_id``, or a GUILD_* event's ``id``), as
        Discord routes it; a ``guild_id`` that disagrees with the event is a test's mistake.
        """
        named = _event_guild(event, data)
        if named is not None and guild_id is not None and named != guild_id:
            wanted = (named >> 22) % self.shard_count
            raise AssertionError(f"{event} names guild {named} (shard {wanted}), not {guild_id}")
        guild_id = named if named is not None else guild_id
        await self.wait_until_identified(timeout, guild_id)
        conn = self._connection_for(guild_id)
        assert conn is not None
        await conn.send(0, data, event)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every client, as Discord does routinely; they should RESUME."""
        for conn in list(self._connections):
            await conn.send(7)

    async def inject_interaction(self, type_: int, data: Json | None, *,
                                 guild_id: int | None = None, channel_id: int | None = None,
                                 user_id: int | None = None, message: Json | None = None,
                                 locale: str = "en-US", context: int | None = None,
                                 timeout: float = 5.0) -> InteractionRecord:
        """Dispatch INTERACTION_CREATE of ``type_`` with a fresh id and token; in a guild when
        ``guild_id`` is given (member with permissions), else in the user's DM (user object)."""
        iid, token = str(self._snowflake()), "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        payload: Json = {"id": iid, "application_id": str(self.application_id), "type": type_,
                         "token": token, "version": 1, "locale": locale, "entitlements": [],
                         "attachment_size_limit": 10 * 1024 * 1024}
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = message
        if guild_id is not None:
            guild = self._guilds[guild_id]
            channel = (guild.channel(channel_id) if channel_id else guild.channels[0])
            if channel is None:
                raise KeyError(f"channel {channel_id} is not in guild {guild_id}")
            uid = user_id or next(int(m["user"]["id"]) for m in guild.members
                                  if int(m["user"]["id"]) != self.bot_user_id)
            found = guild.member(uid)
            if found is None:
                raise KeyError(f"user {uid} is not a member of guild {guild_id}")
            payload.update(
                guild_id=str(guild_id), channel_id=channel["id"],
                channel={**channel, "guild_id": str(guild_id)},
                guild={"id": str(guild_id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale, context=0 if context is None else context,
                member={**found, "permissions": str(guild.permissions(uid))},
                app_permissions=str(guild.permissions(self.bot_user_id)),
                authorizing_integration_owners={"0": str(guild_id)})
        else:
            if user_id is None:
                raise ValueError("a DM interaction needs user_id")
            who = self._users.get(user_id) or self.add_user(user_id, f"user{user_id}")
            dm = self._dm_channel(user_id)
            ctx = 1 if context is None else context
            owners = {"0": "0"} if ctx == 1 else {"1": str(user_id)}
            payload.update(channel_id=dm["id"], channel=dm, user=who, context=ctx,
                           app_permissions=str(ALL_PERMISSIONS & ~ADMINISTRATOR),
                           authorizing_integration_owners=owners)
        rec = InteractionRecord(iid, token, type_, payload)
        self.interactions[iid] = rec
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id, timeout=timeout)
        return rec

    async def inject_slash_command(self, name: str, options: Mapping[str, Any] | Sequence[Json]
                                   | None = None, *, subcommand: str | None = None,
                                   **where: Any) -> InteractionRecord:
        """A chat-input command (type 2); ``options`` as {name: value} (types inferred) or raw."""
        data = self._command_data(name, _options(options), subcommand, where.get("guild_id"))
        return await self.inject_interaction(2, data, **where)

    async def inject_autocomplete(self, name: str, focused: str, value: str,
                                  options: Mapping[str, Any] | None = None, *,
                                  subcommand: str | None = None,
                                  **where: Any) -> InteractionRecord:
        """An autocomplete request (type 4): the user is typing ``value`` into ``focused``."""
        opts = _options({**(options or {}), focused: value})
        for opt in opts:
            if opt["name"] == focused:
                opt.update(type=3, focused=True)
        data = self._command_data(name, opts, subcommand, where.get("guild_id"))
        return await self.inject_interaction(4, data, **where)

    async def inject_component(self, custom_id: str, *, message_id: int | str,
                               component_type: int = 2, values: Sequence[str] | None = None,
                               user_id: int | None = None, **where: Any) -> InteractionRecord:
        """A component press (type 3) on a message the bot sent (button: 2, string select: 3)."""
        sent = self.messages[str(message_id)]
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        guild_id = sent.message.get("guild_id")
        where.setdefault("guild_id", int(guild_id) if guild_id else None)
        if where["guild_id"] is not None:
            where.setdefault("channel_id", int(sent.channel_id))
        return await self.inject_interaction(3, data, message=sent.message, user_id=user_id,
                                             **where)

    async def inject_modal_submit(self, custom_id: str, values: Mapping[str, str],
                                  **where: Any) -> InteractionRecord:
        """A modal submit (type 5): ``values`` maps each text input's custom_id to its text."""
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": cid, "value": val}]}
                for cid, val in values.items()]
        return await self.inject_interaction(5, {"custom_id": custom_id, "components": rows},
                                             **where)

    # -- internals: ids, lookups ---------------------------------------------------------------

    def _snowflake(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(self._last_id + 1, candidate)
        return self._last_id

    def _dm_channel(self, user_id: int) -> Json:
        if user_id not in self._dm_channels:
            who = self._users.get(user_id) or self.add_user(user_id, f"user{user_id}")
            self._dm_channels[user_id] = {"id": str(self._snowflake()), "type": 1, "flags": 0,
                                          "last_message_id": None, "recipients": [who]}
        return self._dm_channels[user_id]

    def _find_channel(self, channel_id: int) -> tuple[Json, int | None]:
        """The channel and its guild id, or Discord's error for a missing/forbidden channel."""
        if channel_id in self._deleted:
            raise ApiError(404, "Unknown Channel", 10003)
        if channel_id in self._forbidden:
            raise ApiError(403, "Missing Access", 50001)
        for guild in self._guilds.values():
            found = guild.channel(channel_id)
            if found is not None:
                return {**found, "guild_id": str(guild.id)}, guild.id
        for dm in self._dm_channels.values():
            if int(dm["id"]) == channel_id:
                return dm, None
        raise ApiError(404, "Unknown Channel", 10003)

    def _connection_for(self, guild_id: int | None) -> _GatewayConnection | None:
        """The session holding ``guild_id``'s shard by its own [id, count], as Discord routes
        (so a session of another count, as while resharding, gets its own share); DMs: shard 0.
        """
        live = [c for c in self._connections if c.identify is not None and not c.ws.closed]
        if guild_id is None:
            return next((c for c in live if c.shard[0] == 0), None)
        return next((c for c in live if _on_shard(guild_id, c.shard)), None)

    def _command_data(self, name: str, options: list[Json], subcommand: str | None,
                      guild_id: int | None) -> Json:
        if subcommand is not None:
            options = [{"name": subcommand, "type": 1, "options": options}]
        stored = next((c for c in self.guild_commands.get(guild_id or 0, []) if c["name"] == name),
                      None) or next((c for c in self.global_commands if c["name"] == name), None)
        data: Json = {"id": stored["id"] if stored else str(self._snowflake()), "name": name,
                      "type": 1, "options": options}
        if stored and "guild_id" in stored:
            data["guild_id"] = stored["guild_id"]
        return data

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # -- gateway -------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return await self._rest(request)
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.gateway_connects.append(dict(request.query))
        compress = request.query.get("compress")
        supported = {None, "zlib-stream"} | ({"zstd-stream"} if ZSTD_AVAILABLE else set())
        if request.query.get("encoding", "json") != "json" or compress not in supported:
            await ws.close(code=4002, message=b"Unsupported encoding or compression")
            return ws
        conn = _GatewayConnection(ws, compress)
        self._connections.append(conn)
        try:
            await conn.send(10, {"heartbeat_interval": self.heartbeat_interval_ms})
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                payload = json.loads(msg.data)
                self.gateway_received.append(payload)
                await self._on_gateway_op(conn, payload)
                await self._notify()
        finally:
            self._connections.remove(conn)
            await self._notify()
        return ws

    async def _on_gateway_op(self, conn: _GatewayConnection, payload: Json) -> None:
        op, d = payload.get("op"), payload.get("d")
        if op == 1:
            await conn.send(11)
        elif op == 2:
            await self._identify(conn, d)
        elif op == 6:
            session = self._sessions.get(d.get("session_id", ""))
            if session is None or d.get("token") != self.token:
                await conn.send(9, False)
                return
            conn.identify, conn.session_id = session, d["session_id"]
            conn.shard, conn.seq = tuple(session.get("shard") or (0, 1)), d.get("seq") or 0
            await conn.send(0, {}, "RESUMED")
        elif op == 8:
            await self._members_chunk(conn, d)

    async def _identify(self, conn: _GatewayConnection, d: Json) -> None:
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.identify is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = _valid_shard(d.get("shard", [0, 1]))
        if shard is None:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        shard_id, shard_count = shard
        conn.identify, conn.shard = d, (shard_id, shard_count)
        conn.session_id = secrets.token_hex(16)
        self._sessions[conn.session_id] = d
        guilds = [g for g in self._guilds.values() if _on_shard(g.id, conn.shard)]
        ready: Json = {
            "v": 10, "user": self.bot_user, "session_id": conn.session_id,
            "resume_gateway_url": self.gateway_url, "session_type": "normal",
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [], "relationships": [], "presences": [],
            "user_settings": {}, "guild_join_requests": [], "geo_ordered_rtc_regions": []}
        if d.get("shard"):
            ready["shard"] = [shard_id, shard_count]
        await conn.send(0, ready, "READY")
        if intents & GUILDS_INTENT:
            for guild in guilds:
                await conn.send(0, self._guild_create(guild, intents), "GUILD_CREATE")

    def _guild_create(self, guild: _Guild, intents: int) -> Json:
        """GUILD_CREATE as Discord sends it; without GUILD_MEMBERS only the bot's own member."""
        members = guild.members if intents & GUILD_MEMBERS_INTENT else [
            m for m in guild.members if int(m["user"]["id"]) == self.bot_user_id]
        return {
            "id": str(guild.id), "name": guild.name, "owner_id": str(guild.owner_id),
            "icon": None, "splash": None, "banner": None, "description": None,
            "roles": guild.roles, "channels": guild.channels, "members": members,
            "member_count": len(guild.members), "large": False, "unavailable": False,
            "joined_at": _now_iso(), "features": [], "emojis": [], "stickers": [],
            "threads": [], "presences": [], "voice_states": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "preferred_locale": guild.locale, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "nsfw_level": 0, "premium_tier": 0, "premium_subscription_count": 0,
            "system_channel_id": None, "afk_channel_id": None, "afk_timeout": 300,
            "application_id": None, "max_members": 500000, "vanity_url_code": None,
            "premium_progress_bar_enabled": False, "system_channel_flags": 0}

    async def _members_chunk(self, conn: _GatewayConnection, d: Json) -> None:
        guild = self._guilds.get(int(d["guild_id"]))
        if guild is None:
            return
        wanted = {int(u) for u in d.get("user_ids") or []}
        query = (d.get("query") or "").lower()
        found = [m for m in guild.members
                 if (not wanted or int(m["user"]["id"]) in wanted)
                 and m["user"]["username"].lower().startswith(query)]
        limit = d.get("limit") or len(found)
        chunk: Json = {"guild_id": str(guild.id), "members": found[:limit], "chunk_index": 0,
                       "chunk_count": 1, "not_found": []}
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await conn.send(0, chunk, "GUILD_MEMBERS_CHUNK")

    # -- REST ----------------------------------------------------------------------------------

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], bool, Any]]:
        """(method, path pattern, needs bot auth, handler); webhook routes use the token instead."""
        table = [
            ("GET", r"/users/@me", True, self._get_me),
            ("GET", r"/users/(?P<uid>\d+)", True, self._get_user),
            ("POST", r"/users/@me/channels", True, self._create_dm),
            ("GET", r"/oauth2/applications/@me", True, self._get_application),
            ("GET", r"/gateway", False, self._get_gateway),
            ("GET", r"/gateway/bot", True, self._get_gateway),
            ("GET", r"/applications/(?P<app>\d+)(?:/guilds/(?P<gid>\d+))?/commands", True,
             self._get_commands),
            ("PUT", r"/applications/(?P<app>\d+)(?:/guilds/(?P<gid>\d+))?/commands", True,
             self._put_commands),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", False,
             self._callback),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", False, self._followup),
            ("GET", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
             False, self._webhook_message),
            ("PATCH", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
             False, self._webhook_message),
            ("DELETE", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
             False, self._webhook_message),
            ("GET", r"/channels/(?P<cid>\d+)", True, self._get_channel),
            ("POST", r"/channels/(?P<cid>\d+)/messages", True, self._post_message),
            ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", True, self._channel_message),
            ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", True,
             self._channel_message),
            ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", True,
             self._channel_message),
            ("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", True, self._get_member),
        ]
        return [(m, re.compile(p), auth, h) for m, p, auth, h in table]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        prefix = _API_PREFIX.match(request.path)
        path = prefix["path"] if prefix else request.path
        route = next(((auth, h, found.groupdict()) for m, p, auth, h in self._routes
                      if m == request.method and (found := p.fullmatch(path))), None)
        body, files = await _read_body(request)
        record = RecordedRequest(request.method, path, dict(request.query), body)
        self.requests.append(record)
        bucket = hashlib.sha1(f"{request.method} {path}".encode()).hexdigest()[:16]
        try:
            if route and route[0] and request.headers.get("Authorization") != f"Bot {self.token}":
                raise ApiError(401, "401: Unauthorized")
            rule = self._take_fail_rule(request.method, path)
            if rule is not None:
                return self._fail_response(rule, path, bucket, record)
            if prefix is None or route is None:
                raise ApiError(404, "404: Not Found")
            result = await route[1](request, route[2], body, files)
        except ApiError as err:
            record.status = err.status
            await self._notify()
            return _json(err.body(), err.status, bucket)
        record.status = 204 if result is None else 200
        await self._notify()
        return web.Response(status=204) if result is None else _json(result, 200, bucket)

    def _take_fail_rule(self, method: str, path: str) -> _FailRule | None:
        for rule in self._fail_rules:
            if rule.method in ("*", method) and rule.path.fullmatch(path):
                rule.times -= 1
                if rule.times <= 0:
                    self._fail_rules.remove(rule)
                return rule
        return None

    def _fail_response(self, rule: _FailRule, path: str, bucket: str,
                       record: RecordedRequest) -> web.Response:
        record.status = rule.status
        if rule.status == 429:
            retry = 1.0 if rule.retry_after is None else rule.retry_after
            is_global = rule.scope == "global"
            headers = {"Retry-After": str(math.ceil(retry)), "X-RateLimit-Limit": "5",
                       "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                       "X-RateLimit-Reset-After": f"{retry:.3f}", "X-RateLimit-Bucket": bucket,
                       "X-RateLimit-Scope": rule.scope}
            if is_global:
                headers["X-RateLimit-Global"] = "true"
            body: Json = {"message": rule.message or "You are being rate limited.",
                          "retry_after": retry, "global": is_global}
            if rule.code is not None:
                body["code"] = rule.code
            return _json(body, 429, None, headers)
        message, code = _DEFAULT_ERRORS.get(rule.status, (f"{rule.status}: Error", 0))
        if rule.status == 404:
            message, code = next(((m, c) for pre, m, c in _NOT_FOUND_BY_PREFIX
                                  if path.startswith(pre)), (message, code))
        err = ApiError(rule.status, rule.message or message, code if rule.code is None
                       else rule.code)
        return _json(err.body(), rule.status, bucket)

    # -- REST handlers: each takes (request, path params, body, files) ---------------------------

    async def _get_me(self, *_: Any) -> Json:
        return self.bot_user

    async def _get_user(self, _r: web.Request, p: dict[str, str], *_: Any) -> Json:
        found = self._users.get(int(p["uid"]))
        if found is None:
            raise ApiError(404, "Unknown User", 10013)
        return found

    async def _create_dm(self, _r: web.Request, _p: dict[str, str], body: Json, _f: Any) -> Json:
        return self._dm_channel(int(body["recipient_id"]))

    async def _get_application(self, *_: Any) -> Json:
        return {"id": str(self.application_id), "name": self.bot_user["username"], "icon": None,
                "description": "", "summary": "", "type": None, "bot_public": True,
                "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                "owner": user(1, "owner"), "team": None, "bot": self.bot_user,
                "interactions_endpoint_url": None, "redirect_uris": [], "tags": [],
                "approximate_guild_count": len(self._guilds)}

    async def _get_gateway(self, request: web.Request, *_: Any) -> Json:
        if not request.path.endswith("/bot"):
            return {"url": self.gateway_url}
        return {"url": self.gateway_url, "shards": self.shard_count,
                "session_start_limit": {"total": 1000, "remaining": 999,
                                        "reset_after": 14400000, "max_concurrency": 1}}

    def _command_list(self, p: dict[str, str]) -> list[Json]:
        if int(p["app"]) != self.application_id:
            raise ApiError(403, "Missing Access", 50001)
        if p.get("gid") is None:
            return self.global_commands
        gid = int(p["gid"])
        if gid not in self._guilds:
            raise ApiError(403, "Missing Access", 50001)
        return self.guild_commands.setdefault(gid, [])

    async def _get_commands(self, _r: web.Request, p: dict[str, str], *_: Any) -> list[Json]:
        return self._command_list(p)

    async def _put_commands(self, _r: web.Request, p: dict[str, str], body: list[Json],
                            _f: Any) -> list[Json]:
        """Bulk overwrite; a command keeps its id while its name and type stay (as on Discord)."""
        current = self._command_list(p)
        _validate_commands(body)
        new = [self._stored_command(c, p.get("gid"), current) for c in body]
        current[:] = new
        return new

    def _stored_command(self, body: Json, gid: str | None, current: list[Json]) -> Json:
        old = next((c for c in current if (c["name"], c.get("type", 1))
                    == (body["name"], body.get("type", 1))), None)
        cmd: Json = {"type": 1, "description": "", "options": [], "nsfw": False,
                     "default_member_permissions": None, "integration_types": [0],
                     "contexts": None, **body, "id": old["id"] if old else str(self._snowflake()),
                     "application_id": str(self.application_id),
                     "version": str(self._snowflake())}
        if gid is not None:
            cmd["guild_id"] = gid
        return cmd

    def _interaction_by_token(self, token: str) -> InteractionRecord:
        rec = next((r for r in self.interactions.values() if r.token == token), None)
        if rec is None or rec.callback is None:
            raise ApiError(404, "Unknown Webhook", 10015)
        return rec

    def _new_message(self, data: Json, files: list[str], channel_id: str,
                     guild_id: str | None, kind: str, interaction_id: str | None) -> SentMessage:
        mid = str(self._snowflake())
        message: Json = {
            "id": mid, "channel_id": channel_id, "author": self.bot_user, "type": 0,
            "content": data.get("content") or "", "timestamp": _now_iso(),
            "edited_timestamp": None, "tts": bool(data.get("tts")), "mention_everyone": False,
            "mentions": [], "mention_roles": [], "pinned": False,
            "embeds": [{"type": "rich", **e} for e in data.get("embeds") or []],
            "components": data.get("components") or [], "flags": int(data.get("flags") or 0),
            "attachments": [_attachment(self._snowflake(), f) for f in files]}
        if guild_id is not None:
            message["guild_id"] = guild_id
        if kind != "channel":
            message.update(webhook_id=str(self.application_id),
                           application_id=str(self.application_id),
                           type=20 if self.interactions[str(interaction_id)].type == 2 else 0)
        if data.get("message_reference"):
            message["message_reference"] = data["message_reference"]
        sent = SentMessage(data=data, message=message, kind=kind, interaction_id=interaction_id,
                           files=files)
        self.messages[mid] = sent
        return sent

    def _edit(self, sent: SentMessage, data: Json, files: list[str]) -> Json:
        _validate_message(data, files, partial=True)
        sent.edits.append(data)
        sent.data = {**sent.data, **data}
        sent.files += files
        msg = sent.message
        for key in ("content", "components"):
            if key in data:
                msg[key] = data[key] if data[key] is not None else ([] if key != "content" else "")
        if "embeds" in data:
            msg["embeds"] = [{"type": "rich", **e} for e in data["embeds"] or []]
        flags = int(msg.get("flags") or 0)
        if data.get("flags") is not None:
            flags = (flags & ~EDITABLE_FLAGS) | (int(data["flags"]) & EDITABLE_FLAGS)
        msg["flags"] = flags & ~LOADING
        msg["attachments"] = msg.get("attachments", []) + [
            _attachment(self._snowflake(), f) for f in files]
        msg["edited_timestamp"] = _now_iso()
        return msg

    async def _callback(self, request: web.Request, p: dict[str, str], body: Json,
                        files: list[str]) -> Json | None:
        rec = self.interactions.get(p["iid"])
        if rec is None or rec.token != p["token"]:
            raise ApiError(404, "Unknown interaction", 10062)
        if rec.callback is not None:
            raise ApiError(400, "Interaction has already been acknowledged.", 40060)
        ctype, data = int(body["type"]), body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(rec.type, {1})
        if ctype not in allowed:
            raise ApiError(400, "Interaction callback type invalid for this interaction", 50035)
        if ctype in (4, 7):
            _validate_message(data, files, partial=ctype == 7)
        if ctype == 8 and len(data.get("choices") or []) > 25:
            raise _form_error(("data", "choices"), "Must be 25 or fewer in length.")
        if ctype == 9:
            _validate_modal(data)
        rec.callback = Callback(data=data, interaction_id=rec.id, type=ctype, files=files)
        payload, resource_msg = rec.payload, None
        if ctype in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if ctype == 5 else 0)
            rec.original = self._new_message({**data, "flags": flags}, files,
                                             payload["channel_id"], payload.get("guild_id"),
                                             "original", rec.id)
            resource_msg = rec.original.message
        elif ctype in (6, 7) and "message" in payload:  # @original is now the clicked message
            rec.original = self.messages.get(payload["message"]["id"])
            if ctype == 7:
                resource_msg = (self._edit(rec.original, data, files) if rec.original
                                else payload["message"])
        if request.query.get("with_response") not in ("1", "true", "True"):
            return None
        inter: Json = {"id": rec.id, "type": rec.type, "response_message_loading": ctype == 5,
                       "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL)}
        result: Json = {"interaction": inter}
        if resource_msg is not None:
            inter["response_message_id"] = resource_msg["id"]
        if ctype in (4, 5, 7, 9):
            result["resource"] = {"type": ctype}
            if resource_msg is not None:
                result["resource"]["message"] = resource_msg
        return result

    async def _followup(self, request: web.Request, p: dict[str, str], body: Json,
                        files: list[str]) -> Json | None:
        """A follow-up; the first one after a defer replaces the "thinking…" message instead,
        keeping the ephemeral flag the defer chose (a follow-up's own flag cannot change it)."""
        rec = self._interaction_by_token(p["token"])
        _validate_message(body, files)
        loading = rec.original
        if loading is not None and not loading.deleted and loading.flags & LOADING:
            msg = self._edit(loading, {k: v for k, v in body.items() if k != "flags"}, files)
            return msg if request.query.get("wait") in ("1", "true", "True") else None
        sent = self._new_message(body, files, rec.payload["channel_id"],
                                 rec.payload.get("guild_id"), "followup", rec.id)
        rec.followups.append(sent)
        return sent.message if request.query.get("wait") in ("1", "true", "True") else None

    async def _webhook_message(self, request: web.Request, p: dict[str, str], body: Json,
                               files: list[str]) -> Json | None:
        rec = self._interaction_by_token(p["token"])
        if p["mid"] == "@original":
            sent = rec.original
        else:
            sent = next((m for m in [rec.original, *rec.followups]
                         if m is not None and m.id == p["mid"]), None)
        if sent is None or sent.deleted:
            raise ApiError(404, "Unknown Message", 10008)
        return self._message_verb(request.method, sent, body, files)

    def _message_verb(self, method: str, sent: SentMessage, body: Json,
                      files: list[str]) -> Json | None:
        if method == "DELETE":
            sent.deleted = True
            return None
        return self._edit(sent, body or {}, files) if method == "PATCH" else sent.message

    async def _get_channel(self, _r: web.Request, p: dict[str, str], *_: Any) -> Json:
        return self._find_channel(int(p["cid"]))[0]

    async def _post_message(self, _r: web.Request, p: dict[str, str], body: Json,
                            files: list[str]) -> Json:
        channel, guild_id = self._find_channel(int(p["cid"]))
        _validate_message(body, files)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > 25:
            raise _form_error(("nonce",), "Must be 25 or fewer in length.")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord returns the message already created with this nonce (a few minutes).
            for earlier in self.messages.values():
                if (earlier.kind == "channel" and earlier.channel_id == channel["id"]
                        and earlier.data.get("nonce") == nonce and not earlier.deleted
                        and time.time() - earlier.created < NONCE_WINDOW_S):
                    return earlier.message
        sent = self._new_message(body, files, channel["id"],
                                 str(guild_id) if guild_id else None, "channel", None)
        return sent.message

    async def _channel_message(self, request: web.Request, p: dict[str, str], body: Json,
                               files: list[str]) -> Json | None:
        self._find_channel(int(p["cid"]))
        sent = self.messages.get(p["mid"])
        if sent is None or sent.deleted or sent.channel_id != p["cid"]:
            raise ApiError(404, "Unknown Message", 10008)
        return self._message_verb(request.method, sent, body, files)

    async def _get_member(self, _r: web.Request, p: dict[str, str], *_: Any) -> Json:
        guild = self._guilds.get(int(p["gid"]))
        if guild is None:
            raise ApiError(404, "Unknown Guild", 10004)
        found = guild.member(int(p["uid"]))
        if found is None:
            raise ApiError(404, "Unknown Member", 10007)
        return found


# -- helpers without state -------------------------------------------------------------------


def _json(body: Any, status: int, bucket: str | None,
          headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON answer with the exact content type discord.py checks, plus Discord's headers."""
    all_headers = {"Content-Type": "application/json", "Via": "1.1 google"}
    if bucket is not None:  # a roomy bucket: real headers, but never a pre-emptive wait
        all_headers.update({"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49",
                            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                            "X-RateLimit-Reset-After": "1.000", "X-RateLimit-Bucket": bucket})
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(body).encode(), status=status, headers=all_headers)


async def _read_body(request: web.Request) -> tuple[Any, list[str]]:
    """JSON or multipart (``payload_json`` + files, as discord.py sends uploads)."""
    if request.content_type.startswith("multipart/"):
        body: Any = {}
        files: list[str] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "payload_json":  # type: ignore[union-attr]
                body = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                await part.read()  # type: ignore[union-attr]
                files.append(part.filename or part.name or "file")  # type: ignore[union-attr]
        return body, files
    text = await request.text() if request.can_read_body else ""
    try:
        return (json.loads(text) if text else None), []
    except json.JSONDecodeError:
        raise ApiError(400, "400: Bad Request") from None


def _attachment(attachment_id: int, filename: str) -> Json:
    url = f"https://cdn.discordapp.com/attachments/0/{attachment_id}/{filename}"
    return {"id": str(attachment_id), "filename": filename, "size": 0, "url": url,
            "proxy_url": url}


def _options(options: Mapping[str, Any] | Sequence[Json] | None) -> list[Json]:
    """Interaction options from {name: value}: bool 5, int 4, float 10, anything else string 3."""
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return [dict(o) for o in options]
    kinds = ((bool, 5), (int, 4), (float, 10))
    return [{"name": name, "value": value,
             "type": next((k for t, k in kinds if isinstance(value, t)), 3)}
            for name, value in options.items()]


def _form_error(path: Sequence[str | int], message: str) -> ApiError:
    """Discord's nested 50035 "Invalid Form Body", which discord.py flattens for its message."""
    errors: Json = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return ApiError(400, "Invalid Form Body", 50035, errors)


_EMBED_LIMITS = (("title", 256), ("description", 4096))


def _validate_message(data: Json, files: list[str], *, partial: bool = False) -> None:
    """Discord's message limits, so renderer bugs fail in tests as they would in production."""
    content = data.get("content") or ""
    if len(content) > 2000:
        raise _form_error(("content",), "Must be 2000 or fewer in length.")
    embeds = data.get("embeds") or []
    if len(embeds) > 10:
        raise _form_error(("embeds",), "Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in _EMBED_LIMITS:
            total += len(embed.get(key) or "")
            if len(embed.get(key) or "") > limit:
                raise _form_error(("embeds", i, key), f"Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _form_error(("embeds", i, "fields"), "Must be 25 or fewer in length.")
        for j, fld in enumerate(fields):
            if not fld.get("name") or len(fld["name"]) > 256:
                raise _form_error(("embeds", i, "fields", j, "name"), "Must be 1-256 long.")
            if not fld.get("value") or len(fld["value"]) > 1024:
                raise _form_error(("embeds", i, "fields", j, "value"), "Must be 1-1024 long.")
            total += len(fld["name"]) + len(fld["value"])
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > 6000:
        raise _form_error(("embeds",), "Embed size exceeds maximum size of 6000")
    if not partial and not (content or embeds or data.get("components") or files
                            or data.get("sticker_ids") or data.get("poll")):
        raise ApiError(400, "Cannot send an empty message", 50006)


def _validate_modal(data: Json) -> None:
    """Discord's modal rules: a custom_id and a title of 1-45, one to five rows, each text input
    within its limits (a pre-filled value no longer than its own max_length), no id twice."""
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        raise _form_error(("data", "custom_id"), "Must be between 1 and 100 in length.")
    if not 1 <= len(data.get("title") or "") <= 45:
        raise _form_error(("data", "title"), "Must be between 1 and 45 in length.")
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        raise _form_error(("data", "components"), "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        path: tuple[str | int, ...] = ("data", "components", i)
        if row.get("type") == 1:  # an action row holding one text input
            inputs = row.get("components") or []
            if len(inputs) != 1 or inputs[0].get("type") != 4:
                raise _form_error((*path, "components"), "A modal row holds one text input.")
            path, text_input, labelled = (*path, "components", 0), inputs[0], False
        elif row.get("type") == 18:  # a label around one component
            if not 1 <= len(row.get("label") or "") <= 45:
                raise _form_error((*path, "label"), "Must be between 1 and 45 in length.")
            path, text_input, labelled = (*path, "component"), row.get("component") or {}, True
        else:
            raise _form_error((*path, "type"), "Component type is invalid in a modal.")
        custom_id = text_input.get("custom_id") or ""
        if not 1 <= len(custom_id) <= 100 or custom_id in seen:
            raise _form_error((*path, "custom_id"), "Must be unique and 1-100 in length.")
        seen.add(custom_id)
        if text_input.get("type") != 4:
            continue  # a select inside a label: its own rules are not modelled here
        _validate_text_input(text_input, path, labelled)


def _validate_text_input(text_input: Json, path: Sequence[str | int], labelled: bool) -> None:
    if text_input.get("style") not in (1, 2):
        raise _form_error((*path, "style"), "Value must be one of (1, 2).")
    if not labelled and not 1 <= len(text_input.get("label") or "") <= 45:
        raise _form_error((*path, "label"), "Must be between 1 and 45 in length.")
    low, high = text_input.get("min_length"), text_input.get("max_length")
    if low is not None and not 0 <= low <= 4000:
        raise _form_error((*path, "min_length"), "Must be between 0 and 4000.")
    if high is not None and not 1 <= high <= 4000:
        raise _form_error((*path, "max_length"), "Must be between 1 and 4000.")
    if low is not None and high is not None and low > high:
        raise _form_error((*path, "min_length"), "Must be less than or equal to max_length.")
    if len(text_input.get("placeholder") or "") > 100:
        raise _form_error((*path, "placeholder"), "Must be 100 or fewer in length.")
    limit = min(4000, high or 4000)
    if len(text_input.get("value") or "") > limit:
        raise _form_error((*path, "value"), f"Must be {limit} or fewer in length.")


_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def _validate_commands(commands: list[Json]) -> None:
    """Naming and description rules Discord enforces at registration (discord.py checks less)."""
    for i, cmd in enumerate(commands):
        name, chat_input = cmd.get("name") or "", cmd.get("type", 1) == 1
        if not _COMMAND_NAME.match(name) or (chat_input and name != name.lower()):
            raise _form_error((i, "name"), "Command name is invalid")
        for path, text in [((i,), cmd.get("description") if chat_input else "x")] + [
                ((i, "options", j), o.get("description")) for j, o in
                enumerate(cmd.get("options") or [])]:
            if not 1 <= len(text or "") <= 100:
                raise _form_error((*path, "description"), "Must be between 1 and 100 in length.")


def one_guild(token: str, application_id: int, guild_id: int, channel_id: int, owner_id: int,
              **options: Any) -> DiscordEmulator:
    """An emulator whose bot is in one guild: a "general" text channel and its owner, a member."""
    emu = DiscordEmulator(token=token, application_id=application_id, **options)
    emu.add_guild(guild_id, "Fans", owner_id=owner_id,
                  channels=[text_channel(channel_id, "general")],
                  members=[member(owner_id, "fan")])
    return emu


@contextlib.contextmanager
def point_discord_py_at(emu: DiscordEmulator) -> Iterator[None]:
    """Aim discord.py's REST base and default gateway at ``emu``; restore them afterwards.

    discord.py builds every Route URL from ``Route.BASE`` at call time (webhooks and
    interaction callbacks included) and connects to ``DiscordWebSocket.DEFAULT_GATEWAY``;
    after READY it reconnects to READY's ``resume_gateway_url``, which the emulator sets to
    itself. AutoShardedClient takes its URL from GET /gateway/bot, also served here.
    """
    import discord.gateway
    import discord.http
    import yarl

    old = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = emu.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old
