"""Text limits done once: cleaning what people type, and splitting long replies into pages."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_INPUT = 1000  # longer arguments are refused, not silently cut


def clean_input(text: str) -> str:
    """Drop control and format characters (but keep Hangul joiners), fold runs of space."""
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\n\t\r":
            kept.append(" ")
        elif cat == "Cc" or (cat == "Cf" and ch not in "\u200d"):
            continue
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut to at most `limit` characters, at a word boundary where one is near."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def split_pages(blocks: Iterable[str], limit: int, joiner: str = "\n") -> list[str]:
    """Pack blocks into pages of at most `limit` characters, never splitting a block that fits.

    A block longer than a page is cut at line, then word boundaries. Every renderer uses this,
    so Telegram's 4,096, Discord's 1,024-per-field and the console all page the same way.
    """
    pages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            candidate = piece if not current else current + joiner + piece
            if len(candidate) <= limit:
                current = candidate
            else:
                pages.append(current)
                current = piece
    if current or not pages:
        pages.append(current)
    return pages


def _fit(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    out: list[str] = []
    rest = block
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out
