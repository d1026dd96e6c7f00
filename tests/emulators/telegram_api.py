"""A Telegram Bot API emulator on 127.0.0.1 for tests.

Why: DESIGN.md rule 8 — tests drive the real python-telegram-bot stack over HTTP, so this server
answers the way api.telegram.org does (status codes, error bodies, tdlib's HTML parsing, long
polling, webhooks) and records every call, so a test can assert on what the bot really sent.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import ClientError, ClientSession, ClientTimeout, web

FaultKind = Literal[
    "retry_after", "kicked", "blocked", "migrated", "bad_request", "server_error", "dropped"
]
MAX_TEXT_LENGTH = 4096
_TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
# Parameters that stay strings even when they look like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    "text caption query parse_mode callback_query_id inline_query_id inline_message_id url "
    "secret_token next_offset language_code data title description short_description name "
    "ip_address switch_pm_text switch_pm_parameter".split()
)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_RESTRICTED_FLAGS = (
    "can_send_messages can_send_audios can_send_documents can_send_photos can_send_videos "
    "can_send_video_notes can_send_voice_notes can_send_polls can_send_other_messages "
    "can_add_web_page_previews can_change_info can_invite_users can_pin_messages "
    "can_manage_topics can_edit_tag"
).split()


# --------------------------------------------------------------------------- HTML (tdlib rules)

_SPACES = " \t\r\n\v\0"
_HTML_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split()
)
_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#x([0-9a-fA-F]*)|#([0-9]*)|([a-zA-Z]*));?")


class HtmlParseError(ValueError):
    """Text that Telegram refuses with "can't parse entities"; the message is tdlib's wording."""


