"""`fanbot web`, and the website beside the bots in `fanbot run` when FANBOT_WEB_PORT is set."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:  # aiohttp and Jinja2 load only when the website starts: `fanbot ask` stays quick
    from adapters.web.app import WebServer
    from bot.core import Core

DEFAULT_PORT = 8080
EXIT_CANNOT_START = 2


class WebStartError(Exception):
    """The website could not listen: the message names the address and the reason."""


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web",
        help="serve the website and calendar feeds (no bots)",
        description="Serves the read-only website and the calendar feeds over the store on "
        "FANBOT_WEB_HOST:FANBOT_WEB_PORT (default 127.0.0.1:8080) until Ctrl-C.",
    )
    p.add_argument("--host", help="the address to listen on (default FANBOT_WEB_HOST)")
    p.add_argument("--port", type=int, help="the port (default FANBOT_WEB_PORT, else 8080)")
    p.set_defaults(func=cmd_web)


def server_for(
    settings: Settings, core: Core, host: str | None = None, port: int | None = None
) -> WebServer:
    from adapters.web.app import WebServer

    return WebServer(
        core,
        host or settings.fanbot_web_host,
        port if port is not None else (settings.fanbot_web_port or DEFAULT_PORT),
        settings.fanbot_public_url,
    )


async def start_beside(settings: Settings, core: Core) -> WebServer | None:
    """The website for `fanbot run`: started when FANBOT_WEB_PORT is set, else None.
    Raises WebStartError (one line) when the port cannot be had."""
    if settings.fanbot_web_port is None:
        return None
    server = server_for(settings, core)
    await server.start()
    return server


async def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_core

    if args.port is not None and not 1 <= args.port <= 65535:
        print(f"fanbot web: --port {args.port} is not a port (1 to 65535)", file=sys.stderr)
        return 1
    core = await open_core(settings)
    server = server_for(settings, core, args.host, args.port)
    try:
        await core.resolver.warm()  # the name index, before the first visitor waits for it
        try:
            await server.start()
        except WebStartError as exc:
            print(f"fanbot: {exc}", file=sys.stderr)
            return EXIT_CANNOT_START
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Handlers before "Serving…", so a Ctrl-C sent at once still stops cleanly (exit 0).
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        print(f"Serving the website at http://{server.host}:{server.port}/ (Ctrl-C stops it)")
        sys.stdout.flush()
        await stop.wait()
        return 0
    finally:
        await server.stop()
        await core.store.close()
