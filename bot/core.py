"""The core every adapter talks to: a request in, a Reply out, errors rendered as replies."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from zoneinfo import ZoneInfo

from rapidfuzz import process

from bot.args import parse_args, split_command
from bot.catalog.records import CatalogSetup
from bot.chats.memory import ChatMemory
from bot.clock import Clock
from bot.commands import EVERYONE, Command, Param, Registry, Role
from bot.context import Caller, Chat, Context
from bot.convert import convert
from bot.errors import FanbotError, NotAllowed
from bot.i18n import N_, Translator, normalize, translator
from bot.names import Choice, NameResolver
from bot.replies import Reply, error_reply
from bot.store_watch import ANSWERS_KEPT, StoreWatch
from bot.text import clean_input, shorten
from storage.db import BUSY_TIMEOUT_MS, describe, for_people
from storage.errors import ConflictError, StoreWriteFailed
from storage.store import Store

log = logging.getLogger(__name__)
TYPE_A_COMMAND = N_("Type a command, such as /milestone V. /help lists them all.")
SOMETHING_WENT_WRONG = N_(
    "Something went wrong on our side; nothing was changed. Please try again."
)
# The reasons the store gives (StoreWriteFailed.reason: storage/db.py, storage/postgres/db.py),
# each as the whole sentence a reader is told; another reason is said inside STORE_REFUSED.
STORE_REFUSALS = {
    "is read-only": N_("The bot's store is read-only, so nothing was changed."),
    "cannot be written: the disk is full": N_(
        "The bot's store cannot be written: the disk is full, so nothing was changed."
    ),
    "could not be read or written (is the disk full or failing?)": N_(
        "The bot's store could not be read or written (is the disk full or failing?), "
        "so nothing was changed."
    ),
    "cannot be opened": N_("The bot's store cannot be opened, so nothing was changed."),
    "the database connection was lost": N_(
        "The bot's store lost its database connection, so nothing was changed."
    ),
}
STORE_REFUSED = N_("The bot's store {reason}, so nothing was changed.")
STORE_BUSY = N_(
    "The bot's store is busy (another program has held it for over {seconds} seconds), so "
    "nothing was changed. Please try again in a moment."
)
ROLE_NAMES = {
    Role.EVERYONE: N_("everyone"),
    Role.CHAT_ADMIN: N_("chat admins"),
    Role.EDITOR: N_("editors"),
    Role.BOT_ADMIN: N_("bot admins"),
}

RoleSource = Callable[[Caller], Awaitable[Iterable[Role]]]


def store_refusal(reason: str, tr: Translator) -> str:
    """Why the store took no write, as the reader is told it, in their language."""
    if reason in STORE_REFUSALS:
        return tr._(STORE_REFUSALS[reason])
    return tr._(STORE_REFUSED).format(reason=reason)


def store_busy(told: str, tr: Translator) -> str:
    """The store's 'busy' sentence (storage.db.for_people) in the reader's language."""
    seconds = BUSY_TIMEOUT_MS // 1000
    if told == STORE_BUSY.format(seconds=seconds):
        return tr._(STORE_BUSY).format(seconds=tr.number(seconds))
    return told


class Core:
    """Holds the registry, the store, the clock and the name index; serves every adapter."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        commands: Iterable[Command],
        *,
        zone: ZoneInfo | None = None,
        admins: frozenset[tuple[str, str]] = frozenset(),
        keep_answers: bool = True,
        language: str = "en",
    ):
        self.store = store
        self.clock = clock
        self.zone = zone or ZoneInfo("Asia/Seoul")
        self.admins = admins
        self.language = normalize(language) or "en"  # FANBOT_LANGUAGE: where nobody chose
        self.registry = Registry(commands)
        self.resolver = NameResolver(store.facts)
        # What adapters report about chats (seen, gone, moved), the same for every platform.
        self.chats = ChatMemory(store.chats)
        # keep_answers=False: every answer computed afresh (the core benchmark measures that).
        self.watch = StoreWatch(store, answers_kept=ANSWERS_KEPT if keep_answers else 0)
        # Further places that grant roles (the editors table of the admin feature).
        self.role_sources: list[RoleSource] = []
        # The catalogue's MusicBrainz client, when FANBOT_CONTACT is set (adapters attach it).
        self.catalog: CatalogSetup | None = None

    async def roles_of(self, caller: Caller) -> frozenset[Role]:
        self.watch.check()
        roles = {Role.EVERYONE}
        if caller.is_chat_admin:
            roles.add(Role.CHAT_ADMIN)
        if (caller.platform, caller.user_id) in self.admins:
            roles.add(Role.BOT_ADMIN)
        if (caller.platform, caller.user_id) in await self.watch.editors():
            roles.add(Role.EDITOR)
        for source in self.role_sources:
            roles.update(await source(caller))
        return frozenset(roles)

    async def translator_for(self, caller: Caller, chat: Chat) -> Translator:
        """The chat's choice (/language), else the person's platform language, else
        FANBOT_LANGUAGE. A store in trouble still gets an answer, in the person's language."""
        try:
            self.watch.check()
            chosen = await self.watch.chat_language(chat.platform, chat.id)
        except Exception as exc:
            log.warning("could not read the chat's language: %s", exc)
            chosen = None
        return translator(chosen or normalize(caller.language) or self.language)

    def visible_commands(self, roles: frozenset[Role]) -> list[Command]:
        """What /help lists and suggestions offer: the listed commands these roles may use."""
        return [c for c in self.registry.listed() if c.permits(roles)]

    async def handle_line(self, line: str, caller: Caller, chat: Chat) -> Reply:
        """A typed line such as '/milestone V' (Telegram, console) to a Reply."""
        name, rest = split_command(line)
        if not name:
            tr = await self.translator_for(caller, chat)
            return error_reply(tr._(TYPE_A_COMMAND), tr=tr)
        command = self.registry.get(name)
        if command is None:
            return await self._unknown(name, caller, chat)
        try:
            raw = parse_args(command, rest)
        except FanbotError as exc:
            tr = await self.translator_for(caller, chat)
            return error_reply(
                exc.text(tr), exc.usage or command.usage_in(tr), exc.suggestions, tr=tr
            )
        return await self.invoke(command.name, raw, caller, chat)

    async def invoke(
        self, name: str, raw: Mapping[str, str | None], caller: Caller, chat: Chat
    ) -> Reply:
        """Run a command with raw arguments by name (Discord options, parsed lines)."""
        command = self.registry.get(name)
        if command is None:
            return await self._unknown(name, caller, chat)
        tr = await self.translator_for(caller, chat)
        try:
            ctx = await self._context(command, caller, chat, tr)
            key = self._answer_key(command, raw, ctx) if command.same_for_everyone else None
            if key is not None and (kept := self.watch.answer(key)) is not None:
                return kept
            version = self.watch.version
            reply = await self._run(command, raw, ctx)
            if reply.language is None:
                reply = replace(reply, language=tr.language)
            if key is not None:
                self.watch.keep(key, reply, version)
            return reply
        except FanbotError as exc:
            usage = exc.usage or command.usage_in(tr)
            return error_reply(exc.text(tr), usage, exc.suggestions, tr=tr)
        except ConflictError as exc:
            return error_reply(str(exc), command.usage_in(tr), tr=tr)
        except StoreWriteFailed as exc:  # the operator's one line; the user's reason
            log.error("/%s: %s", command.name, exc)
            return error_reply(store_refusal(exc.reason, tr), tr=tr)
        except sqlite3.Error as exc:
            if (told := for_people(exc)) is None:
                log.exception("/%s failed", command.name)
                return error_reply(tr._(SOMETHING_WENT_WRONG), tr=tr)
            log.error("/%s: %s", command.name, describe(self.store.db.path, exc))
            return error_reply(store_busy(told, tr), tr=tr)
        except Exception:
            log.exception("/%s failed", command.name)
            return error_reply(tr._(SOMETHING_WENT_WRONG), tr=tr)

    @staticmethod
    def _answer_key(command: Command, raw: Mapping[str, str | None], ctx: Context) -> tuple:
        """What a same-for-everyone answer depends on: the arguments as typed and the day."""
        args = tuple((p.name, str(raw.get(p.name) or "").strip()) for p in command.params)
        return (command.name, args, ctx.today(), ctx.language)

    async def _run(self, command: Command, raw: Mapping[str, str | None], ctx: Context) -> Reply:
        """Convert the raw arguments and call the handler; bad input becomes the reply."""
        try:
            values = {}
            for param in command.params:
                text = raw.get(param.name)
                if text is None or not str(text).strip():
                    if param.required:
                        raise FanbotError(
                            N_("/{command} needs {metavar}: {help}."),
                            command=command.name,
                            metavar=param.metavar_in(ctx.tr),
                            help=ctx.tr._(param.help),
                        )
                    continue
                values[param.name] = await convert(
                    param, str(text), self.resolver, self.store.facts
                )
            return await command.handler(ctx, **values)
        except FanbotError as exc:
            usage = exc.usage or command.usage_in(ctx.tr)
            return error_reply(exc.text(ctx.tr), usage, exc.suggestions, tr=ctx.tr)

    async def admit(
        self, command: Command, caller: Caller, chat: Chat, tr: Translator | None = None
    ) -> frozenset[Role]:
        """The caller's roles if they may use the command in this chat; else the error saying
        why. Adapters ask it before opening a form, so nobody fills one in to be refused."""
        tr = tr or translator("en")
        roles = await self.roles_of(caller)
        if not command.permits(roles):
            who = tr._(N_(" or ")).join(sorted(tr._(ROLE_NAMES[r]) for r in command.allowed))
            raise NotAllowed(
                N_("Only {who} can use /{command}; nothing was changed."),
                who=who,
                command=command.name,
            )
        if not self.works_in(command, chat):
            raise FanbotError(
                N_("/{command} works in a group or server, not in a private chat."),
                command=command.name,
            )
        return roles

    async def _context(
        self, command: Command, caller: Caller, chat: Chat, tr: Translator
    ) -> Context:
        roles = await self.admit(command, caller, chat, tr)
        return Context(core=self, caller=caller, chat=chat, roles=roles, tr=tr)

    @staticmethod
    def works_in(command: Command, chat: Chat) -> bool:
        """Whether the command can be used in this kind of chat (some need a group)."""
        return command.in_private or chat.kind != "private" or chat.platform == "console"

    async def _unknown(self, name: str, caller: Caller, chat: Chat) -> Reply:
        """No such command: say so with the name made harmless (no control or bidi characters
        reach a terminal or a chat), and suggest only commands this caller may use here."""
        shown = shorten(clean_input(name), 40)
        tr = await self.translator_for(caller, chat)
        try:
            roles = await self.roles_of(caller)
        except Exception as exc:  # a store in trouble: still answer, offering fans' commands
            log.warning("could not look up the caller's roles: %s", exc)
            roles = EVERYONE
        usable = [c.name for c in self.visible_commands(roles) if self.works_in(c, chat)]
        close = process.extract(shown, usable, limit=3, score_cutoff=60) if shown else []
        return error_reply(
            tr._("There is no command /{name}. /help lists the commands.").format(name=shown)
            if shown
            else tr._("That is not a command. /help lists the commands."),
            suggestions=tuple(f"/{c[0]}" for c in close),
            tr=tr,
        )

    async def complete(self, command_name: str, param_name: str, typed: str) -> list[Choice]:
        """Autocomplete offers for a parameter (Discord), at most 25."""
        command = self.registry.get(command_name)
        param: Param | None = command.param(param_name) if command else None
        if param is None:
            return []
        if param.suggest == "subjects":
            return await self.resolver.choices(typed[:100])
        if param.choices:
            return [Choice(c, c) for c in param.choices if c.startswith(typed)][:25]
        return []
