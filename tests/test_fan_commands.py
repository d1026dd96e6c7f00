"""The fan commands through the real core over a real seeded SQLite file."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.commands import Command, Param, ParamKind, Role
from bot.context import Caller
from bot.core import Core
from bot.replies import Reply
from storage.models import FactKind, NewFact, NewSubject, PartialDate, Source, SubjectKind
from storage.store import Store
from tests.conftest import CONSOLE, FAN, ask, text_of

ARTICLE = "\"King and Queen\": Fans are proud of BTS' Kim Taehyung and IU's latest milestone"


@pytest.mark.parametrize("name", ["V", "뷔", "taehyung", "Kim Taehyung", "KIM TAE-HYUNG", "김태형"])
async def test_milestone_of_v_in_any_form(core: Core, name: str) -> None:
    reply = await ask(core, f"/milestone {name}")
    assert not reply.error
    assert reply.title == "Milestones of V"
    [line] = reply.lines
    assert line.when == PartialDate(2024, 1, 28)
    assert "10 million likes in 6 h 55 min" in line.text
    assert "fastest post by an Asian artist" in line.text
    assert line.refs == (1,) and reply.sources[0].title == ARTICLE


async def test_status_of_v_is_military_service_as_of_the_source(core: Core) -> None:
    reply = await ask(core, "/status V")
    [line] = reply.lines
    assert line.when == PartialDate(2024, 1, 28)
    assert "military service" in line.text
    assert "Special Duty Team, Capital Defense Command" in line.text
    assert "elite trainee (one of six)" in line.text
    assert reply.sources and reply.sources[0].published == "2024-01-28"


async def test_a_group_answers_for_its_members(core: Core) -> None:
    reply = await ask(core, "/status BTS")
    assert reply.title == "Status of BTS and its members"
    assert sorted(line.text.split(":")[0] for line in reply.lines) == ["RM", "V"]
    milestones = await ask(core, "/milestone 방탄소년단")
    assert any("10 million likes" in line.text for line in milestones.lines)


async def test_status_shows_each_members_newest_visible_status(core: Core, store: Store) -> None:
    def status(key: str, who: str, state: str, date: PartialDate) -> NewFact:
        return NewFact(
            key=key,
            kind=FactKind.STATUS,
            summary=f"{state}",
            date=date,
            subjects=(who,),
            sources=(Source("s"),),
            details={"state": state},
        )

    async with store.transaction() as tx:
        await tx.facts.upsert_fact(status("v-old", "v", "active", PartialDate(2022, 6)))
        await tx.facts.upsert_fact(status("rm-old", "rm", "hiatus", PartialDate(2023)))
        hidden = status("v-hidden", "v", "hiatus", PartialDate(2024, 2, 1))
        await tx.facts.upsert_fact(dataclasses.replace(hidden, hidden=True))
    reply = await ask(core, "/status BTS")
    by_member = {line.text.split(":")[0]: line for line in reply.lines}
    assert sorted(by_member) == ["RM", "V"]
    assert "military service" in by_member["V"].text  # not the older 'active', nor the hidden one
    assert by_member["V"].when == PartialDate(2024, 1, 28)
    assert "hiatus" not in by_member["RM"].text


async def test_release_by_title_and_by_artist(core: Core) -> None:
    by_title = await ask(core, "/release Love wins all")
    texts = [line.text for line in by_title.lines]
    assert any("pre-release single Love wins all" in t for t in texts)
    assert any("music video" in t for t in texts)
    assert all(line.when == PartialDate(2024, 1, 24) for line in by_title.lines)
    by_artist = await ask(core, "/release 아이유")
    assert by_artist.title == "Releases of IU" and len(by_artist.lines) == 2
    by_feature = await ask(core, "/release V")
    assert [line.text for line in by_feature.lines] == [
        "IU released the Love wins all music video, featuring V"
    ]


async def test_today_names_the_first_anniversary(core: Core) -> None:
    reply = await ask(core, "/today 2025-01-24")
    assert {line.text for line in reply.lines} == {
        "1st anniversary: IU released her pre-release single Love wins all",
        "1st anniversary: IU released the Love wins all music video, featuring V",
    }
    assert reply.sources


async def test_today_defaults_to_the_kst_date(core: Core, clock) -> None:
    # 2025-01-27 15:30 UTC is already 2025-01-28 00:30 in Seoul: the record's anniversary.
    clock.set(dt.datetime(2025, 1, 27, 15, 30, tzinfo=dt.UTC))
    reply = await ask(core, "/today")
    assert reply.title == "On this day, 28 January 2025"
    assert any("10 million likes" in line.text for line in reply.lines)


async def test_a_leap_day_fact_is_remembered_on_28_february(core: Core, store: Store) -> None:
    async with store.transaction() as tx:
        await tx.facts.upsert_fact(
            NewFact(
                key="leap",
                kind=FactKind.EVENT,
                summary="A leap-day event",
                date=PartialDate(2024, 2, 29),
                subjects=("iu",),
                sources=(Source("s"),),
            ),
        )
    assert any("leap-day" in ln.text for ln in (await ask(core, "/today 2025-02-28")).lines)
    assert not any("leap" in ln.text for ln in (await ask(core, "/today 2028-02-28")).lines)
    assert any("4th anniversary" in ln.text for ln in (await ask(core, "/today 2028-02-29")).lines)


async def test_upcoming_counts_down_and_lists_anniversaries(core: Core, store: Store) -> None:
    async with store.transaction() as tx:
        await tx.facts.upsert_fact(
            NewFact(
                key="future",
                kind=FactKind.RELEASE,
                summary="A scheduled comeback",
                date=PartialDate(2025, 1, 27),
                subjects=("iu",),
                sources=(Source("s"),),
            ),
        )
    reply = await ask(core, "/upcoming 7")
    texts = [line.text for line in reply.lines]
    assert texts[0].startswith("1st anniversary: IU released")
    assert "D-3: A scheduled comeback" in texts
    assert any(t.startswith("1st anniversary: V's Instagram post") for t in texts)


async def test_unknown_name_suggests(core: Core) -> None:
    reply = await ask(core, "/milestone Taehyng")
    assert reply.error and reply.usage == "/milestone WHO…"
    assert "Did you mean: V (BTS)?" in text_of(reply)


async def test_an_ambiguous_name_lists_instead_of_guessing(core: Core, store: Store) -> None:
    async with store.transaction() as tx:
        await tx.names.upsert_subject(
            NewSubject("v-other", "V", SubjectKind.SOLOIST, aliases=("V",))
        )
    reply = await ask(core, "/milestone V")
    assert reply.error
    assert "V (BTS)" in text_of(reply) and "could be several" in text_of(reply)


async def test_search_and_sources(core: Core) -> None:
    found = await ask(core, "/search instagram likes")
    [line] = found.lines
    detail = await ask(core, f"/sources #{line.fact_id}")
    fields = {f.name: f.value for f in detail.fields}
    assert fields["Platform"] == "Instagram" and fields["About"] == "V, IU"
    assert detail.sources[0].title == ARTICLE
    missing = await ask(core, "/sources 9999")
    assert missing.error and "no fact #9999" in text_of(missing)


async def test_help_lists_every_command_for_the_caller(core: Core) -> None:
    reply = await ask(core, "/help")
    listed = {line.text.split()[0] for line in reply.lines}
    # A fan sees what a fan may use; admin and chat-admin commands stay out of their help.
    roles = await core.roles_of(FAN)
    assert listed == {f"/{c.name}" for c in core.registry.listed() if c.permits(roles)}
    one = await ask(core, "/help milestone")
    assert one.title == "/milestone WHO…"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/today 2024-02-30", "has no day 30"),
        ("/today 2024-13-01", "no month 13"),
        ("/upcoming 0", "from 1 to 366"),
        ("/upcoming lots", "whole number"),
        ("/milestone", "needs WHO"),
        ("/nonsense", "no command /nonsense"),
        ("/milestone V IU extra", "know anyone"),
        ("/today 2025-01-24 and more", "don't know what to do"),
        ("", "Type a command"),
    ],
)
async def test_bad_input_gets_a_clear_message(core: Core, line: str, message: str) -> None:
    reply = await ask(core, line)
    assert reply.error
    assert message in text_of(reply)


async def test_only_allowed_roles_reach_a_handler(store: Store, clock) -> None:
    calls: list[str] = []

    async def handler(ctx, text: str) -> Reply:
        calls.append(text)
        return Reply(title="done")

    guarded = Command(
        "guarded",
        "admins only",
        (Param("text", ParamKind.TEXT, "t"),),
        handler,
        allowed=frozenset({Role.EDITOR}),
    )
    core = Core(store, clock, [guarded], admins=frozenset({("telegram", "42")}))
    denied = await core.handle_line("/guarded x", FAN, CONSOLE)
    assert denied.error and "Only editors can use /guarded" in text_of(denied) and calls == []
    admin = Caller("telegram", "42", "Admin")
    assert not (await core.handle_line("/guarded y", admin, CONSOLE)).error
    assert calls == ["y"]


@pytest.mark.parametrize("line", ["/milestone V, IU", "/milestone V IU", "/milestone 뷔, 아이유"])
async def test_milestone_takes_several_names(core: Core, line: str) -> None:
    reply = await ask(core, line)
    assert not reply.error, text_of(reply)
    assert reply.title == "Milestones of V, IU"
    assert any("10 million likes" in line.text for line in reply.lines)


async def test_status_takes_several_names_and_says_who_has_none(core: Core) -> None:
    reply = await ask(core, "/status V, IU")
    assert not reply.error, text_of(reply)
    assert reply.title == "Status of V, IU"
    assert any(line.text.startswith("V: military service") for line in reply.lines)
    assert "No status recorded for IU yet." in text_of(reply)


async def test_a_misspelt_full_name_still_gets_its_did_you_mean(core: Core) -> None:
    reply = await ask(core, "/milestone Kim Taehyng")
    assert reply.error and "“Kim Taehyng”" in text_of(reply)
    assert "Did you mean: V (BTS)" in text_of(reply)


async def test_release_of_several_artists(core: Core) -> None:
    reply = await ask(core, "/release V, IU")
    assert not reply.error, text_of(reply)
    assert reply.title == "Releases of V, IU"
    assert any("Love wins all" in line.text for line in reply.lines)


@pytest.mark.parametrize("typed", ["love wins al", "Love wins alll", "lovewinsall!"])
async def test_a_misspelt_release_title_gets_a_did_you_mean(core: Core, typed: str) -> None:
    reply = await ask(core, f"/release {typed}")
    assert reply.error
    assert "Did you mean: Love wins all" in text_of(reply), text_of(reply)
