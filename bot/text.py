"""Text limits done once: cleaning what people type, and splitting long replies into pages."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

MAX_INPUT = 1000  # longer arguments are refused, not silently cut
Length = Callable[[str], int]  # how a platform counts a text's length


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


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts its limits (💜 and other astral: 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def split_pages(
    blocks: Iterable[str], limit: int, joiner: str = "\n", length: Length = len
) -> list[str]:
    """Pack blocks into pages of at most `limit`, never splitting a block that fits.

    A block longer than a page is cut at line, then word boundaries. Every renderer uses this,
    so Telegram's 4,096, Discord's 1,024-per-field and the console all page the same way;
    `length` is how the platform counts (Telegram: UTF-16 units). It must be additive: the
    length of two strings joined is the sum of theirs, as for `len` and `utf16_len`.
    """
    pages: list[str] = []
    current, used = "", 0
    gap = length(joiner)
    for block in blocks:
        for piece in _fit(block, limit, length):
            size = length(piece)
            if not current:
                current, used = piece, size
            elif used + gap + size <= limit:
                current, used = current + joiner + piece, used + gap + size
            else:
                pages.append(current)
                current, used = piece, size
    if current or not pages:
        pages.append(current)
    return pages


def _fit(block: str, limit: int, length: Length) -> list[str]:
    if length(block) <= limit:
        return [block]
    out: list[str] = []
    rest = block
    while length(rest) > limit:
        fits = _fitting_prefix(rest, limit, length)
        cut = rest.rfind("\n", 0, fits + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, fits + 1)
        if cut <= 0:
            cut = max(fits, 1)
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out


def _fitting_prefix(text: str, limit: int, length: Length) -> int:
    """The most characters of `text` whose length is within `limit` (binary search)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
