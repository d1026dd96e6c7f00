"""Fails when discord.py changes a name that adapters/discord/endpoints.py relies on."""

from __future__ import annotations

import inspect

import discord
import discord.gateway
import discord.http
import yarl
from discord.webhook import async_ as webhook_async


def test_the_discord_py_internals_that_point_client_at_uses_are_still_there() -> None:
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert discord.http.Route("GET", "/users/@me").url == discord.http.Route.BASE + "/users/@me"
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert list(inspect.signature(discord.http.HTTPClient.request).parameters)[:2] == [
        "self",
        "route",
    ]
    assert list(inspect.signature(discord.http.HTTPClient.ws_connect).parameters)[:2] == [
        "self",
        "url",
    ]
    assert list(inspect.signature(webhook_async.AsyncWebhookAdapter.request).parameters)[:2] == [
        "self",
        "route",
    ]
    assert isinstance(webhook_async.async_context.get(), webhook_async.AsyncWebhookAdapter)
    assert "reconnect" in inspect.signature(discord.Client.connect).parameters
