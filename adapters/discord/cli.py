"""`fanbot discord …` subcommands (sync)."""

from __future__ import annotations

import argparse


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Adds `fanbot discord sync [--guild ID]`; each parser sets func=async (settings, args)."""