_PLAIN_RUN = re.compile(r"[^&<]+")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets and length limits."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode `&...;` at pos like tdlib's decode_html_entity: (character, end) or None."""
    m = _ENTITY_RE.match(text, pos)
    if m is None:
        return None
    hexa, name = m.group(1), m.group(3)
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, m.end()) if char else None
    group = 1 if hexa is not None else 2
    digits = m.group(group)
    code = int(digits, 16 if group == 1 else 10) if digits else 0
    if code == 0 or code >= 0x10FFFF or m.end(group) - pos >= 10:
        return None
    if 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    return chr(code), m.end()


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML as tdlib does; return (visible text, Bot API entities).

    Telegram itself keeps a bare `&` as literal text; with strict_ampersand (the default) the
    emulator refuses it, so a renderer that forgets to escape is caught in tests.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, index in out
    u16, i, n = 0, 0, len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    def byte(k: int) -> int:
        return len(text[:k].encode("utf-8", "surrogatepass"))

    while i < n:
        c = text[i]
        if c == "&":
            decoded = _html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise HtmlParseError(f'Unescaped "&" at byte offset {byte(i)}')
        if c != "<":
            # A run of plain text at once (a lone "&" that strict mode allowed counts as one).
            run = _PLAIN_RUN.match(text, i + 1)
            chunk = c + (run.group() if run else "")
            out.append(chunk)
            u16 += utf16_len(chunk)
            i += len(chunk)
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte(begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {byte(begin)}')
            i, argument = _parse_attributes(text, i, tag, byte(begin))
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte(begin)}'
                )
            stack.append((tag, argument, u16, len(out)))
            i += 1  # the closing '>'
            continue
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {byte(begin)}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_tag = text[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {byte(begin)}")
        i += 1
        tag, argument, start, out_index = stack.pop()
        if end_tag and end_tag != tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {byte(begin)}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        if u16 > start:
            _close_entity(entities, tag, argument, start, u16 - start, "".join(out[out_index:]))
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(text: str, i: int, tag: str, begin_byte: int) -> tuple[int, str]:
    """Read a start tag's attributes up to '>'; return (index of '>', the tag's argument)."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    argument = ""
    while at(i) != ">":
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) == ">":
            break
        name_start = i
        while at(i) not in _SPACES and at(i) not in "=>/\"'":
            i += 1
        name = text[name_start:i]
        if not name:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin_byte}'
            )
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != "=":  # a valueless attribute: ignored, except <blockquote expandable>
            if i >= n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        i += 1
        while i < n and at(i) in _SPACES:
            i += 1
        if i >= n:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin_byte}')
        if at(i) not in "'\"":
            token_start = i
            while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                i += 1
            value = text[token_start:i].lower()
            if at(i) not in _SPACES and at(i) != ">":
                offset = len(text[:token_start].encode("utf-8", "surrogatepass"))
                raise HtmlParseError(f"Unexpected end of name token at byte offset {offset}")
        else:
            quote, chars = text[i], []
            i += 1
            while i < n and text[i] != quote:
                decoded = _html_entity(text, i) if text[i] == "&" else None
                if decoded is not None:
                    chars.append(decoded[0])
                    i = decoded[1]
                else:
                    chars.append(text[i])
                    i += 1
            i += 1 if i < n else 0
            value = "".join(chars)
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin_byte}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[9:]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            argument = "1"
    return i, argument


def _close_entity(
    entities: list[dict[str, Any]], tag: str, arg: str, offset: int, length: int, inner: str
) -> None:
    """Turn a closed tag into its Bot API entity (tdlib's pre/code merging included)."""
    entity: dict[str, Any] = {"type": _SIMPLE_TAGS.get(tag, tag), "offset": offset}
    entity["length"] = length
    last = entities[-1] if entities else None
    same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
    if tag == "tg-emoji":
        if not arg.isdigit() or int(arg) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=arg)
    elif tag == "a":
        if not (arg or inner):
            return
        entity.update(type="text_link", url=arg or inner)
    elif tag == "pre" and same_span and last["type"] == "code" and last.get("language"):
        last["type"] = "pre"
        return
    elif tag == "code" and same_span and last["type"] == "pre" and arg:
        last["language"] = arg
        return
    elif tag == "code" and arg:
        entity["language"] = arg
    elif tag == "blockquote" and arg:
        entity["type"] = "expandable_blockquote"
    entities.append(entity)


# --------------------------------------------------------------------------- records and errors


@dataclass
class ApiCall:
    """One recorded Bot API request, with the answer the emulator gave."""

    method: str
    params: dict[str, Any]
    time: float
    http_method: str = "POST"
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    dropped: bool = False  # carried out, but the connection closed before the answer

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        return self.response.get("description")


class ApiError(Exception):
    """An error answer exactly as Telegram shapes it: HTTP code, description, parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code}
        body["description"] = self.description
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Fault:
    method: str
    kind: FaultKind
    chat_id: int | str | None
    times: int
    options: dict[str, Any]


class _Signal:
    """Wakes every waiter on any state change; each waiter re-checks its own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, within: float | None) -> None:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), within)
        except TimeoutError:
            pass


