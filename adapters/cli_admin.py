"""`fanbot admin …` subcommands: the admin commands for operators at the terminal."""

from __future__ import annotations

import argparse


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot admin …`; each parser sets func=async (settings, args)."""
