"""One whole add → edit → undo flow per platform, through the real platform stacks.

Discord: the add command opens a modal form (discord.py against the emulator on 127.0.0.1).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.admin.forms import form_fields
from bot.app import all_commands
from bot.clock import FixedClock
from bot.core import Core
from storage import bundle as bundles
from storage.store import Store
from tests.test_discord_adapter import (
    CHANNEL,
    FAN,
    GUILD,
    NO_MENTIONS,
    OWNER,
    configured_emulator,
    description,
    running,
)

SOURCE = "https://www.soompi.com/article/lwa-100m"
SUMMARY = "Love wins all music video reached 100 million views"


@pytest.fixture
def discord_core(store: Store) -> Core:
    clock = FixedClock(dt.datetime(2025, 1, 24, tzinfo=dt.UTC))
    return Core(store, clock, all_commands(), admins=frozenset({("discord", str(OWNER))}))


async def test_discord_modal_add_then_edit_undo_history(discord_core: Core, store: Store) -> None:
    where = {"guild_id": GUILD, "channel_id": CHANNEL}
    async with configured_emulator() as emu, running(discord_core, emu):
        # A plain member is refused, privately, before any form opens, and nothing changes.
        before = bundles.dump(await store.export_bundle())
        denied = await emu.inject_slash_command("addmilestone", {"who": "IU"}, user_id=FAN, **where)
        form = await emu.wait_for_callback(denied.id)
        assert form.type == 4  # refused at once: no form to fill in first
        assert form.ephemeral and "Only bot admins or editors" in description(form)
        assert bundles.dump(await store.export_bundle()) == before

        # The admin opens the form with some options typed, fills in the rest, submits.
        rec = await emu.inject_slash_command(
            "addmilestone", {"who": "IU", "value": 100000000}, user_id=OWNER, **where
        )
        modal = await emu.wait_for_callback(rec.id)
        assert modal.type == 9
        inputs = {row["components"][0]["custom_id"] for row in modal.data["components"]}
        assert {"fanbot:who", "fanbot:date", "fanbot:summary", "fanbot:source"} <= inputs
        # The modal is the core's form description (bot.admin.forms), its first five questions.
        labels = [row["components"][0]["label"] for row in modal.data["components"]]
        command = discord_core.registry.get("addmilestone")
        assert command is not None
        assert labels == [f.label.capitalize() for f in form_fields(command)[:5]]
        submit = await emu.inject_modal_submit(
            modal.data["custom_id"],
            {
                "fanbot:who": "IU",
                "fanbot:date": "2024-02-01",
                "fanbot:summary": SUMMARY,
                "fanbot:source": SOURCE,
                "fanbot:platform": "YouTube",
            },
            user_id=OWNER,
            **where,
        )
        added = await emu.wait_for_callback(submit.id)
        assert added.embeds[0]["title"].startswith("Added #"), description(added)
        assert added.allowed_mentions == NO_MENTIONS
        fact_id = int(added.embeds[0]["title"].removeprefix("Added #"))
        fact = await store.facts.fact(fact_id)
        assert fact is not None and fact.details == {"platform": "YouTube", "value": 100000000}

        # Anyone's /milestone IU answers it.
        ask = await emu.inject_slash_command("milestone", {"who": "iu"}, user_id=FAN, **where)
        answer = await emu.wait_for_callback(ask.id)
        assert SUMMARY in description(answer)

        options = {"fact": f"#{fact_id}", "field": "date", "value": "2024-02-02", "source": SOURCE}
        edit = await emu.inject_slash_command("edit", options, user_id=OWNER, **where)
        edited = await emu.wait_for_callback(edit.id)
        assert edited.embeds[0]["title"] == f"Changed #{fact_id}", description(edited)
        undo = await emu.inject_slash_command("undo", user_id=OWNER, **where)
        undone = await emu.wait_for_callback(undo.id)
        assert undone.embeds[0]["title"].startswith("Undone"), description(undone)

        show = await emu.inject_slash_command(
            "history", {"fact": str(fact_id)}, user_id=FAN, **where
        )
        history = description(await emu.wait_for_callback(show.id))
    who = f"owner (discord {OWNER})"
    assert f"{who}: added #{fact_id}" in history
    assert f"{who}: changed fact #{fact_id} (date: 2024-02-01 → 2024-02-02" in history
    assert f"{who}: undid change" in history and "2025-01-24 09:00 KST" in history
    fact = await store.facts.fact(fact_id)
    assert fact is not None and fact.date.iso() == "2024-02-01"
