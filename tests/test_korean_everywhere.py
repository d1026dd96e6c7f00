"""Every fan and reminders command in a Korean chat leaves no English template text (issue 17).

A group set to `/language ko` by its admin (whose own app is in English) asks each command,
its empty answers and its refusals too, over the seeded store plus BTS imported from the
MusicBrainz emulator (births, debuts). What may stay in Latin letters is what the data says
(names, aliases, summaries, stories, sources' titles, the reason a platform gave), URLs,
command lines, zone names and the few proper nouns listed below; any other Latin word left
in a reply is an English string that missed the catalogue, and fails the test.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from adapters.console import ConsoleNotifier
from adapters.musicbrainz.client import MusicBrainzClient
from bot.app import all_commands
from bot.catalog.commands import birthday
from bot.catalog.sync import sync_artist
from bot.chats.language import language_commands
from bot.clock import FixedClock
from bot.context import Caller, Chat
from bot.core import Core
from bot.fan.commands import fan_commands
from bot.reminders.commands import reminder_commands
from bot.replies import Reply, plain_blocks
from bot.zones import ABBREVIATIONS, AMBIGUOUS
from storage.store import Store
from tests.emulators.musicbrainz_api import BTS, MusicBrainzEmulator

PUBLIC_URL = "https://fans.example"
GROUP = Chat(platform="telegram", id="-100", kind="group", title="아미")
ADMIN = Caller(platform="telegram", user_id="1", name="admin", is_chat_admin=True, language="en")
GONE = "Telegram answered 403: bot was kicked from the group chat"  # a platform's own words

# Each command as a Korean chat asks it: answers, empty answers and refusals.
ASKED: dict[str, list[str]] = {
    "help": ["/help", "/help milestone", "/help subscribe", "/help nosuchcommand"],
    "start": ["/start"],
    "milestone": ["/milestone 뷔", "/milestone BTS", "/milestone 아이유", "/milestone Zzyzx"],
    "release": ["/release IU", "/release Love wins all", "/release RM", "/release Lve wins"],
    "status": ["/status BTS", "/status V", "/status IU"],
    "today": ["/today 2025-01-24", "/today 2025-01-25", "/today 2025-02-30"],
    "upcoming": ["/upcoming", "/upcoming 366", "/upcoming 1", "/upcoming 999"],
    "search": ["/search 좋아요", "/search instagram likes", "/search zzzzzz"],
    "sources": ["/sources 4", "/sources 7", "/sources 1", "/sources 99999"],
    "birthday": ["/birthday BTS", "/birthday 뷔", "/birthday IU"],
    "calendar": ["/calendar", "/calendar BTS", "/calendar 뷔, IU"],
    "subscriptions": ["/subscriptions"],
    "preview": ["/preview 2025-01-24", "/preview 2025-01-25", "/preview 2025-12-30"],
    "subscribe": [
        "/subscribe",
        "/subscribe 8pm America/New_York V, IU",
        "/subscribe 9am PST",
        "/subscribe 9am Asia/Tokio",
        "/subscribe 25:00",
        "/subscribe 9:00 UTC Nobodyatall",
        "/subscriptions",
        "/preview 2025-01-24",
        "/preview 2025-12-29",
    ],
    "unsubscribe": ["/unsubscribe", "/unsubscribe", "/preview 2025-01-24"],
    "language": ["/language ko", "/language fr"],
}

# Latin words a Korean reply may hold besides the data: proper nouns, words Korean writes in
# Latin letters (EP, D-day), zone abbreviations, and the choices people type (ko, en, auto).
NAMES = {"fanbot", "Google", "Apple", "Outlook", "URL", "webcal", "EP", "D-day"}
NAMES |= {*ABBREVIATIONS, *AMBIGUOUS}  # KST, UTC, EST…
NAMES |= {c for cmd in all_commands() for p in cmd.params for c in p.choices}
URL = re.compile(r"\b(?:https?|webcal)://\S+")
COMMAND_LINE = re.compile(r"/[a-z_]+(?: [a-z]+)*|`[^`]+`")  # /milestone, `fanbot discord sync`
ZONE = re.compile(r"\b[A-Z][A-Za-z_]+/[A-Za-z_/]+")  # Asia/Seoul, America/New_York
SETTING = re.compile(r"\bFANBOT_[A-Z_]+")
TIME_TYPED = re.compile(r"\b\d{1,2}(?:am|pm)\b")  # 8pm, as a help line shows it typed
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]")  # two letters or more
# Details that are the data's own words (a story, a scope, a title), not a word of fanbot's.
FREE_TEXT_DETAILS = {"title", "what", "note", "scope", "unit", "honours", "featured"}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


async def data_words(store: Store) -> list[str]:
    """Every text the store holds that a reply may quote as it is, longest first."""
    bundle = await store.export_bundle()
    found = {GONE}
    for subject in bundle.subjects:
        found |= {subject.name, *subject.aliases}
    for fact in bundle.facts:
        found.add(fact.summary)
        for source in fact.sources:
            found |= {s for s in (source.title, source.publisher) if s}
        for key, value in fact.details.items():
            if key in FREE_TEXT_DETAILS:
                found |= set(strings(value))
    return sorted((w for w in found if w), key=len, reverse=True)


def english_left(reply: Reply, data: list[str]) -> list[str]:
    """The Latin words of a reply that are neither data nor an allowed name."""
    text = URL.sub(" ", "\n".join(plain_blocks(reply)))  # before a data word cuts one up
    for word in data:  # whole words only: "V" is a name, not the V of a "Video"
        text = re.sub(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", " ", text)
    for pattern in (URL, SETTING, ZONE, COMMAND_LINE, TIME_TYPED):
        text = pattern.sub(" ", text)
    return [w for w in LATIN_WORD.findall(text) if w not in NAMES]


@pytest.fixture
async def korean_chat(store: Store, clock: FixedClock) -> AsyncIterator[Core]:
    """A core with /calendar set up, BTS and its members imported, the group set to Korean."""
    core = Core(store, clock, all_commands(PUBLIC_URL))
    async with (
        MusicBrainzEmulator(min_interval=0.05) as mb,
        MusicBrainzClient(mb.url, "tests@example.org", interval=0.05) as client,
    ):
        await sync_artist(store, client, BTS, clock.now(), core.zone)
    done = await core.handle_line("/language ko", ADMIN, GROUP)
    assert done.title == "언어 설정됨"
    yield core


def covered() -> set[str]:
    commands = [*fan_commands(), birthday, *reminder_commands(), *language_commands()]
    return {c.name for c in commands} | {"calendar"}


async def test_every_fan_and_reminders_command_answers_a_korean_chat_in_korean(
    korean_chat: Core, store: Store
) -> None:
    assert set(ASKED) == covered()  # a new fan or reminders command needs its lines here
    data = await data_words(store)
    left: dict[str, list[str]] = {}
    for lines in ASKED.values():
        for line in lines:
            reply = await korean_chat.handle_line(line, ADMIN, GROUP)
            assert reply.language == "ko", line
            typed = line.replace(",", " ").split()[1:]  # what the person typed is theirs
            if words := english_left(reply, [*data, *typed]):
                left[line] = words
                print(line, words, "\n".join(plain_blocks(reply)), sep="\n", end="\n\n")
    assert left == {}


async def test_a_korean_preview_names_each_artist_by_their_korean_name(korean_chat: Core) -> None:
    reply = await korean_chat.handle_line("/preview 2025-12-30", ADMIN, GROUP)
    text = "\n".join(plain_blocks(reply))
    assert reply.title == "오늘, 2025년 12월 30일" and "뷔 생일 축하해요!" in text, text
    assert "V 생일" not in text and "V," not in text


HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")
OWN_NAMES = {"한국어"}  # a language is offered under its own name: "ko (한국어)"


async def test_the_same_commands_in_an_english_chat_leave_no_korean_template_text(
    korean_chat: Core, store: Store
) -> None:
    assert (await korean_chat.handle_line("/language en", ADMIN, GROUP)).title == "Language set"
    data = [*await data_words(store), *OWN_NAMES]
    left: dict[str, list[str]] = {}
    for name, lines in ASKED.items():
        for line in lines if name != "language" else ():  # /language ko would switch it
            reply = await korean_chat.handle_line(line, ADMIN, GROUP)
            assert reply.language == "en", line
            text = "\n".join(plain_blocks(reply))
            for word in [*data, *line.split()]:
                text = text.replace(word, " ")
            if found := HANGUL_WORD.findall(text):
                left[line] = found
    assert left == {}


async def test_a_paused_subscription_is_described_in_korean(
    korean_chat: Core, store: Store
) -> None:
    await korean_chat.handle_line("/subscribe 9am KST V", ADMIN, GROUP)
    await store.chats.gone("telegram", GROUP.id, GONE)
    reply = await korean_chat.handle_line("/subscriptions", ADMIN, GROUP)
    text = "\n".join(plain_blocks(reply))
    assert f"일시 중지됨: {GONE}." in text
    assert english_left(reply, await data_words(store)) == []


def test_the_check_finds_an_english_template_left_in_a_korean_reply() -> None:
    """The detector itself: a Korean frame passes, an English line in it does not."""
    data = ["V's Instagram post with IU reached 10 million likes in 6 h 55 min", "뷔", "V"]
    korean = Reply(title="뷔의 기록", footer="날짜는 KST(한국 시간) 기준. /today", language="ko")
    assert english_left(korean, data) == []
    from bot.replies import Line

    mixed = Reply(
        title="생일: 뷔",
        lines=(Line("V's birthday — D-340"), Line(data[0])),
        footer="https://fans.example/calendar/v.ics Asia/Seoul FANBOT_PUBLIC_URL",
        language="ko",
    )
    assert english_left(mixed, data) == ["birthday"]


async def test_the_console_labels_a_korean_daily_post_in_korean() -> None:
    out = io.StringIO()
    await ConsoleNotifier(out).send_page("console", Reply(title="오늘", language="ko"), "k")
    await ConsoleNotifier(out).send_page("console", Reply(title="Today", language="en"), "k")
    assert out.getvalue().split("\n\n") == ["\n[매일 알림] 오늘", "\n[daily post] Today", ""]
