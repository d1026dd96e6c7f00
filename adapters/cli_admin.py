"""`fanbot admin …`: the admin commands for operators at the terminal, built from the same
declarations as every chat platform (required parameters in order, the rest as --options).

Whoever runs it holds the store file, so they act as a bot admin: the local operator
(platform "console", their login name or --as NAME), recorded like any other admin.
"""

from __future__ import annotations

import argparse
import getpass

from adapters import console
from adapters.cli_groups import command_group
from bot.admin.commands import admin_commands
from bot.app import open_core
from bot.context import Caller, Chat
from bot.settings import Settings

EXIT_BAD_INPUT = 1
_PREFIX = "admin_param_"  # keeps parameter names apart from the other subcommands' arguments


def operator(name: str | None = None) -> tuple[Caller, Chat]:
    """The terminal's operator as a caller, and the console chat."""
    user = (name or getpass.getuser() or "operator").strip()[:64] or "operator"
    return (
        Caller(platform="console", user_id=user, name=user, is_chat_admin=True),
        Chat(platform="console", id="console", kind="private", title="terminal"),
    )


async def cmd_admin(settings: Settings, args: argparse.Namespace) -> int:
    caller, chat = operator(args.operator)
    core = await open_core(settings)
    core.admins = core.admins | {(caller.platform, caller.user_id)}
    raw = {
        key.removeprefix(_PREFIX): value
        for key, value in vars(args).items()
        if key.startswith(_PREFIX) and value is not None
    }
    try:
        reply = await core.invoke(args.admin_command, raw, caller, chat)
    finally:
        await core.store.close()
    print(console.render(reply))
    return EXIT_BAD_INPUT if reply.error else 0


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot admin COMMAND …`; each parser sets func=async (settings, args)."""
    parser, commands = command_group(
        sub,
        "admin",
        metavar="COMMAND",
        help="add and correct facts, subjects, aliases and editors as the operator",
        description="The admin commands of the chat, for the operator of this fanbot. "
        "Every change is recorded in the audit trail under your login name (or --as NAME).",
    )
    parser.add_argument("--as", dest="operator", metavar="NAME", help="the name to record")

    for command in admin_commands():
        p = commands.add_parser(command.name, help=command.help, description=command.help)
        for param in command.params:
            metavar = param.name.upper()
            help_text = param.help.replace("%", "%%")
            if param.choices:
                help_text += f" ({', '.join(param.choices)})"
            if param.required:
                p.add_argument(_PREFIX + param.name, metavar=metavar, help=help_text)
            else:
                p.add_argument(
                    "--" + param.name.replace("_", "-"),
                    dest=_PREFIX + param.name,
                    metavar=metavar,
                    help=help_text,
                )
        p.set_defaults(func=cmd_admin, admin_command=command.name)
