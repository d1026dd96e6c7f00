"""Builds the Discord service for `fanbot run` when DISCORD_TOKEN is set."""

from __future__ import annotations

from bot.core import Core
from bot.settings import Settings


async def discord_service(settings: Settings, core: Core):
    return None
