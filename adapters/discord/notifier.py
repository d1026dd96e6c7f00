"""Scheduled posts to Discord channels (bot.reminders.notify.Notifier).

discord.py's HTTP client already waits out 429s (per-route and global buckets) before retrying;
what reaches this module is the final answer. A 403 or 404 means the channel is gone or shut to
the bot: the chat is marked gone (bot.chats.memory) and `ChatGone` raised, so the scheduler stops
trying until the channel is used again.
"""

from __future__ import annotations

import hashlib
import logging

import aiohttp
import discord

from adapters.discord.render import render
from bot.core import Core
from bot.reminders.notify import ChatGone, Delivery, DeliveryFailed
from bot.replies import Reply

log = logging.getLogger(__name__)

EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_TOTAL = 6000  # Discord counts every embed of a message against one 6,000


def _batches(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Pages packed into as few messages as Discord's per-message limits allow."""
    batches: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        if (
            batches
            and len(batches[-1]) < EMBEDS_PER_MESSAGE
            and size + len(embed) <= MESSAGE_EMBED_TOTAL
        ):
            batches[-1].append(embed)
            size += len(embed)
        else:
            batches.append([embed])
            size = len(embed)
    return batches


class DiscordNotifier:
    platform = "discord"

    def __init__(self, client: discord.Client, core: Core):
        self.client = client
        self.core = core

    def pages(self, reply: Reply) -> list[list[discord.Embed]]:
        return _batches(render(reply))

    async def send_page(self, chat_id: str, page: list[discord.Embed], key: str) -> Delivery:
        """Post one message of embeds. Its nonce comes from `key` and discord.py sends it with
        enforce_nonce, so a retry after a lost answer returns the first message, not a second.
        """
        try:
            channel = self.client.get_partial_messageable(int(chat_id))
        except ValueError:
            raise DeliveryFailed(f"{chat_id!r} is not a Discord channel id") from None
        try:
            message = await channel.send(
                embeds=page, allowed_mentions=discord.AllowedMentions.none(), nonce=nonce(key)
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            reason = f"Discord answered {exc.status} ({exc.code}): {exc.text}"
            await self.core.chats.chat_gone("discord", chat_id, reason)
            raise ChatGone(f"channel {chat_id}: {reason}") from exc
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            # Safe to send again, answer lost or not: the same nonce cannot make a second post.
            raise DeliveryFailed(f"channel {chat_id}: {exc}") from exc
        return Delivery(chat_id=chat_id, message_ids=(str(message.id),))


def nonce(key: str) -> str:
    """A Discord nonce (at most 25 characters) that names one page of one post for good."""
    return str(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
