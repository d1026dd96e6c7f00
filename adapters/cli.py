"""The `fanbot` command: the one main that reads settings, opens the store and wires adapters."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NoReturn, Protocol

from adapters import cli_admin as admin_cli
from adapters import cli_backup as backup_cli
from adapters import cli_bundle as bundle_cli
from adapters import cli_catalog as catalog_cli
from adapters import cli_reminders as reminders_cli
from adapters import console
from adapters.discord import cli as discord_cli
from adapters.lifecycle import settle, start_or_retry
from adapters.web import cli as web_cli
from bot import logsetup
from bot.app import open_core
from bot.core import Core
from bot.i18n import LANGUAGES
from bot.reminders.notify import Notifier
from bot.settings import Settings, SettingsError, unread_names
from bot.settings import load as load_settings
from storage.db import describe
from storage.errors import StoreError

if TYPE_CHECKING:
    from bot.reminders.schedule import ReminderScheduler

log = logging.getLogger("fanbot")

# The exit-code rule (README, "Exit codes"): 0 answered (an empty answer too),
# 1 the input or the output was refused, 2 fanbot could not start.
EXIT_BAD_INPUT = 1
EXIT_CANNOT_START = 2
SERVERS = ("run", "web")  # long-running: they log at FANBOT_LOG_LEVEL (INFO); the rest, warnings
STARTUP_WAIT = 30.0  # seconds to wait for the adapters before scheduling; they keep trying


class Service(Protocol):
    """A running platform adapter, started and stopped by `fanbot run` in one event loop."""

    name: str
    notifier: Notifier  # how the scheduler posts to this platform's chats

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


# A platform's factory: (settings, core) -> Service, or None when its token is unset.
ServiceFactory = Callable[[Settings, Core], Awaitable["Service | None"]]


def service_factories() -> list[ServiceFactory]:
    """Imported here, not at the top, so `fanbot ask` starts without loading either library."""
    from adapters.discord.service import discord_service
    from adapters.telegram.service import telegram_service

    return [telegram_service, discord_service]


async def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    catalog_cli.attach(core, settings)
    try:
        reply = await console.ask(core, " ".join(args.text))
    finally:
        await core.store.close()
    print(console.render(reply))
    return EXIT_BAD_INPUT if reply.error else 0


async def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    catalog_cli.attach(core, settings)
    try:
        await console.chat(core)
    finally:
        await core.store.close()
    return _served(core)


def _served(core: Core) -> int:
    """0 after serving, or 1 with one line when the store refused writes meanwhile."""
    failed = core.store.db.write_failures
    if not failed:
        return 0
    print(
        f"fanbot: {failed} write(s) to {core.store.db.path.resolve()} failed while serving "
        "(it turned read-only, or its disk filled up or failed); see the log.",
        file=sys.stderr,
    )
    return EXIT_BAD_INPUT


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    core = await open_core(settings)
    catalog_cli.attach(core, settings)
    catalog_job = catalog_cli.schedule(settings, core)
    services: list[Service] = []
    reminders: ReminderScheduler | None = None
    starting: dict[asyncio.Task[bool], Service] = {}
    website = None
    try:
        try:  # beside the bots when FANBOT_WEB_PORT is set
            website = await web_cli.start_beside(settings, core)
        except web_cli.WebStartError as exc:
            print(f"fanbot: {exc}", file=sys.stderr)
            return EXIT_CANNOT_START
        for factory in service_factories():
            service = await factory(settings, core)
            if service is not None:
                services.append(service)
        if not services:
            print(
                "No DISCORD_TOKEN or TELEGRAM_BOT_TOKEN is set (environment or .env): "
                "opening the console chat instead.",
                file=sys.stderr,
            )
            reminders = _reminders(settings, core, [console.ConsoleNotifier()])
            await reminders.start()
            await console.chat(core)
            return _served(core)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        # Each adapter starts on its own: one platform down never holds up the others.
        starting.update({asyncio.create_task(start_or_retry(s)): s for s in services})
        # Wait for every adapter to start or give up, a stop signal, or STARTUP_WAIT.
        waits = [asyncio.ensure_future(asyncio.wait(starting)), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waits, timeout=STARTUP_WAIT, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        if stop.is_set():
            return _served(core)
        refused = [s for t, s in starting.items() if t.done() and t.result() is False]
        if len(refused) == len(services):
            print("fanbot: no platform accepted its token; see the log above.", file=sys.stderr)
            return EXIT_CANNOT_START
        reminders = _reminders(settings, core, [s.notifier for s in services if s not in refused])
        await reminders.start()
        await settle(core)
        await stop.wait()
        return _served(core)
    finally:
        for task in starting:
            task.cancel()
        await asyncio.gather(*starting, return_exceptions=True)
        if reminders is not None:
            await reminders.stop()
        if catalog_job is not None:
            catalog_job.stop()
        for service in reversed(services):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping the %s adapter failed", service.name)
        if website is not None:
            await website.stop()
        await core.store.close()


def _reminders(settings: Settings, core: Core, notifiers: list[Notifier]) -> ReminderScheduler:
    """The daily posts, through whichever platforms run in this process."""
    from bot.reminders.runner import Reminders
    from bot.reminders.schedule import ReminderScheduler

    grace = dt.timedelta(hours=settings.fanbot_reminder_grace_hours)
    runner = Reminders(
        core.store,
        {n.platform: n for n in notifiers},
        core.clock,
        grace=grace,
        language=core.language,
    )
    return ReminderScheduler(runner)


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are bad input (exit 1), not "could not start" (exit 2).

    Subcommand parsers are made of the same class, so the rule holds for every one.
    """

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fanbot",
        description="A fan bot for releases, records and member status, on Discord, Telegram "
        "and the terminal. Settings come from the environment and .env (see .env.example).",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        help="the language of the console's answers (default: FANBOT_LANGUAGE, else en)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("run", help="start every adapter whose token is set (else the console chat)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("chat", help="chat with the bot in this terminal, no token needed")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("ask", help='print the answer to one question: fanbot ask "/milestone V"')
    p.add_argument("text", nargs="+", help="a command line, e.g. /milestone V")
    p.set_defaults(func=cmd_ask)
    # Features add their subcommands, each setting func=async (settings, args) -> exit code.
    for add_subcommands in (
        discord_cli.add_subcommands,
        reminders_cli.add_subcommands,
        admin_cli.add_subcommands,
        backup_cli.add_subcommands,
        web_cli.add_subcommands,
        bundle_cli.add_subcommands,
        catalog_cli.add_subcommands,
    ):
        add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"fanbot: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    if args.language:  # --language over FANBOT_LANGUAGE, for this run only
        settings = settings.model_copy(update={"fanbot_language": args.language})
    level = settings.fanbot_log_level
    if args.command not in SERVERS and "fanbot_log_level" not in settings.model_fields_set:
        # A one-off command answers in its own words; start-up chatter would bury them, and
        # an operator's error stays one line. Warnings (a store just created) still show.
        level = "WARNING"
    logsetup.configure(level, settings.secrets())
    for warning in unread_names():
        log.warning("%s", warning)
    try:
        code = asyncio.run(args.func(settings, args))
        if sys.stdout is not None:
            sys.stdout.flush()  # here, where a failing output is caught, not at exit
        return code
    except StoreError as exc:
        print(f"fanbot: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    except sqlite3.Error as exc:  # the store failed after it opened (e.g. the disk filled up)
        print(f"fanbot: {describe(settings.fanbot_db, exc)}", file=sys.stderr)
        return EXIT_CANNOT_START
    except BrokenPipeError:
        # The reader left (`fanbot export - | head`): nothing to say, and no one to say it to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BAD_INPUT
    except OSError as exc:
        if exc.filename is not None:
            print(f"fanbot: {exc.filename}: {exc.strerror}", file=sys.stderr)
            return EXIT_BAD_INPUT
        # No file named: the output itself (`fanbot export - > /dev/full`). Say so once, and
        # keep the exit's flush of what is still buffered from failing a second time.
        print(f"fanbot: could not write the output: {exc.strerror or exc}", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
