"""/catalog in a Korean chat: every reply and refusal in Korean, the sync's notes too (issue 17).

The catalogue's words are checked as tests/test_korean_everywhere.py checks the fan commands,
over the real MusicBrainz client talking to the emulator on 127.0.0.1. What MusicBrainz says
(names, types, countries, disambiguations, ids) is data and may stay as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.musicbrainz.client import MusicBrainzClient
from bot.app import all_commands
from bot.catalog.records import CatalogSetup
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from bot.replies import Reply, plain_blocks
from storage.store import Store
from tests.emulators.musicbrainz_api import BTS, HANEUL, MusicBrainzEmulator, mbid
from tests.test_korean_admin import ALLOWED, longest_first, typed
from tests.test_korean_everywhere import HANGUL_WORD, data_words, english_left

FAST = 0.05
GROUP = Chat(platform="telegram", id="-100", kind="group", title="아미")
ADMIN = Caller("telegram", "1", "Ada", is_chat_admin=True, language="en")
ALLOWED_HERE = ALLOWED | {"MBID", "env"}  # MusicBrainz's name of its ids; the file .env


@pytest.fixture
async def client() -> AsyncIterator[MusicBrainzClient]:
    async with (
        MusicBrainzEmulator(min_interval=FAST) as mb,
        MusicBrainzClient(mb.url, "tests@example.org", interval=FAST, attempts=2) as c,
    ):
        yield c


async def asked(store: Store, clock: FixedClock, client: MusicBrainzClient, language: str):
    """Every /catalog action, answered and refused, in a chat that chose `language`."""
    core = Core(store, clock, all_commands(), admins=frozenset({("telegram", "1")}))
    assert not (await core.handle_line(f"/language {language}", ADMIN, GROUP)).error
    replies: list[tuple[str, Reply]] = []

    async def say(line: str) -> Reply:
        reply = await core.handle_line(line, ADMIN, GROUP)
        replies.append((line, reply))
        return reply

    await say("/catalog list")
    await say("/catalog add BTS")  # the catalogue is off: no FANBOT_CONTACT
    core.catalog = CatalogSetup(client)
    await say("/catalog add BTS")
    await say("/catalog add")
    await say("/catalog add Zzyzxnobody")
    await say(f"/catalog add {mbid('nobody')}")
    await say(f"/catalog add {BTS}")
    await say(f"/catalog add {HANEUL}")  # shares "Jieun" with IU: a note says so
    v_birth = next(
        f
        for f in await store.facts.facts_about([(await core.resolver.resolve("V")).id])
        if f.detail("what") == "birth"
    )
    await say(f"/edit #{v_birth.id} date 1995-12-29 https://example.org/v")
    await say("/catalog sync")  # a note: the admin's correction is kept
    await say("/catalog list")
    await say("/catalog remove")
    await say("/catalog remove BTS")
    hits = await client.search_artists("BTS")
    data = [w for h in hits for w in (h.name, h.type, h.country, h.disambiguation, h.mbid) if w]
    data += [mbid("nobody"), HANEUL, BTS]
    return replies, [*data, *await data_words(store), "Ada"]


async def test_catalog_answers_a_korean_chat_in_korean(
    store: Store, clock: FixedClock, client: MusicBrainzClient
) -> None:
    replies, data = await asked(store, clock, client, "ko")
    said = {line: "\n".join(plain_blocks(r)) for line, r in replies}
    assert sum(r.error for _, r in replies) >= 5  # the refusals were reached
    assert "참고: #" in said["/catalog sync"] and "1995년 12월 30일" in said["/catalog sync"]
    assert "Jieun" in said[f"/catalog add {HANEUL}"] and "참고:" in said[f"/catalog add {HANEUL}"]
    left: dict[str, list[str]] = {}
    for line, reply in replies:
        assert reply.language == "ko", line
        words = english_left(reply, longest_first([*data, *typed(line)]))
        if words := [w for w in words if w not in ALLOWED_HERE]:
            left[line] = words
            print(line, words, said[line], sep="\n", end="\n\n")
    assert left == {}


async def test_catalog_in_an_english_chat_is_as_it_was(
    store: Store, clock: FixedClock, client: MusicBrainzClient
) -> None:
    replies, data = await asked(store, clock, client, "en")
    said = {line: "\n".join(plain_blocks(r)) for line, r in replies}
    for line, reply in replies:
        assert reply.language == "en", line
        text = said[line]
        for word in longest_first([*data, *typed(line)]):
            text = text.replace(word, " ")
        assert HANGUL_WORD.findall(text) == [], (line, said[line])
    assert "0 facts added, 0 updated" in said["/catalog sync"]
    assert "kept as an admin corrected it" in said["/catalog sync"]
    assert "(30 December 1995)" in said["/catalog sync"]
    assert "No longer following BTS" in said["/catalog remove BTS"]
    assert "MusicBrainz has no artist" in said[f"/catalog add {mbid('nobody')}"]
    assert "FANBOT_CONTACT is not set" in replies[1][1].lines[0].text
