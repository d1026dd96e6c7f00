"""A `fanbot GROUP ACTION` command group: alone, `fanbot GROUP` prints the group's help."""

from __future__ import annotations

import argparse

from bot.settings import Settings


def command_group(
    sub: argparse._SubParsersAction, name: str, metavar: str = "ACTION", **options: str
) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The group's parser and its actions; each action sets func=async (settings, args)."""
    parser = sub.add_parser(name, **options)

    async def show_help(settings: Settings, args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    parser.set_defaults(func=show_help)
    return parser, parser.add_subparsers(dest=f"{name}_command", metavar=metavar)
