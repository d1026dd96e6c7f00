"""Scheduled posts to Telegram groups and channels (bot.reminders.notify.Notifier).

A 429 is waited out for exactly its retry_after (send.py). A group upgraded to a supergroup
answers 400 with the new id: the stored chat follows it and the page goes there. A 403 (the bot
was removed, blocked, or may not write) and "chat not found" mark the chat gone (bot.chats.memory)
and raise `ChatGone`, so the scheduler stops instead of retrying forever; the next command
there resumes the chat's posts.

Telegram has no idempotency key for sendMessage, so a page whose answer was lost after the
request went out (a read timeout, a connection dropped mid-answer) cannot be retried without
risking a second message: it raises `DeliveryUncertain`, and the runner records it as unknown.
A request that certainly never reached Telegram (the connection could not be made, the pool
was full) or that Telegram refused with an error raises `DeliveryFailed`, safe to retry.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, TelegramError

from adapters.telegram.render import render
from adapters.telegram.send import Sleep, send_html
from bot.chats.memory import ChatMemory
from bot.reminders.notify import ChatGone, Delivery, DeliveryFailed, DeliveryUncertain
from bot.replies import Reply

log = logging.getLogger(__name__)

GONE_PHRASES = ("chat not found", "bot was kicked", "not enough rights", "have no rights")
# httpx errors raised before a byte of the request reached Telegram.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def maybe_delivered(exc: NetworkError) -> bool:
    """Whether a network error may have come after Telegram received the request.

    PTB raises TimedOut/NetworkError from the httpx error it caught; errors made from an HTTP
    status (a 502 from Telegram's front) carry no httpx cause and were answered, not lost.
    """
    cause = exc.__cause__
    if cause is None or isinstance(cause, NOT_SENT):
        return False
    return isinstance(cause, httpx.TransportError)


class TelegramNotifier:
    platform = "telegram"

    def __init__(self, bot: Bot, chats: ChatMemory, sleep: Sleep = asyncio.sleep):
        self.bot = bot
        self.chats = chats
        self.sleep = sleep

    def pages(self, reply: Reply) -> list[str]:
        return render(reply)

    async def send_page(self, chat_id: str, page: str, key: str) -> Delivery:
        """Post one HTML page; return where it landed and its message id."""
        target = chat_id
        for _ in range(3):  # a migration may be followed by one more
            try:
                message = await send_html(self.bot, target, page, sleep=self.sleep)
                return Delivery(chat_id=target, message_ids=(str(message.message_id),))
            except ChatMigrated as exc:
                new_id = str(exc.new_chat_id)
                await self.chats.chat_moved("telegram", target, new_id)
                target = new_id
            except Forbidden as exc:
                await self._gone(target, f"Telegram answered 403: {exc.message}")
            except BadRequest as exc:
                if any(p in exc.message.lower() for p in GONE_PHRASES):
                    await self._gone(target, f"Telegram answered 400: {exc.message}")
                raise DeliveryFailed(f"chat {target}: {exc.message}") from exc
            except NetworkError as exc:  # TimedOut is one too
                if maybe_delivered(exc):
                    raise DeliveryUncertain(f"chat {target}: {exc} (after it went out)") from exc
                raise DeliveryFailed(f"chat {target}: {exc}") from exc
            except TelegramError as exc:  # RetryAfter past its retries
                raise DeliveryFailed(f"chat {target}: {exc}") from exc
        raise DeliveryFailed(f"chat {chat_id} kept moving; giving up this time")

    async def _gone(self, chat_id: str, reason: str) -> None:
        await self.chats.chat_gone("telegram", chat_id, reason)
        raise ChatGone(f"chat {chat_id}: {reason}")
