"""Korean and English (issue 17): the catalogue is complete, CLDR formats, and the core answers
in the language the chat, the person or FANBOT_LANGUAGE chose, over the seeded store."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from bot.app import all_commands
from bot.chats.language import language_commands
from bot.commands import ParamKind, command_name, param_name
from bot.context import Caller, Chat
from bot.core import Core
from bot.fact_text import fact_text
from bot.fan.commands import fan_commands
from bot.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    _catalogue,
    normalize,
    parse_duration,
    particles,
    translator,
)
from bot.reminders.commands import reminder_commands
from bot.replies import plain_blocks
from storage.db import latest_version, migrations
from storage.models import PartialDate
from tests.conftest import ask, text_of

ROOT = Path(__file__).resolve().parent.parent
KO_PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "fanbot.po"
# Discord's rule for command, option and choice names (CHAT_INPUT): lowercase where a letter has
# case, 1-32 of letters (Hangul included), digits, - and _.
DISCORD_NAME = re.compile(r"^[-_\w]{1,32}$")
HANGUL = re.compile("[\uac00-\ud7a3]")


def extracted() -> set[tuple[str | None, str]]:
    """Every msgid the code uses, extracted now as `make i18n-extract` does."""
    found = set()
    for folder in ("bot", "adapters"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder,
            method_map=[("web/**", "ignore"), ("**.py", "bot.i18n_extract:extract")],
            keywords={
                "_": None,
                "gettext": None,
                "ngettext": (1, 2),
                "pgettext": ((1, "c"), 2),
                "N_": None,
                "P_": ((1, "c"), 2),
            },
        ):
            found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def compiled_ko():
    """The Korean .po compiled with Babel (fuzzy entries left out, as `make i18n-compile`)."""
    with KO_PO.open("rb") as f:
        catalog = read_po(f, locale="ko")
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return catalog, read_mo(buf)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_korean_catalogue_translates_every_message_the_code_uses() -> None:
    catalog, mo = compiled_ko()
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    used = extracted()
    assert len(used) > 150  # the extraction really read the declarations and calls
    missing = []
    for context, msgid in sorted(used, key=str):
        message = mo.get(msgid, context=context)
        if message is None or not message.string or not all(message.string):
            missing.append((context, msgid))
            continue
        strings = message.string if isinstance(message.string, list | tuple) else [message.string]
        for translated in strings:
            # A placeholder lost or invented in translation would fail at .format() time.
            assert fields(translated) <= fields(msgid), (msgid, translated)
    assert missing == []


def test_every_fan_command_option_and_choice_has_a_korean_name_discord_accepts() -> None:
    ko = translator("ko")
    for command in [*fan_commands(), *reminder_commands(), *language_commands()]:
        names = [command_name(ko, command.name)] + [param_name(ko, p.name) for p in command.params]
        names += [ko.pgettext("choice", c) for p in command.params for c in p.choices]
        for name in names:
            assert DISCORD_NAME.match(name) and name == name.lower(), name
        assert HANGUL.search(command_name(ko, command.name)), command.name
        assert HANGUL.search(ko._(command.help)), command.help
        for p in command.params:
            assert HANGUL.search(ko._(p.help)), p.help
    for command in all_commands():  # admin commands too: their names are in the catalogue
        assert DISCORD_NAME.match(command_name(ko, command.name))


def test_cldr_dates_numbers_durations_and_ordinals() -> None:
    en, ko = translator("en"), translator("ko")
    day = PartialDate(2024, 1, 28)
    assert (en.date(day), ko.date(day)) == ("28 January 2024", "2024년 1월 28일")
    assert (en.date(PartialDate(2024, 1)), ko.date(PartialDate(2024, 1))) == (
        "January 2024",
        "2024년 1월",
    )
    assert (en.count(10_000_000), ko.count(10_000_000)) == ("10 million", "1,000만")
    assert (en.count(120_000_000), ko.count(120_000_000)) == ("120 million", "1.2억")
    assert en.count(12_345) == "12,345"
    span = parse_duration("6 h 55 min")
    assert span == dt.timedelta(hours=6, minutes=55)
    assert ko.duration(span) == "6시간 55분"
    assert en.duration(span) == "6 hrs 55 mins"  # CLDR's short English units (en_001)
    assert [en.anniversary(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st anniversary", "2nd anniversary", "3rd anniversary", "4th anniversary",
        "11th anniversary", "12th anniversary", "13th anniversary", "21st anniversary",
        "22nd anniversary", "101st anniversary",
    ]  # fmt: skip
    assert [ko.anniversary(n) for n in (1, 2, 11)] == ["1주년", "2주년", "11주년"]
    assert (en.nth_day(1000), ko.nth_day(1000)) == ("1,000th day", "1,000일째")
    assert en.zone("Asia/Seoul") == "KST (Asia/Seoul)"
    assert ko.zone("America/New_York") == "미 동부 시간 (America/New_York)"
    assert ko.zone("Asia/Seoul") == "KST(한국 시간)"
    assert ko.ngettext("{n} year ago today", "{n} years ago today", 2) == "{n}년 전 오늘"


def test_korean_particles_follow_the_name_before_them() -> None:
    cases = {
        "뷔은(는)": "뷔는", "정국은(는)": "정국은", "정국이(가)": "정국이", "뷔이(가)": "뷔가",
        "V은(는)": "V는", "V이(가)": "V가", "BTS을(를)": "BTS를", "RM은(는)": "RM은",
        "“Zzyzx”(이)라는": "“Zzyzx”라는", "“지민”(이)라는": "“지민”이라는",
        "Jimin은(는)": "Jimin은", "Taehyung이(가)": "Taehyung이", "Love wins all을(를)":
        "Love wins all을", "서울(으)로": "서울로", "부산(으)로": "부산으로", "뷔와(과)": "뷔와",
        "정국와(과)": "정국과", "999이(가)": "999가", "10은(는)": "10은", "3이(가)": "3이",
        "“?”은(는)": "“?”은(는)",  # a symbol cannot be read: both forms stay
    }  # fmt: skip
    assert {k: particles(k) for k in cases} == cases
    assert particles("add(추가), 사실 #12은(는)") == "add(추가), 사실 #12는"
    assert (
        translator("ko")
        .fill("“{name}” could be several people: {options}. Which one?", name="V", options="V, 뷔")
        .startswith("“V”는 여러")
    )
    assert translator("en").fill("{n}은(는)", n="V") == "V은(는)"  # English is left as written


def test_a_missing_or_stale_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    folder = tmp_path / "ko" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "fanbot.po"
    po.write_bytes(KO_PO.read_bytes())
    assert _catalogue("ko", tmp_path).gettext("Sorry") == "죄송합니다"  # no .mo at all
    with po.open("rb") as f:
        catalog = read_po(f, locale="ko")
    catalog.get("Sorry").string = "미안합니다"
    with (folder / "fanbot.mo").open("wb") as f:
        write_mo(f, catalog)
    os.utime(folder / "fanbot.mo", (1, 1))  # older than the .po: a translator edited the .po
    assert _catalogue("ko", tmp_path).gettext("Sorry") == "죄송합니다"
    os.utime(folder / "fanbot.mo", None)  # fresh: the compiled catalogue is used
    assert _catalogue("ko", tmp_path).gettext("Sorry") == "미안합니다"


def test_platform_language_tags() -> None:
    assert [normalize(t) for t in ("ko", "ko-KR", "EN_us", "en-GB", "ja", "", None)] == [
        "ko", "ko", "en", "en", None, None, None,
    ]  # fmt: skip
    assert set(LANGUAGES) == {"en", "ko"}


def test_migrations_may_leave_gaps_and_the_schema_is_the_highest() -> None:
    numbers = [n for n, _, _ in migrations()]
    assert 30 in numbers and numbers == sorted(set(numbers))
    assert latest_version() == numbers[-1]


KOREAN_FAN = Caller(platform="console", user_id="fan", name="팬", language="ko-KR")
ENGLISH_FAN = Caller(platform="console", user_id="fan", name="fan", language="en")
NO_LANGUAGE = Caller(platform="console", user_id="fan", name="fan")


@pytest.fixture
def korean_core(core: Core) -> Core:
    """The core as FANBOT_LANGUAGE=ko builds it."""
    core.language = "ko"
    return core


async def test_fanbot_language_ko_answers_milestone_in_korean(korean_core: Core) -> None:
    reply = await ask(korean_core, "/milestone 뷔", NO_LANGUAGE)
    assert reply.title == "뷔의 기록" and reply.language == "ko"
    text = "\n".join(plain_blocks(reply))
    assert (
        "2024년 1월 28일 · 뷔의 인스타그램 게시물이 6시간 55분 만에 좋아요 1,000만 개를 달성"
        in text
    )
    assert '출처:\n[1] "King and Queen"' in text  # the source's title stays as published
    assert text.endswith("날짜는 KST(한국 시간) 기준입니다.")


async def test_the_persons_language_over_fanbot_language(core: Core) -> None:
    korean = await ask(core, "/milestone V", KOREAN_FAN)
    english = await ask(core, "/milestone V", ENGLISH_FAN)
    default = await ask(core, "/milestone V", NO_LANGUAGE)
    assert korean.title == "뷔의 기록"  # a kept English answer is not served to a Korean reader
    assert english.title == default.title == "Milestones of V"
    assert "V's Instagram post with IU reached 10 million likes in 6 h 55 min" in text_of(english)


async def test_the_chats_choice_over_the_persons_language(core: Core) -> None:
    group = Chat(platform="telegram", id="-100", kind="group", title="ARMY")
    admin = Caller(platform="telegram", user_id="1", name="admin", is_chat_admin=True)
    fan = Caller(platform="telegram", user_id="2", name="fan", language="ko")
    refused = await core.handle_line("/language en", fan, group)
    assert refused.error and "채팅 관리자만" in text_of(refused)  # in the fan's own language
    assert await core.store.chats.get("telegram", "-100") is None  # nothing written
    done = await core.handle_line("/language en", admin, group)
    assert done.title == "Language set" and "English, for everyone here" in text_of(done)
    assert (await core.handle_line("/status V", fan, group)).title == "Status of V"
    listed = text_of(await core.handle_line("/subscriptions", fan, group))
    assert "Language: English, for everyone here." in listed
    assert (await core.handle_line("/language ko", admin, group)).title == "언어 설정됨"
    english_fan = Caller(platform="telegram", user_id="3", name="fan", language="en")
    assert (await core.handle_line("/status V", english_fan, group)).title == "뷔의 근황"
    auto = await core.handle_line("/language auto", admin, group)
    assert "each person's own" in text_of(auto)
    assert (await core.handle_line("/status V", english_fan, group)).title == "Status of V"
    assert (await core.handle_line("/status V", fan, group)).title == "뷔의 근황"
    bad = await core.handle_line("/language fr", admin, group)
    assert bad.error and "auto" in text_of(bad)


async def test_korean_errors_and_usage(korean_core: Core) -> None:
    missing = await ask(korean_core, "/milestone", NO_LANGUAGE)
    assert missing.title == "죄송합니다" and missing.usage == "/milestone 누구…"
    assert "사용법: /milestone 누구…" in plain_blocks(missing)
    unknown = await ask(korean_core, "/milestnoe V", NO_LANGUAGE)
    assert "/milestnoe 명령어는 없습니다" in text_of(unknown)
    assert "혹시 이것인가요: /milestone?" in text_of(unknown)
    nobody = await ask(korean_core, "/milestone Zzyzx", NO_LANGUAGE)
    assert "“Zzyzx”라는 사람을 모릅니다." in text_of(nobody)  # the particle Zzyzx takes
    too_far = await ask(korean_core, "/upcoming 999", NO_LANGUAGE)
    assert "일수 값은 999가 아니라 1~366 사이여야 합니다." in text_of(too_far)  # its Korean name
    assert "사용법: /upcoming [일수]" in plain_blocks(too_far)
    extra = await ask(korean_core, "/today 2025-01-24 extra", NO_LANGUAGE)
    assert "값을 하나만 받습니다" in text_of(extra)


def sample(param) -> str:
    return {
        ParamKind.SUBJECT: "BTS",
        ParamKind.DATE: "2025-01-24",
        ParamKind.INTEGER: "30",
        ParamKind.FACT: "4",
        ParamKind.CHOICE: param.choices[0] if param.choices else "x",
    }.get(param.kind, "Love wins all")


ENGLISH_TEMPLATE_WORDS = re.compile(
    r"\b(Milestones|Releases|Status of|Dates are|Sources|Coming up|On this day|Search|Usage|"
    r"Sorry|anniversary|Welcome|Fact #|Daily reminders|No )\b"
)


async def test_every_fan_command_in_korean_leaves_no_english_template_text(
    korean_core: Core,
) -> None:
    for command in [*fan_commands(), *language_commands()]:
        line = " ".join([f"/{command.name}", *(sample(p) for p in command.params if p.required)])
        reply = await ask(korean_core, line, NO_LANGUAGE)
        # The words of the data (summaries of events, sources' titles) stay as stored; the
        # template text around them (titles, labels, footers) is Korean.
        frame = [reply.title, reply.footer or "", *(f.name for f in reply.fields)]
        if reply.error or command.name == "language":
            frame += [line.text for line in reply.lines]
        assert not ENGLISH_TEMPLATE_WORDS.search(" ".join(frame)), (line, frame)
        assert HANGUL.search(reply.title), line
        english = await ask(korean_core, line, ENGLISH_FAN)
        assert not HANGUL.search(english.title), (line, english.title)


async def test_the_english_template_sentence_for_a_fact_without_a_summary(core: Core) -> None:
    fact = await core.store.facts.fact(4)
    assert fact is not None
    en, ko = translator("en"), translator("ko")
    assert fact_text(fact, en).startswith("V's Instagram post with IU reached 10 million likes")
    built = fact_text(fact.__class__(**{**vars(fact), "summary": ""}), en)
    assert built.startswith("V's Instagram post reached 10 million likes in 6 hrs 55 mins")
    assert fact_text(fact, ko, {fact.subjects[0].id: "뷔"}).startswith(
        "뷔의 인스타그램 게시물이 6시간 55분 만에 좋아요 1,000만 개를 달성"
    )
