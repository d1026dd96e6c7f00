"""How scheduled posts leave fanbot (DESIGN rule 6): the scheduler knows only this interface.

Each platform adapter implements `Notifier`. A notifier waits out rate limits itself; it
raises `ChatGone` when the chat will never accept a post again (the bot was removed, blocked,
or the channel deleted) and `DeliveryFailed` for anything worth retrying later. A chat that
moved (a Telegram group upgraded to a supergroup) is followed by the notifier, which reports
the chat id that finally accepted the post in `Delivery.chat_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply


@dataclass(frozen=True)
class Delivery:
    chat_id: str  # where the post landed; differs from the asked id after a migration
    message_ids: tuple[str, ...] = ()


class DeliveryFailed(Exception):
    """The platform did not accept the post this time; the caller may retry with backoff."""


class ChatGone(DeliveryFailed):
    """The chat will not accept posts again; the chat has already been marked inactive."""


class Notifier(Protocol):
    platform: str

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Post a reply to a chat; return only once the platform accepted it."""
        ...
