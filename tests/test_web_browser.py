"""The website in a real browser: headless Chromium (Debian's `chromium` package) loads the
home, an artist and a fact page at phone and desktop widths over the DevTools protocol,
checks that nothing scrolls sideways at 375 px, and saves screenshots to test-artifacts/web/.

Skipped, saying so, where Chromium is not installed (`apt-get install chromium`; .ci/run
installs it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.settings import PROJECT_ROOT
from tests.web_fixtures import Site, site

__all__ = ["site"]  # the fixture

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "web"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium): "
    "the browser test of the website is skipped",
)
WIDTHS = {"phone": (375, 812, True), "desktop": (1280, 900, False)}


class Tab:
    """One page target over the DevTools protocol: commands answered, events awaited."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.session: str | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._events: dict[str, asyncio.Future] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            elif (waiter := self._events.pop(data.get("method", ""), None)) is not None:
                waiter.set_result(data.get("params"))

    async def send(self, method: str, **params: Any) -> dict:
        number = next(self._ids)
        self._waiting[number] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(self._waiting[number], 30)
        assert "error" not in answer, answer
        return answer["result"]

    def expect(self, event: str) -> asyncio.Future:
        self._events[event] = asyncio.get_running_loop().create_future()
        return self._events[event]

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Tab]:
    assert CHROMIUM is not None
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={tmp_path / 'chromium'}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = ""
        while not url:  # Chromium says where its DevTools listen: the event that it is up
            line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
            assert line, "Chromium ended before its DevTools listened"
            if line.startswith("DevTools listening on "):
                url = line.split(" on ", 1)[1].strip()
        drain = asyncio.create_task(proc.stderr.read())
        async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:
            tab = Tab(ws)
            target = await tab.send("Target.createTarget", url="about:blank")
            attached = await tab.send(
                "Target.attachToTarget", targetId=target["targetId"], flatten=True
            )
            tab.session = attached["sessionId"]
            await tab.send("Page.enable")
            try:
                yield tab
            finally:
                await tab.close()
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_pages_fit_a_phone_and_a_desktop(browser: Tab, site: Site, width: str) -> None:
    wide, high, mobile = WIDTHS[width]
    await browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=wide,
        height=high,
        deviceScaleFactor=1,
        mobile=mobile,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("home", "/"), ("artist", "/artist/v"), ("fact", "/fact/4")):
        loaded = browser.expect("Page.loadEventFired")
        await browser.send("Page.navigate", url=site.base + path)
        await asyncio.wait_for(loaded, 30)
        sizes = await browser.send(
            "Runtime.evaluate",
            expression="[document.documentElement.scrollWidth, window.innerWidth,"
            " document.body.innerText.length]",
            returnByValue=True,
        )
        scroll, inner, text = sizes["result"]["value"]
        assert inner == wide
        assert scroll <= inner, f"{path} scrolls sideways at {wide} px ({scroll} px wide)"
        assert text > 200  # the page has its content, read without any script of its own
        shot = await browser.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True
        )
        (ARTIFACTS / f"{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))
