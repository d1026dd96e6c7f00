"""The website on a real port over the test's core, and what tests read its pages with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import html5lib
import pytest
from html5lib.html5parser import ParseError

from adapters.web.app import WebServer
from adapters.web.feeds import MAX_EVENTS
from bot.core import Core

PUBLIC_URL = "https://fans.example.org"


@dataclass
class Site:
    base: str
    http: aiohttp.ClientSession

    async def get(self, path: str, **kwargs) -> tuple[aiohttp.ClientResponse, str]:
        async with self.http.get(self.base + path, allow_redirects=False, **kwargs) as r:
            return r, await r.text()


async def serve(
    core: Core, public_url: str | None = PUBLIC_URL, max_events: int = MAX_EVENTS
) -> AsyncIterator[Site]:
    server = WebServer(core, "127.0.0.1", 0, public_url, max_events)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Site(f"http://127.0.0.1:{server.port}", http)
    finally:
        await server.stop()


@pytest.fixture
async def site(core: Core) -> AsyncIterator[Site]:
    async for s in serve(core):
        yield s


def parse(html: str):
    """The page as an HTML5 tree; a page that is not valid HTML5 fails the test."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        return parser.parse(html)
    except ParseError as exc:  # pragma: no cover - the message is what matters
        raise AssertionError(f"not valid HTML5: {exc}\n{html[:3000]}") from None


BLOCKS = {
    "p",
    "li",
    "dt",
    "dd",
    "h1",
    "h2",
    "ul",
    "ol",
    "dl",
    "div",
    "header",
    "main",
    "nav",
    "form",
    "footer",
    "button",
    "input",
    "code",
}


def visible_text(tree) -> str:
    """What a reader sees: text outside <style> and <title>, attributes left out."""
    out: list[str] = []

    def walk(el) -> None:
        if el.tag in ("style", "script", "title"):
            return
        if el.text:
            out.append(el.text)
        for child in el:
            walk(child)
            if child.tag in BLOCKS:
                out.append(" ")
            if child.tail:
                out.append(child.tail)

    walk(tree.find("body") if tree.tag == "html" else tree)
    return " ".join("".join(out).split())
