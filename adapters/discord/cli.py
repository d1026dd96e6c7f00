"""`fanbot discord …` subcommands (sync).

discord is imported inside the command, not here: `fanbot ask` imports this module to build its
parser and should not pay for loading discord.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from adapters.cli_groups import command_group
from bot.settings import Settings

EXIT_REFUSED = 1  # the exit-code rule: README, "Exit codes"
EXIT_CANNOT_START = 2
SYNC_TIMEOUT = 60.0  # seconds for login and sync together; aiohttp alone would wait 5 minutes


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot discord sync [--guild ID]`; each parser sets func=async (settings, args)."""
    _, actions = command_group(sub, "discord", help="Discord: register the slash commands")
    sync = actions.add_parser(
        "sync",
        help="register the slash commands with Discord (globally, or in one server at once)",
        description="Registers every command with Discord over REST (no gateway). Global "
        "commands can take a while to show; --guild makes them appear in one server at once, "
        "which is the way to test. Discord limits command creation per day: sync when the "
        "commands change, not on every start.",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="a server (guild) id")
    sync.set_defaults(func=cmd_sync)


async def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    import aiohttp
    import discord

    from adapters.discord.endpoints import default_api_base
    from adapters.discord.interactions import Responder
    from adapters.discord.service import new_client
    from adapters.discord.tree import CatalogueTranslator, build_tree
    from bot.app import open_core

    if settings.discord_token is None:
        print("fanbot: DISCORD_TOKEN is not set (environment or .env).", file=sys.stderr)
        return EXIT_CANNOT_START
    core = await open_core(settings)
    client = new_client(settings)
    try:
        tree = build_tree(client, core, Responder(core))
        await tree.set_translator(CatalogueTranslator())
        guild = discord.Object(args.guild) if args.guild else None
        if guild is not None:
            tree.copy_global_to(guild=guild)
        async with asyncio.timeout(SYNC_TIMEOUT):
            await client.login(settings.discord_token.get_secret_value())
            synced = await tree.sync(guild=guild)
    except discord.LoginFailure:
        print(
            "fanbot: Discord refused DISCORD_TOKEN; check it in the Developer Portal.",
            file=sys.stderr,
        )
        return EXIT_CANNOT_START
    except discord.DiscordServerError as exc:  # discord.py already retried it
        print(f"fanbot: Discord is in trouble ({exc.status}); try again later.", file=sys.stderr)
        return EXIT_CANNOT_START
    except discord.HTTPException as exc:
        text = " ".join(str(exc.text).split())
        print(f"fanbot: Discord refused the commands: {exc.status} {text}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:  # no network, no answer
        where = settings.discord_api_base_url or default_api_base()
        print(f"fanbot: could not reach Discord at {where}: {_reason(exc)}", file=sys.stderr)
        return EXIT_CANNOT_START
    finally:
        await client.close()
        await core.store.close()
    where = f"server {args.guild}" if guild is not None else "every server (global)"
    names = ", ".join(f"/{c.name}" for c in synced)
    print(f"Synced {len(synced)} commands to {where}: {names}")
    return 0


def _reason(exc: BaseException) -> str:
    """An operator's few words: no traceback, no repr of aiohttp's connection key."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {SYNC_TIMEOUT:g} s"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
