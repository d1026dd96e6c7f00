"""`fanbot reminders …` subcommands (preview)."""

from __future__ import annotations

import argparse


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot reminders preview --date D`; each parser sets func=async (settings, args)."""
