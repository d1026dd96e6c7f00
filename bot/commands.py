"""Commands declared once (DESIGN rule 3): adapters build menus, help and parsing from these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.i18n import Translator
from bot.replies import Reply
from bot.text import MAX_INPUT


def param_name(tr: Translator, name: str) -> str:
    """A parameter's name in a language (msgctxt "param"): Discord's option name, usage lines."""
    return tr.pgettext("param", name)


def command_name(tr: Translator, name: str) -> str:
    """A command's name in a language (msgctxt "command"): Discord's localized slash name."""
    return tr.pgettext("command", name)


class ParamKind(StrEnum):
    SUBJECT = "subject"  # a name in any form, resolved to a Subject
    TEXT = "text"  # free text
    DATE = "date"  # a whole calendar day, YYYY-MM-DD
    PARTIAL_DATE = "partial_date"  # YYYY, YYYY-MM or YYYY-MM-DD, as precise as a source is
    INTEGER = "integer"
    CHOICE = "choice"  # one of Param.choices
    FACT = "fact"  # a fact number, "12" or "#12", resolved to a Fact
    TIME = "time"  # a time of day, HH:MM
    TIMEZONE = "timezone"  # an IANA time zone name


class Role(StrEnum):
    EVERYONE = "everyone"
    CHAT_ADMIN = "chat admin"  # administers the chat the command is used in
    EDITOR = "editor"  # may change facts; granted by a bot admin
    BOT_ADMIN = "bot admin"  # named in FANBOT_ADMINS; may do everything


EVERYONE = frozenset({Role.EVERYONE})


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    help: str
    required: bool = True
    many: bool = False  # several values (SUBJECT only): "V, IU" or "V IU"
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = MAX_INPUT
    suggest: str | None = None  # what autocomplete offers: "subjects" or None

    @property
    def metavar(self) -> str:
        return self.metavar_in(None)

    def metavar_in(self, tr: Translator | None) -> str:
        """WHO, [DATE], SUBJECTS… in the reader's language (the option's translated name)."""
        label = self.name if tr is None else param_name(tr, self.name)
        name = label.upper() + ("…" if self.many else "")
        return name if self.required else f"[{name}]"


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    """A command: its name, one-line help, typed parameters, who may call it, its handler.

    The handler is `async (ctx, **params) -> Reply`, called with converted values
    (a Subject, a date, an int ...), never raw text, and never sends anything itself.
    """

    name: str
    help: str
    params: tuple[Param, ...]
    handler: Handler
    allowed: frozenset[Role] = EVERYONE
    in_private: bool = True  # usable in a private chat / DM
    writes: bool = False
    # Many fields to fill: Discord opens a modal form, Telegram asks for each missing one in turn.
    form: bool = False
    # The answer depends only on the arguments, the day and the store (not on who asks or
    # where): the core keeps it until the store changes.
    same_for_everyone: bool = False
    # Offered in /help and the menus (Telegram's menu, Discord's slash commands). /start is
    # not: Telegram sends it by itself when someone opens the bot, so nobody needs to pick it.
    listed: bool = True

    @property
    def usage(self) -> str:
        return self.usage_in(None)

    def usage_in(self, tr: Translator | None) -> str:
        """'/milestone WHO…' with the parameters named in the reader's language."""
        return " ".join([f"/{self.name}", *(p.metavar_in(tr) for p in self.params)])

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def permits(self, roles: frozenset[Role]) -> bool:
        return Role.BOT_ADMIN in roles or bool(self.allowed & roles)


class Registry:
    """The commands one core serves, by name; built explicitly, never by import side effect."""

    def __init__(self, commands: Iterable[Command] = ()):
        self._commands: dict[str, Command] = {}
        for command in commands:
            self.add(command)

    def add(self, command: Command) -> None:
        if command.name in self._commands:
            raise ValueError(f"command /{command.name} declared twice")
        self._commands[command.name] = command

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower())

    def names(self) -> list[str]:
        return list(self._commands)

    def listed(self) -> list[Command]:
        """The commands menus and /help offer (every one but those declared listed=False)."""
        return [c for c in self._commands.values() if c.listed]

    def __iter__(self):
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)


def declare(name: str, help: str, *params: Param, **options: Any) -> Callable[[Handler], Command]:
    """Decorator form: `@declare("milestone", "…", Param(...))` turns a handler into a Command."""

    def wrap(handler: Handler) -> Command:
        return Command(name=name, help=help, params=tuple(params), handler=handler, **options)

    return wrap
