"""A core Reply as Telegram HTML pages: every stored value escaped, each page within 4,096.

Telegram counts a message's length after parsing its entities, so pages are cut on the plain
text (with the core's one splitter) and escaped afterwards: `&amp;` costs one character there.
"""

from __future__ import annotations

import html

from bot.replies import Reply, plain_blocks
from bot.text import shorten, split_pages

MESSAGE_MAX = 4096
PAGE_BUDGET = 3800  # of 4,096: room for the title line and "(2/3)"
TITLE_MAX = 200


def render(reply: Reply) -> list[str]:
    """The reply as one or more HTML pages; the title, in bold, heads each of them."""
    title, *body = plain_blocks(reply)
    pages = split_pages(body, PAGE_BUDGET) if body else [""]
    head = html.escape(shorten(title, TITLE_MAX))
    out = []
    for number, page in enumerate(pages, 1):
        counter = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        text = f"<b>{head}</b>{counter}"
        if page:
            text += "\n" + html.escape(page, quote=False)
        out.append(text)
    return out
