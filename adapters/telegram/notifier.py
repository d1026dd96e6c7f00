"""Scheduled posts to Telegram groups and channels (bot.notify.Notifier).

A 429 is waited out for exactly its retry_after (send.py). A group upgraded to a supergroup
answers 400 with the new id: the stored chat follows it and the post goes there. A 403 (the bot
was removed, blocked, or may not write) and "chat not found" mark the chat inactive and raise
`ChatGone`, so the scheduler stops instead of retrying forever.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from adapters.telegram.render import render
from adapters.telegram.send import Sleep, send_html
from bot.notify import ChatGone, Delivery, DeliveryFailed
from bot.replies import Reply
from storage.chats import ChatStore

log = logging.getLogger(__name__)

GONE_PHRASES = ("chat not found", "bot was kicked", "not enough rights", "have no rights")


class TelegramNotifier:
    platform = "telegram"

    def __init__(self, bot: Bot, chats: ChatStore, sleep: Sleep = asyncio.sleep):
        self.bot = bot
        self.chats = chats
        self.sleep = sleep

    async def send(self, chat_id: str, reply: Reply) -> Delivery:
        """Post every page of the reply; return where it landed and the message ids."""
        target = chat_id
        sent: list[str] = []
        for page in render(reply):
            for _ in range(3):  # a migration may be followed by one more
                try:
                    message = await send_html(self.bot, target, page, sleep=self.sleep)
                    break
                except ChatMigrated as exc:
                    new_id = str(exc.new_chat_id)
                    await self.chats.moved("telegram", target, new_id)
                    target = new_id
                except Forbidden as exc:
                    await self._gone(target, f"Telegram answered 403: {exc.message}")
                except BadRequest as exc:
                    if any(p in exc.message.lower() for p in GONE_PHRASES):
                        await self._gone(target, f"Telegram answered 400: {exc.message}")
                    raise DeliveryFailed(f"chat {target}: {exc.message}") from exc
                except TelegramError as exc:  # RetryAfter past its retries, network, 5xx
                    raise DeliveryFailed(f"chat {target}: {exc}") from exc
            else:
                raise DeliveryFailed(f"chat {chat_id} kept moving; giving up this time")
            sent.append(str(message.message_id))
        return Delivery(chat_id=target, message_ids=tuple(sent))

    async def _gone(self, chat_id: str, reason: str) -> None:
        await self.chats.gone("telegram", chat_id, reason[:200])
        raise ChatGone(f"chat {chat_id}: {reason}")
