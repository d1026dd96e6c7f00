"""`fanbot catalog …`: follow artists from MusicBrainz and keep them fresh, from the terminal.

add NAME lists candidates; add --mbid MBID follows one; list, remove, sync. Each artist
synced prints one progress line (requests made, facts added and updated).
"""

from __future__ import annotations

import argparse
import logging
import sys

from adapters.cli_groups import command_group
from adapters.musicbrainz.client import MusicBrainzClient, check_mbid, client_for
from bot.app import open_core
from bot.catalog.records import CatalogSetup
from bot.catalog.schedule import CatalogSchedule
from bot.catalog.sync import SyncReport, sync_all, sync_artist
from bot.clock import SystemClock
from bot.core import Core
from bot.errors import FanbotError
from bot.settings import Settings

log = logging.getLogger(__name__)
EXIT_BAD_INPUT = 1
EXIT_CANNOT_START = 2


def _print_report(report: SyncReport) -> None:
    print(report.line())
    for note in report.notes:
        print(f"  note: {note}")


def _client(settings: Settings) -> MusicBrainzClient | None:
    """The MusicBrainz client, or None after saying in one line why there is none."""
    try:
        return client_for(settings)
    except FanbotError as exc:
        print(f"fanbot: {exc.message}", file=sys.stderr)
        return None


async def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    if not args.mbid and not args.name:
        print("fanbot catalog add: give a NAME to search, or --mbid MBID", file=sys.stderr)
        return EXIT_BAD_INPUT
    client = _client(settings)
    if client is None:
        return EXIT_CANNOT_START
    async with client:
        try:
            if not args.mbid:
                hits = await client.search_artists(" ".join(args.name))
                if not hits:
                    print(f"MusicBrainz knows no artist called “{' '.join(args.name)}”.")
                    return EXIT_BAD_INPUT
                print("Candidates (follow one with: fanbot catalog add --mbid MBID):")
                for hit in hits:
                    about = ", ".join(filter(None, [hit.type, hit.country, hit.disambiguation]))
                    print(f"  {hit.name}" + (f" ({about})" if about else "") + f"  {hit.mbid}")
                return 0
            mbid = check_mbid(args.mbid)
            core = await open_core(settings, SystemClock())
            try:
                report = await _sync(core, client, mbid, settings)
            finally:
                await core.store.close()
        except FanbotError as exc:
            print(f"fanbot: {exc.message}", file=sys.stderr)
            return EXIT_BAD_INPUT
    _print_report(report)
    print(f"Following {report.name}.")
    return 0


async def _sync(core: Core, client: MusicBrainzClient, mbid: str, settings: Settings) -> SyncReport:
    return await sync_artist(
        core.store,
        client,
        mbid,
        core.clock.now(),
        core.zone,
        settings.catalog_secondary_types,
    )


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    try:
        followed = await core.store.catalog.followed()
    finally:
        await core.store.close()
    if not followed:
        print("No artist is followed yet. Follow one with: fanbot catalog add NAME")
        return 0
    for f in followed:
        when = f.synced_at.strftime("%Y-%m-%d %H:%M UTC") if f.synced_at else "never"
        print(f"{f.name}  {f.mbid}  last synced {when}")
    return 0


async def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    try:
        found = await core.store.catalog.find(args.who)
        if len(found) != 1:
            names = ", ".join(f"{f.name} ({f.mbid})" for f in await core.store.catalog.followed())
            print(
                f"fanbot: “{args.who.strip()[:60]}” is not one followed artist; followed: "
                f"{names or 'none'}",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        await core.store.catalog.unfollow(found[0].mbid)
    finally:
        await core.store.close()
    print(f"No longer following {found[0].name}; what was imported stays, with its sources.")
    return 0


async def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    client = _client(settings)
    if client is None:
        return EXIT_CANNOT_START
    async with client:
        core = await open_core(settings, SystemClock())
        try:
            results = await sync_all(
                core.store, client, core.clock.now(), core.zone, settings.catalog_secondary_types
            )
        finally:
            await core.store.close()
    if not results:
        print("No artist is followed yet. Follow one with: fanbot catalog add NAME")
    for name, result in results:
        if isinstance(result, SyncReport):
            _print_report(result)
        else:
            print(f"{name}: not synced, left as it was: {result.message}")
    failed = [r for _, r in results if not isinstance(r, SyncReport)]
    return EXIT_BAD_INPUT if failed else 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot catalog ACTION …`; each parser sets func=async (settings, args)."""
    _, actions = command_group(
        sub,
        "catalog",
        help="follow artists from MusicBrainz: members, aliases, birthdays, debuts, releases",
        description="The catalogue: fanbot imports artists from MusicBrainz (FANBOT_CONTACT "
        "must say how MusicBrainz can reach you) and keeps them fresh.",
    )
    p = actions.add_parser("add", help="search by NAME, or follow --mbid MBID")
    p.add_argument("name", nargs="*", metavar="NAME", help="an artist's name to search for")
    p.add_argument("--mbid", help="the MusicBrainz id of the artist to follow")
    p.set_defaults(func=cmd_add)
    p = actions.add_parser("list", help="the artists followed and when each was last synced")
    p.set_defaults(func=cmd_list)
    p = actions.add_parser("remove", help="stop following an artist (by MBID or name)")
    p.add_argument("who", metavar="MBID_OR_NAME")
    p.set_defaults(func=cmd_remove)
    p = actions.add_parser("sync", help="read every followed artist from MusicBrainz again")
    p.set_defaults(func=cmd_sync)


def attach(core: Core, settings: Settings) -> None:
    """Give the chat's /catalog its MusicBrainz client (when FANBOT_CONTACT is set)."""
    if settings.fanbot_contact.strip():
        core.catalog = CatalogSetup(client_for(settings), settings.catalog_secondary_types)


def schedule(settings: Settings, core: Core) -> CatalogSchedule | None:
    """Start the daily resync when FANBOT_CATALOG_SYNC_TIME (and FANBOT_CONTACT) are set."""
    at = settings.catalog_sync_time
    if at is None:
        return None
    if core.catalog is None:
        log.warning("FANBOT_CATALOG_SYNC_TIME is set but FANBOT_CONTACT is not: no daily sync")
        return None
    job = CatalogSchedule(core.store, core.catalog, core.clock, core.zone, at)
    job.start()
    return job
