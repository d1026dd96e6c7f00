"""`fanbot backup FILE` / `fanbot restore FILE`: the whole store, for restoring the same bot.

`fanbot export` stays the facts bundle (YAML, for seeds and merging); a backup is the SQLite
file itself, consistent while `fanbot run` serves, with everything the bot keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.settings import Settings
from storage import backup as backups
from storage.errors import BackupRefused

EXIT_REFUSED = 1


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, round(n / 1000))} kB"


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    try:
        copy = await asyncio.to_thread(backups.backup, settings.fanbot_db, Path(args.file))
    except BackupRefused as exc:
        print(f"fanbot: {exc} Nothing was written.", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"Backed up {settings.fanbot_db} to {copy.path} "
        f"(schema {copy.schema}, {_size(copy.size)}, checked)"
    )
    return 0


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    store = settings.fanbot_db
    try:
        done = await backups.restore(Path(args.file), store, SystemClock().now())
    except BackupRefused as exc:
        print(f"fanbot: {exc} The store was left as it was.", file=sys.stderr)
        return EXIT_REFUSED
    migrated = f", migrated from schema {done.schema_was}" if done.schema_was != done.schema else ""
    print(f"Restored {store} from {args.file} (schema {done.schema}{migrated})")
    if done.kept is not None:
        print(f"The store it replaced is kept as {done.kept}")
    return 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot backup FILE` and `fanbot restore FILE` (func=async (settings, args))."""
    p = sub.add_parser(
        "backup",
        help="copy the whole store (subscriptions, ledger, audit …) to FILE, even while running",
        description="Writes a consistent copy of FANBOT_DB to FILE (replacing it atomically), "
        "safe while `fanbot run` serves. `fanbot restore FILE` brings it back.",
    )
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore",
        help="make FANBOT_DB a copy of a backup FILE (fanbot must be stopped)",
        description="Checks that FILE is a fanbot store (SQLite, intact, not from a newer "
        "fanbot), migrates an older one, and swaps it in for FANBOT_DB atomically. Refused "
        "while a fanbot has the store open; the store it replaces is kept beside it.",
    )
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)
