"""Building the core from settings: open the store, seed it on first start, declare commands."""

from __future__ import annotations

from collections.abc import Iterable

from bot.admin.commands import admin_commands
from bot.catalog.commands import catalog_commands
from bot.chats.language import language_commands
from bot.clock import Clock, SystemClock
from bot.commands import Command
from bot.core import Core
from bot.fan.calendar import calendar_command
from bot.fan.commands import fan_commands
from bot.reminders.commands import reminder_commands
from bot.settings import Settings
from storage.store import Store


def all_commands(public_url: str | None = None) -> list[Command]:
    """Every command the core serves; a feature adds its list here, once. `public_url` is
    the website's address (FANBOT_PUBLIC_URL) that /calendar gives out."""
    return [
        *fan_commands(),
        *catalog_commands(),
        calendar_command(public_url),
        *reminder_commands(),
        *language_commands(),
        *admin_commands(),
    ]


async def open_core(
    settings: Settings, clock: Clock | None = None, commands: Iterable[Command] | None = None
) -> Core:
    """Open (and migrate) the store, seed it if empty, and build the core over it."""
    store = await Store.open(settings.fanbot_db)
    try:
        await store.seed_if_empty(settings.fanbot_seeds)
    except BaseException:
        await store.close()
        raise
    return Core(
        store,
        clock or SystemClock(),
        all_commands(settings.fanbot_public_url) if commands is None else commands,
        zone=settings.zone,
        admins=settings.admins,
        keep_answers=settings.fanbot_keep_answers,
        language=settings.fanbot_language,
    )
