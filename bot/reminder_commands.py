"""Commands of the reminders feature: subscribe, subscriptions, unsubscribe, preview."""

from __future__ import annotations

from bot.commands import Command


def reminder_commands() -> list[Command]:
    return []