def _decode(key: str, value: Any) -> Any:
    """Form fields arrive as strings; JSON-decode all but the free-text ones, as Telegram does."""
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram gives a user's text that starts with /command."""
    if not text.startswith("/"):
        return []
    command = re.split(r"\s", text, maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def _chat_key(chat_id: Any) -> int | str:
    if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
        return int(chat_id)
    return chat_id




# --------------------------------------------------------------------------- the emulator


class TelegramEmulator:
    """The Bot API on 127.0.0.1 for one bot: state, fault injection, update injection, records."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        username: str = "fanbot_test_bot",
        *,
        first_name: str = "Fanbot",
        clock: Callable[[], float] = time.time,
        strict_html: bool = True,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError("token must look like '<digits>:<secret>'")
        self.token, self.username, self.clock = token, username, clock
        self.strict_html = strict_html
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":")[0]), "is_bot": True, "first_name": first_name,
            "username": username,
        }
        self.calls: list[ApiCall] = []
        self._consumed: set[int] = set()
        # Called with every recorded call: benchmarks wait on these instead of rescanning calls.
        self.listeners: list[Callable[[ApiCall], None]] = []
        self._signal = _Signal()
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 100_000_001
        self._ids = itertools.count(1)
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._last_message_id: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._sent: list[tuple[int | str, int]] = []
        self._members: dict[tuple[int | str, int], str] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._about: dict[tuple[str, str], str] = {}  # (field, language_code) -> text
        self._faults: list[_Fault] = []
        self._holds: dict[str, asyncio.Event] = {}
        self._held = 0
        self._kicked: set[int | str] = set()
        self._migrated: dict[int | str, int] = {}
        self._open_queries: set[str] = set()
        self._allowed_updates: frozenset[str] | None = None
        self._webhook: dict[str, Any] = {}
        self._webhook_error: tuple[int, str] | None = None
        self._poll_generation = 0
        self._pollers = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        self._port = 0

    # ---- lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 with an OS-chosen port and start the webhook deliverer."""
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self._port = sock.getsockname()[1]
        self._session = ClientSession(timeout=ClientTimeout(total=10))
        self._worker = asyncio.create_task(self._deliver_webhooks())

    async def stop(self) -> None:
        """Release parked long polls first, so shutdown never waits for a poll timeout."""
        self._closing = True
        for gate in self._holds.values():  # held calls are answered, not left hanging
            gate.set()
        self._signal.notify()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._worker = self._session = self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For `Bot(token, base_url=...)`: PTB appends the token itself."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/file/bot"

    # ---- test-side controls

    def fail_next(
        self,
        method: str,
        kind: FaultKind,
        *,
        times: int = 1,
        chat_id: int | str | None = None,
        retry_after: int = 3,
        migrate_to_chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (for `chat_id`, if given) fail like Telegram.

        `dropped` carries the call out (a sendMessage is posted) and then closes the connection
        without an answer, as a timeout or a reset after Telegram received the request does.
        """
        if kind == "migrated" and migrate_to_chat_id is None:
            if chat_id is None:
                raise ValueError("kind='migrated' needs migrate_to_chat_id or chat_id")
            migrate_to_chat_id = int(f"-100{abs(int(chat_id))}")
        options = dict(retry_after=retry_after, new=migrate_to_chat_id, description=description)
        key = None if chat_id is None else _chat_key(chat_id)
        self._faults.append(_Fault(method.lower(), kind, key, times, options))

    def hold(self, method: str) -> None:
        """Keep every call of `method` waiting unanswered (a slow Telegram) until `release`."""
        self._holds.setdefault(method.lower(), asyncio.Event())

    def release(self, method: str) -> None:
        gate = self._holds.pop(method.lower(), None)
        if gate is not None:
            gate.set()

    async def wait_held(self, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until at least `count` held calls are waiting here."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._held < count:
            if loop.time() >= deadline:
                raise TimeoutError(f"{self._held} held call(s), not {count}")
            await self._signal.wait(deadline - loop.time())

    def kick_bot(self, chat_id: int | str) -> None:
        """From now on every call for this chat is 403 (kicked; in a private chat: blocked)."""
        self._kicked.add(_chat_key(chat_id))

    def unkick_bot(self, chat_id: int | str) -> None:
        self._kicked.discard(_chat_key(chat_id))

    def migrate_chat(
        self, old_chat_id: int, new_chat_id: int | None = None, *, inject: bool = True
    ) -> int:
        """Upgrade a group to a supergroup: calls to the old id get 400 with migrate_to_chat_id.

        With inject, the two service messages Telegram sends are queued as updates.
        """
        new_id = new_chat_id if new_chat_id is not None else int(f"-100{abs(old_chat_id)}")
        old = self._chat(old_chat_id, "group")
        self._migrated[old["id"]] = new_id
        new = self._chat(new_id, "supergroup", title=old.get("title"))
        if inject:
            user = self._user(1001)
            self._queue("message", self._new_message(old, user, migrate_to_chat_id=new_id))
            self._queue("message", self._new_message(new, user, migrate_from_chat_id=old["id"]))
        return new_id

    def set_user_language(self, user_id: int, language_code: str | None) -> None:
        """The IETF tag a user's app sends as from.language_code; None: the field is absent,
        as Telegram leaves it for some clients."""
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": "Fan"}
        )
        if language_code is None:
            user.pop("language_code", None)
        else:
            user["language_code"] = language_code

    def set_chat_member(self, chat_id: int | str, user_id: int, status: str) -> None:
        """Status getChatMember reports: creator, administrator, member, restricted, left..."""
        self._members[(_chat_key(chat_id), user_id)] = status

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (current state, edits applied), oldest first."""
        key = None if chat_id is None else _chat_key(chat_id)
        return [
            copy.deepcopy(self._messages[s]) for s in self._sent if key is None or s[0] == key
        ]

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[Any]:
        """The command menu set for a scope, as getMyCommands would answer."""
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (or not yet delivered by webhook)."""
        return copy.deepcopy(self._updates)

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain deadline reads best in tests
    ) -> ApiCall:
        """Return the oldest matching call not returned before, waiting for it if needed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, call in enumerate(self.calls):
                if index in self._consumed or call.method.lower() != method.lower():
                    continue
                if predicate is None or predicate(call):
                    self._consumed.add(index)
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [f"{c.method}:{c.status}" for c in self.calls[-10:]]
                raise TimeoutError(f"no {method} call within {timeout}s; last calls: {seen}")
            await self._signal.wait(remaining)

    async def wait_for_poller(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is parked here (to prove it wakes on injection)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._pollers == 0:
            if loop.time() >= deadline:
                raise TimeoutError("no getUpdates long poll is waiting")
            await self._signal.wait(deadline - loop.time())

    # ---- update injection

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update; it gets the next update_id unless it carries one."""
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        self._signal.notify()
        return copy.deepcopy(update)

    def inject_message(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        username: str | None = "fan",
        first_name: str = "Fan",
        chat_title: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user's text message (channel_post in a channel); a leading /command gets its entity."""
        chat, user = self._actor(chat_id, chat_type, user_id, username, first_name, chat_title)
        if entities is None:
            entities = _command_entities(text)
        extra: dict[str, Any] = {"text": text}
        if entities:
            extra["entities"] = entities
        replied = self._messages.get((chat["id"], reply_to_message_id or 0))
        if replied is not None:
            extra["reply_to_message"] = copy.deepcopy(replied)
        kind = "channel_post" if chat["type"] == "channel" else "message"
        return self._queue(kind, self._new_message(chat, user, **extra))

    def inject_edited_message(
        self, chat_id: int, message_id: int, text: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """A user edits one of their messages (or a synthesized one if it is unknown here)."""
        chat, user = self._actor(chat_id, None, user_id, "fan", "Fan", None)
        message = self._messages.get((chat["id"], message_id)) or {
            "message_id": message_id, "from": user, "chat": chat, "date": int(self.clock()),
        }
        message.update(text=text, edit_date=int(self.clock()))
        # Telegram parses the new text's entities as it does a new message's: an edited
        # "/milestone V" still carries its bot_command entity.
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        else:
            message.pop("entities", None)
        return self._queue("edited_message", message)

    def inject_non_text_message(
        self,
        chat_id: int,
        kind: Literal["sticker", "photo"] = "sticker",
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """A sticker or photo message: things a text-command bot must quietly ignore."""
        chat, user = self._actor(chat_id, chat_type, user_id, "fan", "Fan", None)
        file = {"file_id": f"AgAD{next(self._ids)}", "file_unique_id": f"u{next(self._ids)}"}
        extra: dict[str, Any]
        if kind == "sticker":
            extra = {"sticker": dict(file, type="regular", width=512, height=512, emoji="💜",
                                     is_animated=False, is_video=False)}
        else:
            extra = {"photo": [dict(file, width=90, height=90), dict(file, width=800, height=800)]}
            if caption:
                extra["caption"] = caption
        return self._queue("message", self._new_message(chat, user, **extra))

    def inject_inline_query(
        self, user_id: int, query: str, offset: str = "", *, username: str | None = "fan"
    ) -> dict[str, Any]:
        """An inline query; answerInlineQuery accepts its id exactly once."""
        query_id = str(next(self._ids) * 7919)
        self._open_queries.add(query_id)
        inline = {"id": query_id, "from": self._user(user_id, username), "query": query,
                  "offset": offset, "chat_type": "sender"}
        return self._queue("inline_query", inline)

    def inject_callback_query(
        self, chat_id: int, message_id: int, data: str, user_id: int | None = None
    ) -> dict[str, Any]:
        """A button press on a message; answerCallbackQuery accepts its id exactly once."""
        chat, user = self._actor(chat_id, None, user_id, "fan", "Fan", None)
        message = self._messages.get((chat["id"], message_id)) or {
            "message_id": message_id, "from": self.bot_user, "chat": chat, "date": 0,
        }
        query_id = str(next(self._ids) * 104729)
        self._open_queries.add(query_id)
        callback = {"id": query_id, "from": user, "message": message, "data": data,
                    "chat_instance": str(abs(hash(chat["id"])))}
        return self._queue("callback_query", callback)

    def inject_my_chat_member(
        self,
        chat_id: int,
        new_status: str = "kicked",
        *,
        old_status: str | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
        chat_title: str | None = None,
    ) -> dict[str, Any]:
        """The bot's own membership changed; kicked/left also make later sends answer 403."""
        chat, user = self._actor(chat_id, chat_type, user_id, "fan", "Fan", chat_title)
        gone = new_status in ("kicked", "left")
        (self._kicked.add if gone else self._kicked.discard)(chat["id"])
        old_status = old_status or ("member" if gone else "left")
        update = {"chat": chat, "from": user, "date": int(self.clock()),
                  "old_chat_member": self._member(self.bot_user, old_status),
                  "new_chat_member": self._member(self.bot_user, new_status)}
        return self._queue("my_chat_member", update)

    # ---- internals: state

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self.inject_update({kind: copy.deepcopy(payload)})

    def _actor(
        self, chat_id: int, chat_type: str | None, user_id: int | None,
        username: str | None, first_name: str, title: str | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        key = _chat_key(chat_id)
        private = chat_type == "private" or (chat_type is None and isinstance(key, int) and key > 0)
        uid = user_id if user_id is not None else (int(key) if private else 1001)
        user = self._user(uid, username, first_name)
        return self._chat(key, chat_type, title=title, user=user), user

    def _user(
        self, user_id: int, username: str | None = None, first_name: str = "Fan"
    ) -> dict[str, Any]:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": first_name,
                      "language_code": "en"}
        )
        if username:
            user["username"] = username
        return copy.deepcopy(user)

    def _chat(
        self, chat_id: Any, chat_type: str | None = None, *, title: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Get or create a chat; unknown ids get a type from their shape, as real ids have."""
        key = _chat_key(chat_id)
        if isinstance(key, str):  # "@channelusername"
            found = [c for c in self._chats.values() if c.get("username") == key.lstrip("@")]
            if found:
                return copy.deepcopy(found[0])
            self._chats[key] = {"id": -1_000_000_000_000 - len(self._chats), "type": "channel",
                                "title": key, "username": key.lstrip("@")}
            return copy.deepcopy(self._chats[key])
        chat = self._chats.get(key)
        if chat is None:
            if chat_type is None:
                chat_type = (
                    "private" if key > 0 else "supergroup" if key < -999_999_999_999 else "group"
                )
            chat = {"id": key, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = (user or {}).get("first_name", "Fan")
                if (user or {}).get("username"):
                    chat["username"] = user["username"]  # type: ignore[index]
            else:
                chat["title"] = title or f"Test {chat_type} {abs(key)}"
            self._chats[key] = chat
        elif title and chat["type"] != "private":
            chat["title"] = title
        return copy.deepcopy(chat)

    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        key = chat["id"]
        message_id = self._last_message_id.get(key, 0) + 1
        self._last_message_id[key] = message_id
        message = {"message_id": message_id, "from": sender, "chat": chat,
                   "date": int(self.clock()), **fields}
        if chat["type"] == "channel":
            del message["from"]
            message["sender_chat"] = chat
        self._messages[(key, message_id)] = message
        return copy.deepcopy(message)

    def _member(self, user: dict[str, Any], status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"user": user, "status": status}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
                "can_change_info can_invite_users can_pin_messages".split(), True))
            member.update(dict.fromkeys(
                "can_be_edited is_anonymous can_promote_members can_post_stories "
                "can_edit_stories can_delete_stories".split(), False))
        elif status == "restricted":
            member.update(dict.fromkeys(_RESTRICTED_FLAGS, False), is_member=True, until_date=0)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ---- internals: HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        if not _TOKEN_RE.match(token):
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        if token != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        params = await self._read_params(request)
        method = _METHODS.get(name.lower())
        call = ApiCall(method or name, params, self.clock(), request.method)
        gate = self._holds.get((method or name).lower())
        if gate is not None:
            self._held += 1
            self._signal.notify()
            try:
                await gate.wait()
            finally:
                self._held -= 1
        try:
            if method is None:
                raise ApiError(404, "Not Found")
            self._apply_fault(method, params)
            call.response = {"ok": True, "result": await getattr(self, f"_api_{method}")(params)}
            call.dropped = self._take_drop(method, params)
        except ApiError as exc:
            call.status, call.response = exc.code, exc.body()
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # malformed parameters
            call.status, call.response = 400, ApiError(400, f"Bad Request: {exc}").body()
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)
        self._signal.notify()
        if call.dropped and request.transport is not None:
            request.transport.close()  # done, but the client never hears so
        return web.json_response(call.response, status=call.status)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        """Merge query string and body (JSON, urlencoded or multipart) into decoded params."""
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                raw.update(body if isinstance(body, dict) else {})
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        value = {"filename": value.filename, "data": value.file.read()}
                    raw[key] = value
        return {key: _decode(key, value) for key, value in raw.items()}

    def _matching_fault(self, method: str, params: dict[str, Any], dropped: bool) -> _Fault | None:
        for fault in self._faults:
            if fault.method != method.lower() or (fault.kind == "dropped") != dropped:
                continue
            if fault.chat_id is not None and _chat_key(params.get("chat_id")) != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def _take_drop(self, method: str, params: dict[str, Any]) -> bool:
        return self._matching_fault(method, params, dropped=True) is not None

    def _apply_fault(self, method: str, params: dict[str, Any]) -> None:
        fault = self._matching_fault(method, params, dropped=False)
        if fault is not None:
            raise self._fault_error(fault, params.get("chat_id"))

    def _fault_error(self, fault: _Fault, chat_id: Any) -> ApiError:
        options, custom = fault.options, fault.options["description"]
        if fault.kind == "retry_after":
            seconds = options["retry_after"]
            return ApiError(429, custom or f"Too Many Requests: retry after {seconds}",
                            {"retry_after": seconds})
        if fault.kind in ("kicked", "blocked"):
            chat_type = "private" if fault.kind == "blocked" else (
                self._chat(chat_id)["type"] if chat_id not in (None, "") else "group")
            return ApiError(403, custom or self._forbidden(chat_type))
        if fault.kind == "migrated":
            return ApiError(400, custom or "Bad Request: group chat was upgraded to a supergroup "
                            "chat", {"migrate_to_chat_id": options["new"]})
        if fault.kind == "server_error":
            return ApiError(502, custom or "Bad Gateway")
        return ApiError(400, f"Bad Request: {custom or 'injected failure'}")

    @staticmethod
    def _forbidden(chat_type: str) -> str:
        return {
            "private": "Forbidden: bot was blocked by the user",
            "supergroup": "Forbidden: bot was kicked from the supergroup chat",
            "channel": "Forbidden: bot is not a member of the channel chat",
        }.get(chat_type, "Forbidden: bot was kicked from the group chat")

    def _target(self, params: dict[str, Any]) -> dict[str, Any]:
        """The chat a call addresses, after Telegram's migration and membership checks."""
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chat(params["chat_id"])
        if chat["id"] in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self._migrated[chat["id"]]})
        if chat["id"] in self._kicked:
            raise ApiError(403, self._forbidden(chat["type"]))
        return chat

    def _format(self, text: Any, parse_mode: Any, entities: Any) -> tuple[str, list[Any]]:
        """Validate a message text like Telegram: empty, entity parsing, then length."""
        if text in (None, ""):
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = str(text), list(entities or [])
        if parse_mode:
            mode = str(parse_mode).lower()
            if mode == "html":
                try:
                    text, entities = parse_html(text, strict_ampersand=self.strict_html)
                except HtmlParseError as exc:
                    raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            elif mode not in ("markdown", "markdownv2"):  # Markdown is passed through unchecked
                raise ApiError(400, "Bad Request: unsupported parse_mode")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    async def _deliver_webhooks(self) -> None:
        """POST queued updates, in order, to the webhook URL; keep them until it answers 2xx."""
        assert self._session is not None
        while not self._closing:
            update = self._deliverable(1)
            if not (self._webhook and update):
                await self._signal.wait(None)
                continue
            headers = {}
            if self._webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook["secret_token"]
            try:
                async with self._session.post(
                    self._webhook["url"], json=update[0], headers=headers
                ) as response:
                    error = None if response.status < 300 else (
                        f"Wrong response from the webhook: {response.status} {response.reason}")
            except (ClientError, OSError) as exc:
                error = f"Connection failed: {exc}"
            if error is None:
                if update[0] in self._updates:
                    self._updates.remove(update[0])
                self._signal.notify()
            else:
                self._webhook_error = (int(self.clock()), error)
                await self._signal.wait(0.2)  # Telegram retries too, just more slowly

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        """Drop updates of types the bot did not ask for (Telegram never creates them)."""

        def wanted(update: dict[str, Any]) -> bool:
            kind = next((k for k in update if k != "update_id"), "")
            if self._allowed_updates:
                return kind in self._allowed_updates
            return kind not in _DEFAULT_EXCLUDED_UPDATES

        self._updates = [u for u in self._updates if wanted(u)]
        return copy.deepcopy(self._updates[:limit])

    # ---- Bot API methods (name after `_api_` is the Bot API method name)

    async def _api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user, can_join_groups=True, can_read_all_group_messages=False,
                    supports_inline_queries=True, can_connect_to_business=False,
                    has_main_web_app=False)

    async def _api_logOut(self, p: dict[str, Any]) -> bool:
        return True

    async def _api_close(self, p: dict[str, Any]) -> bool:
        return True

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm by offset, then long-poll: answer as soon as an update exists or at timeout."""
        if self._webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                           "use deleteWebhook to delete the webhook first")
        offset, limit = int(p.get("offset") or 0), min(max(int(p.get("limit") or 100), 1), 100)
        if p.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(float(p.get("timeout") or 0), 0.0)
        parked = False
        try:
            while True:
                if generation != self._poll_generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                   "sure that only one bot instance is running")
                ready = self._deliverable(limit)
                if ready or self._closing or loop.time() >= deadline:
                    return ready
                if not parked:  # let wait_for_poller see this poll waiting
                    parked = True
                    self._pollers += 1
                    self._signal.notify()
                await self._signal.wait(deadline - loop.time())
        finally:
            self._pollers -= parked

    async def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        """Any http(s) URL is accepted (Telegram demands HTTPS on 443/80/88/8443)."""
        url = str(p.get("url") or "")
        if url and not re.match(r"^https?://", url):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                           "webhook")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if p.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        self._webhook = {"url": url, "secret_token": p.get("secret_token"),
                         "max_connections": int(p.get("max_connections") or 40)} if url else {}
        self._webhook_error = None
        self._signal.notify()
        return True

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> bool:
        return await self._api_setWebhook({"url": "", **p})

    async def _api_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self._webhook.get("url", ""), "has_custom_certificate":
                                False, "pending_update_count": len(self._updates)}
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        if self._allowed_updates:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"))
        extra: dict[str, Any] = {"text": text}
        if entities:
            extra["entities"] = entities
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only these are echoed
            _check_inline_keyboard(markup)
            extra["reply_markup"] = markup
        reply = p.get("reply_parameters") or {}
        reply_id = reply.get("message_id") or p.get("reply_to_message_id")
        if reply_id:
            replied = self._messages.get((chat["id"], int(reply_id)))
            if replied is not None:
                extra["reply_to_message"] = copy.deepcopy(replied)
            elif not (reply.get("allow_sending_without_reply")
                      or p.get("allow_sending_without_reply")):
                raise ApiError(400, "Bad Request: message to be replied not found")
        if p.get("message_thread_id"):
            extra["message_thread_id"] = int(p["message_thread_id"])
        message = self._new_message(chat, self.bot_user, **extra)
        self._sent.append((chat["id"], message["message_id"]))
        return message

    async def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any] | bool:
        if p.get("inline_message_id"):
            self._format(p.get("text"), p.get("parse_mode"), p.get("entities"))
            return True
        chat = self._target(p)
        message = self._messages.get((chat["id"], int(p.get("message_id") or 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if (chat["id"], message["message_id"]) not in self._sent:
            raise ApiError(400, "Bad Request: message can't be edited")
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"))
        markup = p.get("reply_markup") if isinstance(p.get("reply_markup"), dict) else None
        if markup and "inline_keyboard" in markup:
            _check_inline_keyboard(markup)
        current = (message.get("text"), message.get("entities", []), message.get("reply_markup"))
        if (text, entities, markup) == current:
            raise ApiError(400, _NOT_MODIFIED)
        message.update(text=text, edit_date=int(self.clock()))
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        return copy.deepcopy(message)

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, _QUERY_INVALID)
        self._open_queries.discard(query_id)
        return True

    async def _api_answerInlineQuery(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("inline_query_id") or "")
        if query_id not in self._open_queries:
            raise ApiError(400, _QUERY_INVALID)
        results = p.get("results") or []
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._format(content["message_text"], content.get("parse_mode"),
                             content.get("entities"))
        self._open_queries.discard(query_id)
        return True

    async def _api_setMyCommands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH" if commands else
                           "Bad Request: parameter \"commands\" is required")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self._commands[key] = [{"command": c["command"], "description": c["description"]}
                               for c in commands]
        return True

    async def _api_setMyDescription(self, p: dict[str, Any]) -> bool:
        return self._set_about("description", p, 512)

    async def _api_setMyShortDescription(self, p: dict[str, Any]) -> bool:
        return self._set_about("short_description", p, 120)

    def _set_about(self, field: str, p: dict[str, Any], limit: int) -> bool:
        """The bot's (short) description per language; the Bot API caps their length."""
        text = str(p.get(field) or "")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: {field} is too long")
        self._about[(field, str(p.get("language_code") or ""))] = text
        return True

    def about(self, field: str, language_code: str = "") -> str | None:
        """What setMyDescription / setMyShortDescription set for a language ("" = default)."""
        return self._about.get((field, language_code))

    async def _api_getMyCommands(self, p: dict[str, Any]) -> list[Any]:
        return self.commands(p.get("scope"), str(p.get("language_code") or ""))

    async def _api_deleteMyCommands(self, p: dict[str, Any]) -> bool:
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _api_getChat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        gifts = dict.fromkeys("unlimited_gifts limited_gifts unique_gifts premium_subscription "
                              "gifts_from_channels".split(), False)
        return dict(chat, accent_color_id=0, max_reaction_count=11, accepted_gift_types=gifts)

    async def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._target(p)
        user_id = int(p.get("user_id") or 0)
        if not user_id:
            raise ApiError(400, "Bad Request: user not found")
        user = self.bot_user if user_id == self.bot_user["id"] else self._user(user_id)
        return self._member(user, self._members.get((chat["id"], user_id), "member"))


_METHODS = {n[5:].lower(): n[5:] for n in dir(TelegramEmulator) if n.startswith("_api_")}


def _check_inline_keyboard(markup: dict[str, Any]) -> None:
    """Telegram's rule for a button's callback_data: 1-64 bytes, else BUTTON_DATA_INVALID."""
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
