"""Who is asking, where, and the services a handler may use: passed in, never global."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.commands import Role
from bot.i18n import Translator, translator
from storage.store import Store

if TYPE_CHECKING:
    from bot.core import Core


@dataclass(frozen=True)
class Chat:
    """Where a command was used: platform-neutral ids only (never a platform object)."""

    platform: str  # "discord", "telegram", "console"
    id: str
    kind: str = "private"  # "private", "group", "channel"
    title: str | None = None


@dataclass(frozen=True)
class Caller:
    platform: str
    user_id: str
    name: str
    is_chat_admin: bool = False  # the adapter asks the platform; the core decides what it allows
    # The person's platform language as the platform tags it (Discord's locale "ko", Telegram's
    # language_code "ko-KR"), or None where it gives none; a chat's own choice comes first.
    language: str | None = None


@dataclass(frozen=True)
class Context:
    core: Core
    caller: Caller
    chat: Chat
    roles: frozenset[Role]
    tr: Translator = field(default_factory=translator)  # the language this request answers in

    @property
    def language(self) -> str:
        return self.tr.language

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def zone(self) -> ZoneInfo:
        return self.core.zone

    def today(self) -> dt.date:
        return self.clock.now().astimezone(self.zone).date()
