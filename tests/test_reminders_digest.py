"""What a day means: anniversaries, day counts, countdowns, status changes, and nothing.

Facts are added through the admin commands over the seeded SQLite store; digests come from
the same code the scheduler posts with, and from `fanbot reminders preview` as operators run it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bot.context import Caller, Chat
from bot.core import Core
from bot.fact_text import sentence
from bot.i18n import translator
from bot.reminders.digest import DayItems, celebrations, day_items, digest
from bot.reminders.timing import due_at, next_due
from storage.models import BIRTH, DEBUT, Fact, FactKind, PartialDate, Source, SubjectRef
from tests.conftest import text_of
from tests.test_cli import run

ROOT = Caller("console", "root-admin", "Root")
CONSOLE = Chat("console", "console")


async def on(core: Core, day: str, subjects: tuple[int, ...] | None = None) -> str:
    items = await day_items(core.store.facts, dt.date.fromisoformat(day))
    reply = digest(items, subjects, "KST (Asia/Seoul)")
    return "" if reply is None else text_of(reply)


async def add(core: Core, line: str) -> None:
    reply = await core.handle_line(line, ROOT, CONSOLE)
    assert not reply.error, text_of(reply)


async def test_seed_anniversaries(core: Core) -> None:
    text = await on(core, "2025-01-24")
    assert "1 year ago today: IU released her pre-release single Love wins all" in text
    assert "Sources:" in text
    text = await on(core, "2026-01-28")
    assert "2 years ago today: V's Instagram post with IU reached 10 million likes" in text
    assert await on(core, "2025-01-25") == ""  # nothing that day: no post


async def test_a_leap_day_is_remembered_on_28_february_in_other_years(core: Core) -> None:
    await add(core, '/addevent IU 2024-02-29 "IU held a leap-day fan meeting" https://a.com/1')
    assert "1 year ago today: IU held a leap-day" in await on(core, "2025-02-28")
    assert "leap-day" not in await on(core, "2025-03-01")
    assert "4 years ago today: IU held a leap-day" in await on(core, "2028-02-29")
    assert "leap-day" not in await on(core, "2028-02-28")


async def test_a_fact_known_only_to_the_month_or_year_makes_no_yearly_post(core: Core) -> None:
    await add(core, '/addevent V 2024-03 "V wrote a letter" https://a.com/2')
    await add(core, '/addevent V 2023 "V read a book" https://a.com/3')
    for day in ("2025-03-01", "2025-03-31", "2024-01-01", "2025-01-01"):
        assert "letter" not in await on(core, day) and "book" not in await on(core, day)


async def test_day_counts_as_fans_count_them(core: Core) -> None:
    # Love wins all came out on 24 January 2024: that day is day 1.
    assert "The 100th day since: IU released the Love wins all music video" in await on(
        core, "2024-05-02"
    )
    assert "The 1,000th day since" in await on(core, "2026-10-19")
    assert "day since" not in await on(core, "2024-05-01")
    # Records are not day-counted (only releases, statuses and events are).
    assert "day since: V's Instagram post" not in await on(core, "2024-05-06")


async def test_countdowns_and_a_status_that_ends_on_the_day(core: Core) -> None:
    await add(core, '/addrelease IU 2025-06-01 "A Flu" https://a.com/4 single')
    await add(core, '/addstatus V 2023-12-11 "military service" https://a.com/5 2025-06-10')
    expected = {
        "2025-02-21": "D-100: IU released A Flu",
        "2025-05-02": "D-30: IU released A Flu",
        "2025-05-25": "D-7",
        "2025-05-31": "D-1",
        "2025-06-01": "D-day: IU released A Flu",
    }
    for day, text in expected.items():
        assert text in await on(core, day), day
    assert "A Flu" not in await on(core, "2025-05-30")
    assert "D-7: V's military service is expected to end on 10 June 2025" in await on(
        core, "2025-06-03"
    )
    back = await on(core, "2025-06-10")
    assert "V is back today: military service ends, active again from today" in back


async def test_a_subscription_gets_only_its_artists(core: Core) -> None:
    iu = (await core.resolver.resolve("IU")).id
    bts = (await core.resolver.resolve("BTS")).id
    members = {m.id for m in (await core.store.facts.subjects([bts]))[0].members}
    assert "IU released" in await on(core, "2025-01-24", (iu,))
    only_bts = await on(core, "2025-01-28", (bts, *members))
    # RM's only fact that day is a status the article saw ("as of"): shown, never celebrated.
    assert "V's Instagram post" in only_bts and "RM" not in only_bts
    v_and_iu = await on(core, "2025-01-24", (bts, *members))
    assert "music video, featuring V" in v_and_iu  # it concerns V, a member of BTS
    assert "pre-release single" not in v_and_iu  # IU's alone


def test_clock_changes_give_one_due_instant_a_day() -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    skipped = due_at(dt.date(2028, 3, 12), dt.time(2, 30), ny)
    assert skipped.astimezone(ny).strftime("%H:%M") == "03:00"  # right after the gap
    repeated = due_at(dt.date(2028, 11, 5), dt.time(1, 30), ny)
    assert repeated == dt.datetime(2028, 11, 5, 5, 30, tzinfo=dt.UTC)  # the first 01:30 (EDT)
    day, when = next_due(repeated, dt.time(1, 30), ny)
    assert day == dt.date(2028, 11, 6)  # not the second 01:30 of the 5th
    seoul = due_at(dt.date(2025, 1, 24), dt.time(9, 0), ZoneInfo("Asia/Seoul"))
    assert seoul == dt.datetime(2025, 1, 24, 0, 0, tzinfo=dt.UTC)


def test_fanbot_reminders_preview(tmp_path: Path) -> None:
    first = run(["reminders", "preview", "--date", "2025-01-24"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "1 year ago today: IU released her pre-release single Love wins all" in first.stdout
    record = run(["reminders", "preview", "--date", "2025-01-28"], tmp_path)
    assert "1 year ago today: V's Instagram post with IU reached 10 million likes" in record.stdout
    nothing = run(["reminders", "preview", "--date", "2025-01-25"], tmp_path)
    assert nothing.returncode == 0 and "Nothing falls on 25 January 2025" in nothing.stdout
    bad = run(["reminders", "preview", "--date", "2025-02-30"], tmp_path)
    assert bad.returncode != 0 and "not a date" in bad.stderr and "Traceback" not in bad.stderr


async def test_status_is_active_from_the_expected_discharge(core: Core, clock) -> None:
    await add(core, '/addstatus V 2024-06-01 "military service" https://a.com/6 2025-06-10')
    clock.set(dt.datetime(2025, 6, 9, 3, 0, tzinfo=dt.UTC))
    before = text_of(await core.handle_line("/status V", ROOT, CONSOLE))
    assert "military service" in before and "expected back 10 June 2025" in before
    clock.set(dt.datetime(2025, 6, 10, 3, 0, tzinfo=dt.UTC))  # noon KST on the day
    after = text_of(await core.handle_line("/status V", ROOT, CONSOLE))
    assert "active again since 10 June 2025 (after military service)" in after


def _event(fid: int, what: str, date: str, who: str, **details: str) -> Fact:
    return Fact(
        id=fid,
        key=f"mb-{what}-{fid}",
        kind=FactKind.EVENT,
        summary=f"{who} was born" if what == BIRTH else f"{who} debuted",
        date=PartialDate.parse(date),
        subjects=(SubjectRef(fid, who.lower(), who),),
        sources=(Source("MusicBrainz", "https://musicbrainz.org/artist/x"),),
        details={"what": what, **details},
    )


V_BORN = _event(1, BIRTH, "1995-12-30", "V")
BTS_DEBUT = _event(2, DEBUT, "2013-06-13", "BTS")


def _said(facts: list[Fact], day: str) -> list[str]:
    return [item.text for item in celebrations(facts, dt.date.fromisoformat(day))]


def test_birthdays_and_debuts_in_the_issues_words() -> None:
    assert _said([V_BORN, BTS_DEBUT], "2025-12-30") == ["Happy birthday, V! Born 30 December 1995"]
    assert _said([V_BORN, BTS_DEBUT], "2026-06-13") == ["BTS debuted 13 years ago today"]
    assert _said([BTS_DEBUT], "2014-06-13") == ["BTS debuted 1 year ago today"]
    # 13 June 2013 is day 1, so 4,000 days later less one is the 4,000th day.
    fourth = dt.date(2013, 6, 13) + dt.timedelta(days=3999)
    assert _said([BTS_DEBUT], fourth.isoformat()) == ["BTS's 4,000th day since debut"]
    assert _said([V_BORN, BTS_DEBUT], "2025-12-29") == ["D-1: V's birthday, 30 December"]
    assert _said([V_BORN], "2025-12-23") == ["D-7: V's birthday, 30 December"]
    for quiet in ("2025-12-24", "2025-12-31", "1995-12-30", "1995-12-29"):
        assert _said([V_BORN], quiet) == [], quiet


def test_day_counts_of_a_life_and_a_career_read_as_fans_say_them() -> None:
    # 30 December 1995 is day 1 of V's life: 16 May 2023 is his 10,000th day.
    assert _said([V_BORN, BTS_DEBUT], "2023-05-16") == ["V's 10,000th day"]
    assert _said([V_BORN], "2026-02-09") == ["V's 11,000th day"]
    assert _said([V_BORN], "2023-05-15") == [] and _said([V_BORN], "2023-05-17") == []
    for day, fact, korean in (
        ("2023-05-16", V_BORN, "뷔가 태어난 지 10,000일째"),
        ("2024-05-25", BTS_DEBUT, "방탄소년단 데뷔 4,000일째"),
    ):
        on = dt.date.fromisoformat(day)
        reply = digest(
            DayItems(on, celebrations([fact], on)),
            None,
            tr=translator("ko"),
            names={1: "뷔", 2: "방탄소년단"},
        )
        assert reply is not None and korean in text_of(reply), day
        assert "was born" not in text_of(reply) and "since" not in text_of(reply)
    # The particle follows the name's last sound: 뷔가, 정국이.
    on = dt.date(2023, 5, 16)
    reply = digest(
        DayItems(on, celebrations([V_BORN], on)), None, tr=translator("ko"), names={1: "정국"}
    )
    assert reply is not None and "정국이 태어난 지 10,000일째" in text_of(reply)


def test_a_29_february_birthday_is_kept_on_28_february_in_common_years() -> None:
    leap = _event(3, BIRTH, "2000-02-29", "Leap")
    assert _said([leap], "2025-02-28") == ["Happy birthday, Leap! Born 29 February 2000"]
    assert _said([leap], "2025-03-01") == []
    assert _said([leap], "2028-02-29") == ["Happy birthday, Leap! Born 29 February 2000"]
    assert _said([leap], "2028-02-28") == ["D-1: Leap's birthday, 29 February"]
    assert _said([leap], "2025-02-27") == ["D-1: Leap's birthday, 28 February"]
    assert _said([leap], "2025-02-21") == ["D-7: Leap's birthday, 28 February"]


def test_a_birth_or_debut_seen_as_of_a_day_or_not_known_to_the_day_is_never_celebrated() -> None:
    seen = _event(4, BIRTH, "1995-12-30", "Seen", as_of="1995-12-30")
    year_only = _event(5, DEBUT, "2013", "Someday")
    for day in ("2025-12-30", "2025-12-29", "2025-12-23", "2014-01-01"):
        assert _said([seen, year_only], day) == [], day


def test_the_digest_says_them_in_korean() -> None:
    v_day = DayItems(dt.date(2025, 12, 30), celebrations([V_BORN], dt.date(2025, 12, 30)))
    reply = digest(v_day, None, tr=translator("ko"), names={1: "뷔"})
    assert reply is not None
    assert "뷔 생일 축하해요! 1995년 12월 30일생" in text_of(reply)


def test_a_birth_is_said_in_korean_unless_its_editor_said_more() -> None:
    ko = translator("ko")
    assert sentence(V_BORN, ko, {1: "뷔"}) == "뷔 탄생"
    assert sentence(BTS_DEBUT, ko, {2: "방탄소년단"}) == "방탄소년단 데뷔"
    fuller = dataclasses.replace(V_BORN, summary="V was born in Daegu")
    assert sentence(fuller, ko, {1: "뷔"}) == "V was born in Daegu"  # as written
    assert sentence(V_BORN, translator("en")) == "V was born"


async def test_a_members_birthday_reaches_the_digest_from_the_store(core: Core) -> None:
    await add(core, '/addevent V 1995-12-30 "V was born" https://musicbrainz.org/a birth')
    assert "Happy birthday, V! Born 30 December 1995" in await on(core, "2025-12-30")
    assert "years ago today: V was born" not in await on(core, "2025-12-30")
    assert "D-7: V's birthday, 30 December" in await on(core, "2025-12-23")
    assert "D-1: V's birthday, 30 December" in await on(core, "2025-12-29")
    # A day count of a life in its own words, once, not "The 10,000th day since: V was born".
    ten_thousand = await on(core, "2023-05-16")
    assert ten_thousand.count("V's 10,000th day") == 1, ten_thousand
    assert "day since" not in ten_thousand and "was born" not in ten_thousand
