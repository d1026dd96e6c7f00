"""How scheduled posts leave fanbot (DESIGN rule 6): the scheduler knows only this interface.

Each platform adapter implements `Notifier`: it cuts a reply into the pages its platform takes
(`pages`) and sends one page at a time (`send_page`), so the reminders runner can record each
page in the ledger the moment the platform accepted it and resume a retry at the first page
not yet accepted. A notifier waits out rate limits itself. What a failure means decides what
the runner may do next:

- `ChatGone`: the chat will never accept a post again (the bot was removed, blocked, or the
  channel deleted); the chat has already been marked inactive.
- `DeliveryFailed`: the platform did not take the page, certainly; it may be sent again.
- `DeliveryUncertain`: the request went out and its answer was lost (a timeout after sending);
  the page may or may not be there. A notifier whose platform can deduplicate (Discord's
  nonce, derived from `key`) retries such a page itself and never raises this; one that
  cannot (Telegram) raises it, and the runner records the page as unknown instead of sending
  it twice.

A chat that moved (a Telegram group upgraded to a supergroup) is followed by the notifier,
which reports the chat id that finally accepted the page in `Delivery.chat_id`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.replies import Reply


@dataclass(frozen=True)
class Delivery:
    chat_id: str  # where the post landed; differs from the asked id after a migration
    message_ids: tuple[str, ...] = ()


class DeliveryFailed(Exception):
    """The platform did not accept the page; it is safe to send it again later."""


class ChatGone(DeliveryFailed):
    """The chat will not accept posts again; the chat has already been marked inactive."""


class DeliveryUncertain(Exception):
    """The page may have been delivered: its answer was lost after the request went out."""


class Notifier(Protocol):
    platform: str

    def pages(self, reply: Reply) -> Sequence[Any]:
        """The reply as the messages this platform will take, in order."""
        ...

    async def send_page(self, chat_id: str, page: Any, key: str) -> Delivery:
        """Send one page; return once the platform accepted it.

        `key` names this page of this post for good (subscription, day, page): a platform that
        deduplicates sends uses it, so a retry cannot make a second message.
        """
        ...


@runtime_checkable
class ServesSomeChats(Protocol):
    """A notifier that, in this process, posts to only some of its platform's chats (a Discord
    process posts only in the guilds of its shards). The runner asks before it claims a post,
    so the others stay unclaimed for the process that serves them."""

    def serves(self, chat_ids: Collection[str], now: dt.datetime) -> set[str]:
        """Of these chats with posts owed at `now`, the ones this process posts to."""
        ...


async def send_all(notifier: Notifier, chat_id: str, reply: Reply, key: str) -> Delivery:
    """Every page of a reply, one after another, outside the ledger (tests, one-off posts)."""
    target, sent = chat_id, []
    for index, page in enumerate(notifier.pages(reply)):
        delivery = await notifier.send_page(target, page, f"{key}:{index}")
        target = delivery.chat_id
        sent.extend(delivery.message_ids)
    return Delivery(chat_id=target, message_ids=tuple(sent))
