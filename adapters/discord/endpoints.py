"""Points one discord.py Client at another REST base and gateway (a proxy, or the test emulator).

discord.py has no option for either: `Client(connector=, proxy=, http_trace=)` cannot change a
URL. It builds REST URLs from the class attribute `discord.http.Route.BASE` and opens its first
gateway connection at `DiscordWebSocket.DEFAULT_GATEWAY`; setting those would move every client
in the process (two clients, tests, shards of separate bots). So `point_client_at` rewrites the
URLs on the way out of one client only, at the three places discord.py sends them. This is the
one place fanbot leans on discord.py internals; tests/test_discord_endpoints.py fails when
discord.py changes any name used here.
"""

from __future__ import annotations

from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from discord.webhook import async_ as webhook_async


def default_api_base() -> str:
    """The REST base discord.py uses when no other is set."""
    return discord.http.Route.BASE


def _moved(url: str, old: str, new: str) -> str:
    return new + url[len(old) :] if url.startswith(old) else url


class _WebhookAdapter(webhook_async.AsyncWebhookAdapter):
    """Interaction callbacks and webhooks: discord.py sends them outside HTTPClient.request."""

    def __init__(self, api_base: str):
        super().__init__()
        self.api_base = api_base

    async def request(self, route: discord.http.Route, *args: Any, **kwargs: Any) -> Any:
        route.url = _moved(route.url, discord.http.Route.BASE, self.api_base)
        return await super().request(route, *args, **kwargs)


def point_client_at(
    client: discord.Client, api_base: str | None = None, gateway: str | None = None
) -> None:
    """REST calls of `client` go to `api_base`, its gateway connection to `gateway`.

    REST: HTTPClient.request reads `route.url`, so this client's HTTPClient gets a request that
    moves it first. Gateway: every connection goes through HTTPClient.ws_connect(url). Interaction
    callbacks: discord.py looks the webhook adapter up in a ContextVar, set here inside this
    client's connect() task, so only the events of this client see it.
    """
    http = client.http
    if api_base:
        base = api_base.rstrip("/")
        send = http.request

        async def request(route: discord.http.Route, **kwargs: Any) -> Any:
            route.url = _moved(route.url, discord.http.Route.BASE, base)
            return await send(route, **kwargs)

        http.request = request  # type: ignore[method-assign]
        connect = client.connect
        adapter = _WebhookAdapter(base)

        async def connect_here(*, reconnect: bool = True) -> None:
            webhook_async.async_context.set(adapter)
            await connect(reconnect=reconnect)

        client.connect = connect_here  # type: ignore[method-assign]
    if gateway:
        target = yarl.URL(gateway)
        ws_connect = http.ws_connect

        async def ws_connect_here(url: str, **kwargs: Any) -> Any:
            default = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
            parsed = yarl.URL(url)
            if parsed.with_query(None) == default.with_query(None):
                url = str(target.with_query(parsed.query))
            return await ws_connect(url, **kwargs)

        http.ws_connect = ws_connect_here  # type: ignore[method-assign]
