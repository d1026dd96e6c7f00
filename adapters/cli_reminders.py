"""`fanbot reminders …` subcommands: preview what a day would post."""

from __future__ import annotations

import argparse
import datetime as dt

from adapters.cli_groups import command_group
from bot.settings import Settings


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-24") from None


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot reminders preview --date D`; each parser sets func=async (settings, args)."""
    _, actions = command_group(
        sub, "reminders", help="daily reminders: preview what a day would post"
    )
    p = actions.add_parser(
        "preview",
        help="what a daily post about every artist would say on a date",
        description="Prints the digest a subscription following every artist would post on "
        "DATE (default: today in FANBOT_TIMEZONE), from the whole store.",
    )
    p.add_argument("--date", type=_date, help="a day like 2025-01-24")
    p.set_defaults(func=cmd_preview)


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    """The post as a chat that chose no language gets it: in FANBOT_LANGUAGE (or --language)."""
    from adapters import console
    from bot.app import open_core
    from bot.i18n import translator
    from bot.reminders.digest import day_items, localized_digest
    from storage.models import PartialDate

    core = await open_core(settings)
    try:
        on = args.date or core.clock.now().astimezone(settings.zone).date()
        day = await day_items(core.store.facts, on)
        zone = settings.fanbot_timezone
        reply = await localized_digest(core.store, day, None, zone, core.language)
    finally:
        await core.store.close()
    if reply is None:
        tr = translator(core.language)
        nothing = tr._("Nothing falls on {date}: there would be no post.")
        print(nothing.format(date=tr.date(PartialDate.of(on))))
    else:
        print(console.render(reply))
    return 0
