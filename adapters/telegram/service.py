"""Builds the Telegram service for `fanbot run` when TELEGRAM_BOT_TOKEN is set."""

from __future__ import annotations

from bot.core import Core
from bot.settings import Settings


async def telegram_service(settings: Settings, core: Core):
    return None
