"""The website's aiohttp application and server: routes, the guard around every request,
and starting and stopping beside the bots (`fanbot run`) or alone (`fanbot web`).

Safe and quiet: GET and HEAD only, small requests, no stack trace ever shown (errors are
logged once and answered with a plain page), headers that keep a browser from running or
framing anything, and no access log unless FANBOT_LOG_LEVEL is DEBUG.
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from adapters.web.cli import WebStartError
from adapters.web.feeds import MAX_EVENTS
from adapters.web.site import FEED_CACHE, PAGE_CACHE, Handler, NotFound, Site
from bot.core import Core

log = logging.getLogger(__name__)

MAX_REQUEST = 8 * 1024  # bytes of a request body: the site takes none
MAX_RESPONSE = 8 * 1024 * 1024  # bytes: pages and feeds are cut well below this
ALLOWED = ("GET", "HEAD")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def build_app(
    core: Core, public_url: str | None = None, max_events: int = MAX_EVENTS
) -> web.Application:
    """The application over a core; its routes are the site's readable addresses."""
    site = Site(core, public_url=public_url, boot=secrets.token_hex(4), max_events=max_events)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ALLOWED:
            response = site.render(request, "error.html", http_status=405, code=405)
            response.headers["Allow"] = ", ".join(ALLOWED)
            return _secured(response)
        try:
            response = await handler(request)
        except NotFound as missing:
            response = site.render(
                request,
                "404.html",
                http_status=404,
                what=missing.what,
                asked=missing.asked,
                options=missing.options,
            )
        except (web.HTTPNotModified, web.HTTPRedirection) as answered:
            _secured(answered)
            raise
        except web.HTTPNotFound:
            response = site.render(
                request,
                "404.html",
                http_status=404,
                what="page",
                asked=request.path[:200],
                options=[],
            )
        except web.HTTPException as refused:
            response = site.render(
                request, "error.html", http_status=refused.status, code=refused.status
            )
        except Exception:
            log.exception("the web page %s failed", request.path[:200])
            response = site.render(request, "error.html", http_status=500, code=500)
        if isinstance(response, web.Response) and len(response.body or b"") > MAX_RESPONSE:
            log.error(
                "the web page %s came to more than %d bytes", request.path[:200], MAX_RESPONSE
            )
            response = site.render(request, "error.html", http_status=500, code=500)
        return _secured(response)

    app = web.Application(middlewares=[guard], client_max_size=MAX_REQUEST)
    app.router.add_get("/", site.kept("home", site.home, PAGE_CACHE))
    app.router.add_get("/artist/{name}", site.kept("artist", site.artist, PAGE_CACHE))
    app.router.add_get(r"/fact/{id:\d+}", site.kept("fact", site.fact, PAGE_CACHE))
    app.router.add_get("/search", site.kept("search", site.search, PAGE_CACHE))
    app.router.add_get("/calendar/{name}.ics", site.kept("feed", site.feed, FEED_CACHE))
    return app


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class WebServer:
    """The site on a host and port, in the caller's event loop."""

    name = "web"

    def __init__(
        self,
        core: Core,
        host: str,
        port: int,
        public_url: str | None = None,
        max_events: int = MAX_EVENTS,
    ):
        self.host, self.port = host, port
        self._running = False
        debug = logging.getLogger().isEnabledFor(logging.DEBUG)
        self._runner = web.AppRunner(
            build_app(core, public_url, max_events),
            access_log=logging.getLogger("fanbot.web.access") if debug else None,
            handle_signals=False,
        )

    async def start(self) -> None:
        self._running = True
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise WebStartError(
                f"the website cannot listen on {self.host}:{self.port}: "
                f"{exc.strerror or exc}; set FANBOT_WEB_PORT (or --port) to a free port"
            ) from None
        if self.port == 0 and self._runner.addresses:  # port 0: any free one (tests)
            self.port = self._runner.addresses[0][1]
        log.info("the website is at http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._running:
            self._running = False
            await self._runner.cleanup()
