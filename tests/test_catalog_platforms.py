"""`/catalog add NAME` in chat offers the candidates to choose from, and `/undo musicbrainz`
takes back the sync's change, over the real discord.py and python-telegram-bot stacks talking
to their emulators, with our httpx client talking to the MusicBrainz emulator (all 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from adapters.musicbrainz.client import MusicBrainzClient
from adapters.telegram.choices import data_of
from bot.app import all_commands
from bot.catalog.records import CatalogSetup
from bot.clock import FixedClock
from bot.core import Core
from bot.replies import Choice
from storage.store import Store
from tests.emulators.musicbrainz_api import BTS, MusicBrainzEmulator, _artist, mbid
from tests.telegram_fixtures import ADMIN, FAN, GROUP, running
from tests.test_discord_adapter import (
    CHANNEL,
    GUILD,
    NO_MENTIONS,
    OWNER,
    configured_emulator,
    description,
)
from tests.test_discord_adapter import FAN as DISCORD_FAN
from tests.test_discord_adapter import running as discord_running

FAST = 0.1  # seconds between MusicBrainz requests, client and emulator alike
BAND = "South Korean boy band"  # the real BTS's disambiguation, not the other "BTS"


@pytest.fixture
async def client() -> AsyncIterator[MusicBrainzClient]:
    async with MusicBrainzEmulator(min_interval=FAST) as mb:
        async with MusicBrainzClient(mb.url, "tests@example.org", interval=FAST) as c:
            yield c


async def test_telegram_offers_buttons_that_only_bot_admins_can_press(
    tmp_path: Path, client: MusicBrainzClient
) -> None:
    async with running(tmp_path) as bot:
        bot.core.catalog = CatalogSetup(client)
        bot.tg.inject_message(GROUP, "/catalog add BTS", user_id=ADMIN, chat_type="group")
        offer = await bot.reply_to(GROUP)
        assert offer.ok, offer.description
        rows = offer.params["reply_markup"]["inline_keyboard"]
        assert len(rows) == 2 and all(len(r[0]["callback_data"].encode()) <= 64 for r in rows)
        (bts,) = [r[0] for r in rows if BAND in r[0]["text"]]
        message_id = offer.result["message_id"]

        # A fan pressing gets a refusal only they see; nothing is followed or said in the group.
        bot.tg.inject_callback_query(GROUP, message_id, bts["callback_data"], user_id=FAN)
        refused = await bot.tg.wait_for("answerCallbackQuery")
        assert refused.ok and refused.params["show_alert"] is True
        assert "bot admin" in refused.params["text"].lower()
        bot.tg.set_user_language(FAN, "ko")  # a Korean fan is refused in Korean (issue 17)
        bot.tg.inject_callback_query(GROUP, message_id, bts["callback_data"], user_id=FAN)
        refused = await bot.tg.wait_for("answerCallbackQuery")
        assert refused.params["show_alert"] is True and "봇 관리자" in refused.params["text"]
        await bot.settled()
        assert await bot.store.catalog.followed() == [] and len(bot.sends(GROUP)) == 1

        bot.tg.inject_callback_query(GROUP, message_id, bts["callback_data"], user_id=ADMIN)
        assert (await bot.tg.wait_for("answerCallbackQuery")).ok
        done = await bot.reply_to(GROUP, timeout=30)
        assert done.ok and "Following BTS" in done.result["text"], done.result
        assert [f.mbid for f in await bot.store.catalog.followed()] == [BTS]


async def test_the_telegram_emulator_refuses_callback_data_over_64_bytes(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        send = bot.service.app.bot.send_message
        ok = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="x" * 64)]])
        await send(FAN, "fits", reply_markup=ok)
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="é" * 33)]])
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await send(FAN, "66 bytes", reply_markup=too_long)
    # A choice whose command does not fit gets no button (its line is still in the text).
    assert data_of(Choice("BTS", f"/catalog add {BTS}")) == f"ch:catalog add {BTS}"
    assert data_of(Choice("long", "/catalog add " + "x" * 60)) is None


@pytest.fixture
def discord_core(store: Store) -> Core:
    clock = FixedClock(dt.datetime(2025, 1, 24, tzinfo=dt.UTC))
    return Core(store, clock, all_commands(), admins=frozenset({("discord", str(OWNER))}))


async def test_discord_offers_a_menu_and_a_bot_admin_undoes_the_syncs_change(
    discord_core: Core, store: Store, client: MusicBrainzClient
) -> None:
    discord_core.catalog = CatalogSetup(client)
    where = {"guild_id": GUILD, "channel_id": CHANNEL}
    async with configured_emulator() as emu, discord_running(discord_core, emu, defer_after=60):
        ask = await emu.inject_slash_command(
            "catalog", {"action": "add", "artist": "BTS"}, user_id=OWNER, **where
        )
        offer = await emu.wait_for_callback(ask.id)
        assert offer.allowed_mentions == NO_MENTIONS
        (menu,) = offer.components[0]["components"]
        assert menu["type"] == 3 and len(menu["options"]) == 2
        (bts,) = [o for o in menu["options"] if o.get("description") and BAND in o["description"]]
        original = emu.interaction(ask.id).original
        assert original is not None

        async def pick(user_id: int):
            return await emu.inject_component(
                menu["custom_id"],
                message_id=original.id,
                component_type=3,
                values=[bts["value"]],
                user_id=user_id,
            )

        refused = await emu.wait_for_callback((await pick(DISCORD_FAN)).id)
        assert refused.ephemeral and "bot admin" in description(refused).lower()
        assert await store.catalog.followed() == []

        chosen = await pick(OWNER)
        followed = await emu.wait_for_callback(chosen.id, timeout=30)
        assert followed.embeds[0]["title"] == "Following BTS", description(followed)

        # The sync's latest change (the last release it added) is the admin's to take back.
        latest = (await store.audit.recent(1))[0]
        assert latest.actor.platform == "musicbrainz"
        undo = await emu.inject_slash_command(
            "undo", {"change": "musicbrainz"}, user_id=OWNER, **where
        )
        undone = await emu.wait_for_callback(undo.id)
        assert undone.embeds[0]["title"] == f"Undone: change {latest.id}", description(undone)
        denied = await emu.inject_slash_command(
            "undo", {"change": str(latest.id - 1)}, user_id=DISCORD_FAN, **where
        )
        assert (await emu.wait_for_callback(denied.id)).ephemeral
    fact = await store.facts.fact_any(int(latest.target))
    assert fact is not None and fact.hidden


# Ten artists called "Echo", each described at length: the offer runs past one Telegram message
# (4,096) and one Discord embed page, so it is paged, and its choices must survive the paging.
ECHOES = 10
ECHO_ABOUT = "fixture band whose long disambiguation " + "goes on and on " * 25


@pytest.fixture
async def crowded() -> AsyncIterator[MusicBrainzClient]:
    async with MusicBrainzEmulator(min_interval=FAST) as mb:
        for n in range(ECHOES):
            mb.add(_artist("Echo", "Group", "2015", disambiguation=f"{ECHO_ABOUT}{n}", key=f"e{n}"))
            mb.release_groups[mbid(f"e{n}")] = []
        async with MusicBrainzClient(mb.url, "tests@example.org", interval=FAST) as c:
            yield c


def _choice_rows(markup: dict) -> list[dict]:
    return [
        row[0] for row in markup["inline_keyboard"] if row[0]["callback_data"].startswith("ch:")
    ]


async def test_a_paged_offer_on_telegram_keeps_its_buttons_to_the_last_page(
    tmp_path: Path, crowded: MusicBrainzClient
) -> None:
    async with running(tmp_path) as bot:
        bot.core.catalog = CatalogSetup(crowded)
        bot.tg.inject_message(ADMIN, "/catalog add Echo", user_id=ADMIN)
        offer = await bot.reply_to(ADMIN)
        assert offer.ok, offer.description
        assert "(1/2)" in offer.result["text"].splitlines()[0]
        assert len(_choice_rows(offer.params["reply_markup"])) == ECHOES
        pager = offer.params["reply_markup"]["inline_keyboard"][-1]
        assert pager[-1]["text"] == "Next ▶"
        message_id = offer.result["message_id"]

        bot.tg.inject_callback_query(ADMIN, message_id, pager[-1]["callback_data"], ADMIN)
        last = await bot.tg.wait_for("editMessageText")
        assert last.ok and "(2/2)" in last.result["text"].splitlines()[0]
        rows = _choice_rows(last.params["reply_markup"])  # the page turned, the choices stay
        assert len(rows) == ECHOES
        assert last.params["reply_markup"]["inline_keyboard"][-1][0]["text"] == "◀ Previous"
        assert (await bot.tg.wait_for("answerCallbackQuery")).ok

        # A choice pressed on the last page runs, as on the first.
        bot.tg.inject_callback_query(ADMIN, message_id, rows[-1]["callback_data"], ADMIN)
        assert (await bot.tg.wait_for("answerCallbackQuery")).ok
        done = await bot.reply_to(ADMIN, timeout=30)
        assert done.ok and "Following Echo" in done.result["text"], done.result
        assert [f.mbid for f in await bot.store.catalog.followed()] == [mbid("e9")]


async def test_a_paged_offer_on_discord_keeps_its_menu_on_every_page(
    discord_core: Core, store: Store, crowded: MusicBrainzClient
) -> None:
    discord_core.catalog = CatalogSetup(crowded)
    where = {"guild_id": GUILD, "channel_id": CHANNEL}
    async with configured_emulator() as emu, discord_running(discord_core, emu, defer_after=60):
        ask = await emu.inject_slash_command(
            "catalog", {"action": "add", "artist": "Echo"}, user_id=OWNER, **where
        )
        offer = await emu.wait_for_callback(ask.id)
        original = emu.interaction(ask.id).original
        assert original is not None
        assert "Page 1 of 2" in offer.embeds[0]["footer"]["text"]

        def parts(components: list[dict]) -> tuple[list[dict], dict]:
            items = [c for row in components for c in row["components"]]
            buttons = [c for c in items if c["type"] == 2]
            (menu,) = [c for c in items if c["type"] == 3]
            return buttons, menu

        buttons, menu = parts(offer.components)
        assert len(menu["options"]) == ECHOES
        press = await emu.inject_component(
            buttons[2]["custom_id"], message_id=original.id, user_id=OWNER
        )
        turned = await emu.wait_for_callback(press.id)
        assert turned.type == 7 and "Page 2 of 2" in turned.embeds[0]["footer"]["text"]
        _, menu = parts(turned.components)  # the last page still offers the choice
        assert len(menu["options"]) == ECHOES

        # Anyone may pick (the core decides): a fan is refused, the bot admin follows.
        async def pick(user_id: int):
            return await emu.inject_component(
                menu["custom_id"],
                message_id=original.id,
                component_type=3,
                values=[menu["options"][-1]["value"]],
                user_id=user_id,
            )

        refused = await emu.wait_for_callback((await pick(DISCORD_FAN)).id)
        assert refused.ephemeral and "bot admin" in description(refused).lower()
        followed = await emu.wait_for_callback((await pick(OWNER)).id, timeout=30)
        assert followed.embeds[0]["title"] == "Following Echo", description(followed)
    assert [f.mbid for f in await store.catalog.followed()] == [mbid("e9")]
