"""What adapters tell the core about chats: seen, gone, moved. One behaviour for every platform.

A platform reports chats in two ways: a person uses the bot there (or the bot is added), and a
post there fails because the bot was removed, blocked or may not write. Both adapters used to
keep this in their own copies, which drifted: Discord forgot a gone chat, so the next command
there made it active again; Telegram kept it as known, so its subscription stayed paused for
good. The rule now, for every platform: a chat a post found gone is paused (its record and
subscription kept) until the bot is used there again or added back; then posts resume.

The chats already recorded are kept in memory, so a command costs no write; a chat marked
gone or moved is forgotten, so the next sign of life writes again. This is the one place that
writes chats for adapters (store.chats today; a chats repository after the storage split).
"""

from __future__ import annotations

import logging

from bot.context import Chat
from storage.chats import ChatStore

log = logging.getLogger(__name__)

REASON_MAX = 200  # characters of a platform's explanation kept with a paused chat


class ChatMemory:
    """The chats fanbot may post to, as the adapters report them."""

    def __init__(self, chats: ChatStore):
        self._chats = chats
        self._known: set[tuple[str, str]] = set()

    async def chat_seen(self, chat: Chat) -> None:
        """The bot was used in (or added to) a chat: record it, active, so a subscription made
        there has somewhere to post, and a paused one resumes. Private chats are not recorded:
        nothing is posted to them unasked."""
        key = (chat.platform, chat.id)
        if chat.kind == "private" or key in self._known:
            return
        await self._chats.ensure(chat.platform, chat.id, chat.kind, chat.title)
        self._known.add(key)

    async def chat_gone(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot was removed, blocked or may not write there: posts pause, the record stays,
        and the next `chat_seen` of it makes it active again."""
        self._known.discard((platform, chat_id))
        await self._chats.gone(platform, chat_id, reason[:REASON_MAX])

    async def chat_moved(self, platform: str, old_id: str, new_id: str) -> None:
        """The chat changed id (a Telegram group became a supergroup): its record, language and
        subscription follow the new id."""
        self._known.discard((platform, old_id))
        await self._chats.moved(platform, old_id, new_id)
