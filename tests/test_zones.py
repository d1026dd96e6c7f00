"""Time zones as fans type them (bot/zones.py): abbreviations checked against tzdata itself."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from bot.app import all_commands
from bot.clock import FixedClock
from bot.core import Core
from bot.zones import ABBREVIATIONS, AMBIGUOUS
from storage import bundle as bundles
from storage.store import Store
from tests.test_reminders_commands import ADMIN, GROUP, say

YEAR = 2025


def _offsets_by_abbreviation() -> dict[str, set[dt.timedelta]]:
    """What tzdata writes for every zone in winter and summer, by abbreviation."""
    seen: dict[str, set[dt.timedelta]] = defaultdict(set)
    for key in zoneinfo.available_timezones():
        for month in (1, 7):
            local = dt.datetime(YEAR, month, 15, 12, tzinfo=dt.UTC).astimezone(ZoneInfo(key))
            seen[local.tzname() or ""].add(local.utcoffset() or dt.timedelta())
    return seen


def _offsets(key: str) -> set[dt.timedelta]:
    return {
        dt.datetime(YEAR, m, 15, 12, tzinfo=dt.UTC).astimezone(ZoneInfo(key)).utcoffset()
        for m in (1, 7)
    }


def test_every_accepted_abbreviation_means_one_offset_all_year() -> None:
    tzdata = _offsets_by_abbreviation()
    for abbreviation, (key, _meaning) in ABBREVIATIONS.items():
        [offset] = _offsets(key)  # the zone it stands for has no summer time
        # wherever tzdata writes the abbreviation, it is that same offset
        assert tzdata.get(abbreviation, {offset}) == {offset}, abbreviation


def test_every_refused_abbreviation_is_ambiguous_in_tzdata() -> None:
    tzdata = _offsets_by_abbreviation()
    for abbreviation, options in AMBIGUOUS.items():
        offsets = set().union(*(_offsets(zone) for zone, _ in options))
        offsets |= tzdata.get(abbreviation, set())
        assert len(offsets) > 1, abbreviation  # several places, or a zone with summer time


@pytest.mark.parametrize(
    ("line", "zone", "said"),
    [
        ("/subscribe 9am KST", "Asia/Seoul", "Asia/Seoul — KST, UTC+09:00 all year"),
        ("/subscribe 20:00 jst V", "Asia/Tokyo", "Asia/Tokyo — JST, UTC+09:00 all year"),
        ("/subscribe 8pm SGT", "Asia/Singapore", "Asia/Singapore — SGT, UTC+08:00"),
        ("/subscribe 7am GMT IU", "UTC", "UTC — UTC+00:00 all year"),
        ("/subscribe 9:00 America/New_York", "America/New_York", "EST, UTC−05:00 now; it"),
    ],
)
async def test_subscribe_reads_an_abbreviation_and_says_the_zone(
    core: Core, store: Store, line: str, zone: str, said: str
) -> None:
    text = await say(core, line)
    assert "Subscribed" in text and said in text, text
    sub = await store.subscriptions.for_chat("telegram", "-100")
    assert sub is not None and sub.zone == zone


@pytest.mark.parametrize(
    ("line", "options"),
    [
        ("/subscribe 9am PST", "America/Los_Angeles (US Pacific) or Asia/Manila (Philippines)"),
        ("/subscribe 9am ist V", "Asia/Kolkata (India)"),
        ("/subscribe EST", "America/New_York (US Eastern)"),
    ],
)
async def test_an_ambiguous_abbreviation_is_refused_with_the_zones_to_use(
    core: Core, store: Store, line: str, options: str
) -> None:
    before = bundles.dump(await store.export_bundle())
    text = await say(core, line)
    assert text.startswith("Sorry") and "names no one zone" in text and options in text, text
    assert await store.subscriptions.for_chat("telegram", "-100") is None
    assert bundles.dump(await store.export_bundle()) == before


@pytest.fixture
def new_york_core(store: Store, clock: FixedClock) -> Core:
    """A bot whose operator set FANBOT_TIMEZONE=America/New_York."""
    return Core(store, clock, all_commands(), zone=ZoneInfo("America/New_York"))


async def test_subscribe_and_preview_default_to_the_bots_zone(
    new_york_core: Core, store: Store
) -> None:
    # 2025-01-24 00:00 UTC is the evening of 23 January in New York.
    preview = await say(new_york_core, "/preview", ADMIN)
    assert "23 January 2025" in preview and "every artist, America/New_York" in preview
    assert "KST" not in preview
    await say(new_york_core, "/subscribe")
    sub = await store.subscriptions.for_chat(GROUP.platform, GROUP.id)
    assert sub is not None and sub.zone == "America/New_York"
