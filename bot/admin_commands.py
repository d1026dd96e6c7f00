"""Commands that change facts, subjects, aliases and editors: admins only, audited."""

from __future__ import annotations

from bot.commands import Command


def admin_commands() -> list[Command]:
    return []
