"""A core Reply as Telegram HTML pages: every stored value escaped, each page within 4,096.

Telegram counts a message's length after parsing its entities, and in UTF-16 code units (an
emoji such as 💜 is two). So pages are cut on the plain text, measured in UTF-16 with the
core's one splitter, and escaped afterwards: `&amp;` costs one unit there, `<b>` none.
"""

from __future__ import annotations

import html

from bot.replies import Reply, plain_blocks
from bot.text import shorten, split_pages, utf16_len

MESSAGE_MAX = 4096  # UTF-16 code units of the text Telegram shows
TITLE_MAX = 200
COUNTER_MAX = len(" (9999/9999)")  # the page counter after the title; 9,999 pages is plenty


def render(reply: Reply) -> list[str]:
    """The reply as one or more HTML pages; the title, in bold, heads each of them."""
    title, *body = plain_blocks(reply)
    title = shorten(title, TITLE_MAX)
    budget = MESSAGE_MAX - utf16_len(title) - COUNTER_MAX - len("\n")
    pages = split_pages(body, budget, length=utf16_len) if body else [""]
    head = html.escape(title)
    out = []
    for number, page in enumerate(pages, 1):
        counter = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        text = f"<b>{head}</b>{counter}"
        if page:
            text += "\n" + html.escape(page, quote=False)
        out.append(text)
    return out
