"""A core Reply as Discord embeds: escaped, dated as KST calendar days, paged within limits.

A fact's date is a calendar day (KST, the fandom's clock), not an instant, so it is written as a
date: a `<t:…:D>` timestamp would show it in each reader's own zone, the day before in New York.

Discord caps an embed at 6,000 characters in all, 4,096 in the description, 25 fields of at most
1,024 characters and a 2,048-character footer. Pages are cut with the core's one splitter
(`bot.text.split_pages`) with budgets that keep every page under those caps.
"""

from __future__ import annotations

import discord

from bot.i18n import Translator, translator
from bot.replies import Line, Reply, line_text, source_text
from bot.text import shorten, split_pages

TITLE_MAX = 256
DESCRIPTION_BUDGET = 3000  # of 4,096: leaves room in the 6,000 total for fields and footer
FIELDS_BUDGET = 1800  # field names and values on one page
FOOTER_MAX = 2048
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
MAX_FIELDS = 25
EMBED_TOTAL_MAX = 6000

COLOR = discord.Colour(0x7B61FF)
ERROR_COLOR = discord.Colour(0xE5484D)


def escape(text: str) -> str:
    """Stored text shown inert: no Markdown, no @everyone/@here, no user/role/channel mention."""
    text = discord.utils.escape_markdown(text)
    text = discord.utils.escape_mentions(text)
    return text.replace("<#", "<\u200b#")


def _line_text(line: Line, tr: Translator) -> str:
    return line_text(line, tr.date, escape(line.text))


def _fields(reply: Reply) -> list[tuple[str, str]]:
    """Each field within Discord's field limits; a long value continues in further fields."""
    out: list[tuple[str, str]] = []
    for field in reply.fields:
        name = escape(field.name).strip() or "\u200b"
        value = escape(field.value).strip() or "—"
        parts = split_pages([value], FIELD_VALUE_MAX)
        for i, part in enumerate(parts):
            label = (
                name
                if i == 0
                else translator(reply.language)._("{name} (continued)").format(name=name)
            )
            out.append((shorten(label, FIELD_NAME_MAX), part))
    return out


def _footer(reply: Reply, refs: set[int], first: bool) -> str:
    """Sources the page cites (all of them on a first page that cites none), then the footer."""
    numbers = sorted(refs) or (list(range(1, len(reply.sources) + 1)) if first else [])
    parts = [
        f"[{n}] {source_text(reply.sources[n - 1])}" for n in numbers if 0 < n <= len(reply.sources)
    ]
    sources = translator(reply.language)._("Sources: {list}")
    text = sources.format(list=" · ".join(parts)) if parts else ""
    if reply.footer:
        text = f"{text}\n{reply.footer}" if text else reply.footer
    return shorten(text, FOOTER_MAX)


def _describe(reply: Reply) -> list[tuple[str, set[int]]]:
    """Description pages and the source numbers each cites; an overlong line is cut in pieces."""
    tr = translator(reply.language)
    items = [(_line_text(line, tr), set(line.refs)) for line in reply.lines]
    if reply.usage:
        items.append((tr._("Usage: {usage}").format(usage=escape(reply.usage)), set()))
    pages: list[tuple[str, set[int]]] = []
    for block, refs in items:
        for piece in split_pages([block], DESCRIPTION_BUDGET):
            if pages and len(pages[-1][0]) + 1 + len(piece) <= DESCRIPTION_BUDGET:
                text, cited = pages[-1]
                pages[-1] = (f"{text}\n{piece}", cited | refs)
            else:
                pages.append((piece, set(refs)))
    return pages or [("", set())]


def render(reply: Reply) -> list[discord.Embed]:
    """The reply as one or more embed pages, each within every Discord embed limit."""
    title = shorten(escape(reply.title), TITLE_MAX) or "\u200b"
    pages = [(desc, [], refs) for desc, refs in _describe(reply)]
    for name, value in _fields(reply):
        fields = pages[-1][1]
        used = sum(len(n) + len(v) for n, v in fields)
        if len(fields) >= MAX_FIELDS or used + len(name) + len(value) > FIELDS_BUDGET:
            pages.append(("", [], set()))
        pages[-1][1].append((name, value))
    color = ERROR_COLOR if reply.error else COLOR
    embeds = []
    tr = translator(reply.language)
    for i, (desc, fields, refs) in enumerate(pages):
        embed = discord.Embed(title=title, description=desc or None, colour=color)
        for name, value in fields:
            embed.add_field(name=name, value=value, inline=False)
        footer = _footer(reply, refs, first=i == 0)
        if len(pages) > 1:
            page = tr._("Page {page} of {pages}").format(
                page=tr.number(i + 1), pages=tr.number(len(pages))
            )
            footer = f"{footer}\n{page}".strip()
        room = min(FOOTER_MAX, EMBED_TOTAL_MAX - len(embed))
        if footer:
            embed.set_footer(text=shorten(footer, room))
        embeds.append(embed)
    return embeds
