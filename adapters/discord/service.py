"""Builds the Discord service for `fanbot run` when DISCORD_TOKEN is set.

The client runs inside fanbot's own event loop (login, then `connect()` in a task), beside
Telegram and the scheduler. Commands are not synced here: `fanbot discord sync` does that
explicitly, because Discord limits how many commands an application may create per day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

from adapters.discord.endpoints import point_client_at
from adapters.discord.interactions import DEFER_AFTER, Responder
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.tree import CatalogueTranslator, FanbotTree, build_tree
from adapters.lifecycle import TokenRefused
from bot.core import Core
from bot.settings import Settings

log = logging.getLogger(__name__)


def new_client(settings: Settings, **options: Any) -> discord.Client:
    """A Client, or an AutoShardedClient when DISCORD_SHARD_COUNT/IDS split the bot up.

    Only the guilds intent: interactions arrive regardless, and fanbot reads no messages.
    Every message it sends has mentions disabled.
    """
    # fanbot never joins voice: the warnings that voice libraries are missing are noise.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    options = {
        "intents": discord.Intents(guilds=True),
        "allowed_mentions": discord.AllowedMentions.none(),
        **options,
    }
    if settings.discord_shard_count is None:
        client = discord.Client(**options)
    else:
        client = discord.AutoShardedClient(
            shard_count=settings.discord_shard_count, shard_ids=settings.discord_shards, **options
        )
    # DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL: for this client only, not the process.
    point_client_at(client, settings.discord_api_base_url, settings.discord_gateway_url)
    return client


def _own_shards(settings: Settings) -> tuple[int, frozenset[int]] | None:
    """(count, ids) when this process runs only some shards; None when it runs every one."""
    count, ids = settings.discord_shard_count, settings.discord_shards
    if count is None or ids is None or set(ids) == set(range(count)):
        return None
    return count, frozenset(ids)


class DiscordService:
    """The running Discord adapter: client, generated command tree, notifier."""

    name = "discord"

    def __init__(
        self,
        settings: Settings,
        core: Core,
        *,
        defer_after: float = DEFER_AFTER,
        **client_options: Any,
    ):
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        self.settings = settings
        self.core = core
        self.client = new_client(settings, **client_options)
        self.responder = Responder(core, defer_after=defer_after)
        self.tree: FanbotTree = build_tree(self.client, core, self.responder)
        self.notifier = DiscordNotifier(self.client, core, shards=_own_shards(settings))
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in and connect in the background; returns once the gateway session is ready."""
        await self.tree.set_translator(CatalogueTranslator())
        assert self.settings.discord_token is not None
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise TokenRefused(
                "Discord refused DISCORD_TOKEN; copy it again from the Developer Portal"
            ) from None
        self._task = asyncio.create_task(self.client.connect(), name="discord gateway")
        self._task.add_done_callback(_report_end)
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait({self._task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises why the gateway could not connect

    async def stop(self) -> None:
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)
            self._task = None


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord connection ended: %s", task.exception())


async def discord_service(settings: Settings, core: Core) -> DiscordService | None:
    """The service, or None when DISCORD_TOKEN is unset."""
    if settings.discord_token is None:
        return None
    return DiscordService(settings, core)
