"""Scheduled posts to Discord channels (bot.reminders.notify.Notifier).

discord.py's HTTP client already waits out 429s (per-route and global buckets) before retrying;
what reaches this module is the final answer. A 403 or 404 means the channel is gone or shut to
the bot: the chat is marked gone (bot.chats.memory) and `ChatGone` raised, so the scheduler stops
trying until the channel is used again.

A process that runs some of the bot's shards (DISCORD_SHARD_IDS) posts only in the guilds of
those shards, the ones its gateway session was given: `serves` tells the runner which chats are
this process's, before anything is claimed. A channel no process can see (deleted, the bot
removed, its guild in an outage) is left to its owner for ORPHAN_AFTER, then taken by the
process holding shard 0, where Discord sends what belongs to no guild; so a gone channel is
still tried once and its subscription paused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection

import aiohttp
import discord

from adapters.discord.render import render
from bot.core import Core
from bot.reminders.notify import ChatGone, Delivery, DeliveryFailed
from bot.replies import Reply

log = logging.getLogger(__name__)

EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_TOTAL = 6000  # Discord counts every embed of a message against one 6,000
# How long a channel no shard process sees waits for its owner before shard 0 tries it: two
# catch-up ticks (bot.reminders.schedule.CATCH_UP_EVERY), so the owner had its chances.
ORPHAN_AFTER = dt.timedelta(minutes=10)


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's rule: a guild's events come through shard (guild_id >> 22) % shard_count."""
    return (guild_id >> 22) % shard_count


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

    def __init__(
        self,
        client: discord.Client,
        core: Core,
        *,
        shards: tuple[int, frozenset[int]] | None = None,
    ):
        """`shards`: (DISCORD_SHARD_COUNT, this process's ids) when it runs only some of them."""
        self.client = client
        self.core = core
        self.shards = shards
        self._unseen_since: dict[str, dt.datetime] = {}  # owed chats no guild of ours holds

    def serves(self, chat_ids: Collection[str], now: dt.datetime) -> set[str]:
        """The chats whose posts this process sends: with some shards only, the channels of
        the guilds its session holds, and channels nobody sees once ORPHAN_AFTER has passed
        (shard 0's process only). Before the session is ready it knows none: it sends nothing.
        """
        if self.shards is None:
            return set(chat_ids)
        count, mine = self.shards
        if not self.client.is_ready():
            self._unseen_since.clear()
            return set()
        served, unseen = set(), {}
        for chat_id in chat_ids:
            channel = self.client.get_channel(int(chat_id)) if chat_id.isdigit() else None
            guild = getattr(channel, "guild", None)
            if guild is not None:
                if shard_of(guild.id, count) in mine:
                    served.add(chat_id)
                continue
            # Kept only while owed without a break: tomorrow's post starts the wait afresh.
            unseen[chat_id] = since = self._unseen_since.get(chat_id, now)
            if 0 in mine and now - since >= ORPHAN_AFTER:
                served.add(chat_id)
        self._unseen_since = unseen
        return served

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
