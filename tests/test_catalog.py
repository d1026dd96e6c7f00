"""The catalogue against the MusicBrainz emulator: follow, resync, corrections, failures.

Real pieces throughout: our httpx client talking HTTP to the emulator on 127.0.0.1, the sync
writing a real SQLite file, and the core answering fans' commands over it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.musicbrainz.client import MusicBrainzClient, NotFound, check_mbid
from bot.catalog.records import CatalogSetup
from bot.catalog.schedule import CatalogSchedule
from bot.catalog.sync import SyncReport, sync_artist
from bot.context import Caller
from bot.core import Core
from bot.errors import FanbotError
from bot.settings import Settings
from storage import bundle as bundles
from storage.bundle import BundleError
from storage.models import FactKind, Precision
from storage.store import Store
from tests.conftest import FAN as FAN_CALLER
from tests.conftest import ask, text_of
from tests.emulators.musicbrainz_api import (
    BTS,
    BTS_MEMBERS,
    HANEUL,
    JIEUN,
    JIN,
    MINA,
    RELEASE_GROUPS,
    MusicBrainzEmulator,
    V,
    _release_group,
    mbid,
)

FAST = 0.1  # seconds between requests, client and emulator alike (the public service: 1.0)
ADMIN = Caller(platform="console", user_id="root-admin", name="Root")


@pytest.fixture
async def mb() -> AsyncIterator[MusicBrainzEmulator]:
    async with MusicBrainzEmulator(min_interval=FAST) as emulator:
        yield emulator


@pytest.fixture
async def client(mb: MusicBrainzEmulator) -> AsyncIterator[MusicBrainzClient]:
    async with MusicBrainzClient(mb.url, "tests@example.org", interval=FAST, attempts=4) as c:
        yield c


async def follow(core: Core, client: MusicBrainzClient, who: str = BTS):
    return await sync_artist(core.store, client, who, core.clock.now(), core.zone)


async def birth_fact(core: Core, name: str):
    subject = await core.resolver.resolve(name)
    facts = await core.store.facts.facts_about([subject.id], FactKind.EVENT)
    return next(f for f in facts if f.detail("what") == "birth")


async def test_following_a_group_by_mbid(core: Core, client, mb: MusicBrainzEmulator) -> None:
    report = await follow(core, client)
    # The minimum the API allows: 1 lookup, 7 members' lookups, 2 pages of release groups.
    assert len(mb.accepted()) == 1 + 7 + 2 == report.requests - mb.rate_refusals
    browses = [s.query for s in mb.seen if s.path == "/ws/2/release-group" and s.status == 200]
    assert [(q["offset"], q["limit"]) for q in browses] == [("0", "100"), ("100", "100")]
    assert all(s.user_agent and s.user_agent.endswith("( tests@example.org )") for s in mb.seen)
    # Only core data: no tags, ratings, genres or annotations are asked for.
    assert not any(w in str(s.query) for s in mb.seen for w in ("tag", "rating", "genre", "annot"))

    jungkook = text_of(await ask(core, "/milestone Jungkook"))
    assert "I don't know" not in jungkook and "Jung Kook" in jungkook
    assert (await core.resolver.resolve("전정국")).name == "Jung Kook"
    assert "Jung Kook" in text_of(await ask(core, "/status 정국"))
    # Original members are said once, on the debut, not as seven "joined" anniversaries.
    debut = text_of(await ask(core, "/search BTS debuted"))
    assert "13 June 2013 · BTS debuted" in debut
    (fact,) = await core.store.search.search("BTS debuted")
    assert fact.detail("note") == "original members: " + ", ".join(m[0] for m in BTS_MEMBERS)
    birthdays = text_of(await ask(core, "/birthday BTS"))
    order = [name for name, *_ in sorted(BTS_MEMBERS, key=lambda m: m[4][5:])]
    positions = [birthdays.index(f"{name}'s birthday") for name in order]
    assert positions == sorted(positions), birthdays
    assert "30 December 1995 · V's birthday — D-340" in birthdays  # from 24 January 2025
    assert f"{mb.url.removesuffix('/ws/2/')}/artist/{V}" in birthdays  # the source
    releases = text_of(await ask(core, "/release BTS"))
    assert "21 January 2023 · BTS released the single Fixture Single 119" in releases
    titles = text_of(await ask(core, "/release 2 Cool 4 Skool"))
    assert "12 June 2013 · BTS released the single 2 Cool 4 Skool" in titles
    assert "/release-group/" in titles
    for left_out in ("Proof", "Love Yourself in Seoul", "Butter (remixes)"):
        assert "I know no release" in text_of(await ask(core, f"/release {left_out}"))
    assert report.skipped == 3 and report.added == 1 + 7 + RELEASE_GROUPS - 3


async def test_known_names_are_matched_not_duplicated(core: Core, client) -> None:
    seeded_v = await core.resolver.resolve("V")
    await follow(core, client)
    v = await core.resolver.resolve("Kim Taehyung")
    assert v.id == seeded_v.id and len(await core.resolver.find_ids("V")) == 1
    assert "Tae" in v.aliases  # the seeds' aliases stay beside MusicBrainz's
    bts = await core.resolver.resolve("방탄소년단")
    assert sorted(m.name for m in bts.members) == sorted(m[0] for m in BTS_MEMBERS)
    assert "防弾少年団" in bts.aliases  # every alias, every locale
    # The seeds' facts about V are still his, beside the imported ones.
    assert "10 million likes" in text_of(await ask(core, "/milestone V"))


async def test_today_on_a_members_birthday(core: Core, client, clock) -> None:
    await follow(core, client)
    clock.set(dt.datetime(2025, 12, 29, 15, 0, tzinfo=dt.UTC))  # 30 December, 00:00 KST
    today = text_of(await ask(core, "/today"))
    assert "30th anniversary: V was born" in today and "MusicBrainz: V" in today
    assert "V's birthday — today!" in text_of(await ask(core, "/birthday V"))
    # In Korean the imported sentences are said in Korean, not as stored in English.
    korean = dataclasses.replace(FAN_CALLER, language="ko")
    today = text_of(await ask(core, "/today", korean))
    assert "30주년: 뷔 탄생" in today and "was born" not in today, today
    clock.set(dt.datetime(2026, 6, 12, 15, 0, tzinfo=dt.UTC))  # 13 June, 00:00 KST
    debut = text_of(await ask(core, "/today", korean))
    assert "13주년: 방탄소년단 데뷔" in debut and "debuted" not in debut, debut


async def test_every_fact_cites_musicbrainz_and_the_sync_is_audited(core: Core, client) -> None:
    await follow(core, client)
    _, facts = await core.store.facts.export_all()
    imported = [f for f in facts if f.key.startswith("mb-")]
    assert len(imported) == 1 + 7 + RELEASE_GROUPS - 3
    for fact in imported:
        (source,) = fact.sources
        assert source.publisher == "MusicBrainz" and "(read 2025-01-24)" in source.title
        assert source.url and source.url.rsplit("/", 1)[1] in fact.key
    entries = await core.store.audit.recent(500)
    assert {e.actor.platform for e in entries} == {"musicbrainz"}
    born = await birth_fact(core, "Jin")
    history = text_of(await ask(core, f"/history #{born.id}"))
    assert "MusicBrainz" in history


async def test_resync_follows_changes_and_then_writes_nothing(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    await follow(core, client)
    mb.artists[V]["life-span"]["begin"] = "1995-12-31"  # a date changes
    mb.release_groups[BTS].append(_release_group("Arirang", "Album", "2026-03-20"))  # a release
    mb.unlink(BTS, JIN)  # a member goes
    report = await follow(core, client)
    # V's birth date, and the debut's list of original members (Jin is gone from it).
    assert (report.added, report.updated) == (1, 2), report
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-31"
    assert "Jin" not in [m.name for m in (await core.resolver.resolve("BTS")).members]
    history = text_of(await ask(core, "/history Jin"))
    assert "MusicBrainz (musicbrainz musicbrainz): Jin joined the group BTS" in history
    assert "Jin left the group BTS" in history
    assert "20 March 2026 · BTS released the album Arirang" in text_of(
        await ask(core, "/release Arirang")
    )
    entries = await core.store.audit.count()
    stored = await core.store.facts.export_all()
    again = await follow(core, client)
    assert (again.added, again.updated) == (0, 0)
    assert await core.store.audit.count() == entries
    assert await core.store.facts.export_all() == stored


async def test_an_admins_correction_survives_a_resync(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    await follow(core, client)
    born = await birth_fact(core, "V")
    edited = await ask(core, f"/edit #{born.id} date 1995-12-29 https://example.org/v", ADMIN)
    assert not edited.error, text_of(edited)
    (dynamite,) = await core.store.search.facts_with_release_title("Dynamite")
    removed = await ask(core, f"/remove #{dynamite.id} https://example.org/why", ADMIN)
    assert not removed.error, text_of(removed)
    manual = await ask(core, '/addsubject "Kim Bora" member https://example.org/bora BTS', ADMIN)
    assert not manual.error, text_of(manual)
    mb.artists[V]["life-span"]["begin"] = "1995-12-31"
    mb.release_groups[BTS][2]["title"] = "Dynamite (MusicBrainz)"
    report = await follow(core, client)
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-29"
    assert "I know no release" in text_of(await ask(core, "/release Dynamite"))  # still removed
    assert "Kim Bora" in [m.name for m in (await core.resolver.resolve("BTS")).members]
    assert report.updated == 0
    assert any(f"#{born.id} kept as an admin corrected it" in n for n in report.notes)
    assert any(f"#{dynamite.id} kept" in n for n in report.notes)
    assert "31 December 1995" in " ".join(report.notes)


async def test_year_only_date_member_who_left_soloist_and_shared_name(core: Core, client) -> None:
    haneul = await follow(core, client, HANEUL)
    await follow(core, client, MINA)
    group = await core.resolver.resolve("Haneul")
    debut = (await core.store.facts.facts_about([group.id], FactKind.EVENT))[-1]
    assert debut.summary == "Haneul debuted" and debut.date.precision is Precision.YEAR
    assert sorted(m.name for m in group.members) == ["Jieun", "Mina"]  # Sora left
    sora = text_of(await ask(core, "/search Sora left"))
    assert "31 August 2019 · Sora left Haneul" in sora
    jieun = text_of(await ask(core, "/search Jieun joined"))
    assert "1 February 2016 · Jieun joined Haneul" in jieun and "original" not in jieun
    assert "November 1996" in text_of(await ask(core, "/birthday Sora"))  # as precise as given
    mina = await core.resolver.resolve("Mina")
    assert [g.name for g in mina.groups] == ["Haneul"]
    assert "Alone" in text_of(await ask(core, "/release Mina"))
    # IU's alias "Jieun" did not make IU the Jieun of Haneul: both exist, and asking asks.
    iu = await core.resolver.resolve("IU")
    assert len(await core.resolver.find_ids("Jieun")) == 2 and "Jieun" in iu.aliases
    assert any("shares the name “Jieun” with IU" in n for n in haneul.notes)
    linked = await core.store.catalog.followed()
    assert {f.mbid for f in linked} == {HANEUL, MINA}
    assert len(await core.store.catalog.find("haneul")) == 1


async def test_a_503_storm_is_retried_then_reported_and_nothing_is_written(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    mb.fail_next = [503, 503, 503]
    report = await follow(core, client, MINA)
    assert report.added == 2  # born, Alone
    facts_before = await core.store.facts.count_facts()
    mb.fail_next = [503] * 10
    with pytest.raises(FanbotError, match="did not answer after 4 tries"):
        await follow(core, client, HANEUL)
    assert await core.store.facts.count_facts() == facts_before
    assert {f.mbid for f in await core.store.catalog.followed()} == {MINA}


async def test_the_emulator_refuses_what_musicbrainz_refuses(
    client, mb: MusicBrainzEmulator
) -> None:
    async with httpx.AsyncClient(base_url=mb.url) as raw:
        bare = await raw.get(f"artist/{BTS}", headers={"User-Agent": ""})
        assert bare.status_code == 403
        mb.min_interval = 0.0001  # let the rest through: only the answers are looked at here
        coffee = await raw.get(f"artist/{BTS}", params={"inc": "coffee", "fmt": "json"})
        assert coffee.status_code == 400
        assert (
            coffee.json()["error"] == "coffee is not a valid inc parameter for the artist resource."
        )
        assert (await raw.get("artist/not-an-id")).status_code == 400
        assert (await raw.get(f"artist/{mbid('nobody')}")).status_code == 404
        mb.min_interval = 10.0
        fast = [await raw.get(f"artist/{BTS}") for _ in range(3)]
        assert [r.status_code for r in fast][-1] == 503 and mb.rate_refusals >= 1
    mb.min_interval = FAST
    mb.reset_rate()
    with pytest.raises(NotFound):
        await client.artist(mbid("nobody"))
    with pytest.raises(FanbotError, match="not a MusicBrainz id"):
        check_mbid("BTS")


async def test_pacing_keeps_to_one_request_a_second_measured_at_the_emulator() -> None:
    async with (
        MusicBrainzEmulator(min_interval=1.0) as mb,
        MusicBrainzClient(mb.url, "tests@example.org", interval=1.0) as client,
    ):
        # Four tasks at once share the one limiter.
        await asyncio.gather(*(client.artist(m) for m in (BTS, HANEUL, MINA, JIEUN)))
        assert mb.rate_refusals == 0 and len(mb.seen) == 4
        times = [s.at for s in mb.seen]
        assert times[-1] - times[0] >= 3 * 0.9, times


def test_catalogue_refuses_without_a_contact_and_settings_are_checked() -> None:
    with pytest.raises(FanbotError, match="FANBOT_CONTACT is not set"):
        MusicBrainzClient("https://musicbrainz.org/ws/2/", " ")
    with pytest.raises(ValueError, match="one request a second"):
        Settings(fanbot_musicbrainz_interval=0.5, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="compilation, live, remix"):
        Settings(fanbot_catalog_secondary_types="bootleg", _env_file=None)  # type: ignore[call-arg]
    settings = Settings(fanbot_catalog_secondary_types="Live, remix", _env_file=None)  # type: ignore[call-arg]
    assert settings.catalog_secondary_types == frozenset({"Live", "Remix"})


async def test_chat_catalog_for_bot_admins(core: Core, client, mb: MusicBrainzEmulator) -> None:
    refused = await ask(core, "/catalog list")
    assert refused.error and "bot admin" in text_of(refused).lower()
    off = await ask(core, "/catalog add BTS", ADMIN)
    assert off.error and "FANBOT_CONTACT is not set" in text_of(off)
    core.catalog = CatalogSetup(client)
    candidates = text_of(await ask(core, "/catalog add BTS", ADMIN))
    assert f"BTS (Group, KR, South Korean boy band): /catalog add {BTS}" in candidates
    added = text_of(await ask(core, f"/catalog add {BTS}", ADMIN))
    assert "Following BTS" in added and "125 facts added" in added
    assert f"BTS ({BTS}), last synced 2025-01-24 00:00 UTC" in text_of(
        await ask(core, "/catalog list", ADMIN)
    )
    synced = text_of(await ask(core, "/catalog sync", ADMIN))
    assert "0 facts added, 0 updated, 125 unchanged" in synced
    assert "No longer following BTS" in text_of(await ask(core, "/catalog remove BTS", ADMIN))
    unknown = await ask(core, f"/catalog add {mbid('nobody')}", ADMIN)
    assert unknown.error and "MusicBrainz has no artist" in text_of(unknown)


async def test_the_daily_resync_job(core: Core, client, mb: MusicBrainzEmulator) -> None:
    settings = Settings(fanbot_catalog_sync_time="4:30", _env_file=None)  # type: ignore[call-arg]
    assert settings.catalog_sync_time == dt.time(4, 30)
    assert Settings(fanbot_catalog_sync_time=" ", _env_file=None).catalog_sync_time is None  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="not a time like 04:30"):
        Settings(fanbot_catalog_sync_time="25:00", _env_file=None)  # type: ignore[call-arg]
    await follow(core, client, MINA)
    mb.release_groups[MINA].append(_release_group("Together", "Single", "2025-01-20"))
    job = CatalogSchedule(core.store, CatalogSetup(client), core.clock, core.zone, dt.time(4, 30))
    job.start()
    try:
        due = job.next_run()
        assert due is not None and due.astimezone(core.zone).time() == dt.time(4, 30)
        ((name, report),) = await job.run()  # what the job runs when due
        assert name == "Mina" and isinstance(report, SyncReport) and report.added == 1
    finally:
        job.stop()


async def test_the_daily_resync_runs_in_one_process_a_day(
    core: Core, other: Core, client, mb: MusicBrainzEmulator
) -> None:
    """Every `fanbot run` schedules the resync; the first to claim the day runs it."""
    await follow(core, client, MINA)
    mb.release_groups[MINA].append(_release_group("Together", "Single", "2025-01-20"))
    setup, at = CatalogSetup(client), dt.time(4, 30)
    here = CatalogSchedule(core.store, setup, core.clock, core.zone, at)
    there = CatalogSchedule(other.store, setup, core.clock, core.zone, at)
    ((name, report),) = await here.run()
    assert name == "Mina" and isinstance(report, SyncReport) and report.added == 1
    asked = client.requests
    assert await there.run() == [] and client.requests == asked  # the other process skipped
    core.clock.advance(dt.timedelta(days=1))  # the next day is anyone's again
    ((name, report),) = await there.run()
    assert name == "Mina" and isinstance(report, SyncReport) and report.unchanged >= 1
    assert await here.run() == []


async def test_secondary_types_are_imported_when_the_setting_names_them(core: Core, client) -> None:
    await sync_artist(
        core.store, client, BTS, core.clock.now(), core.zone, frozenset({"Compilation"})
    )
    proof = text_of(await ask(core, "/release Proof"))
    assert "10 June 2022 · BTS released the compilation album Proof" in proof
    assert "I know no release" in text_of(await ask(core, "/release Love Yourself in Seoul"))


async def test_a_service_that_is_down_is_retried_then_reported(core: Core) -> None:
    emulator = MusicBrainzEmulator(min_interval=FAST)
    await emulator.start()
    url = emulator.url
    await emulator.stop()  # nothing listens there any more
    async with MusicBrainzClient(url, "tests@example.org", interval=FAST, attempts=3) as client:
        with pytest.raises(FanbotError, match=r"did not answer after 3 tries \(network error"):
            await follow(core, client)
        assert client.requests == 3
    assert await core.store.catalog.followed() == []


async def test_an_answer_of_an_unexpected_shape_is_one_clear_error(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    del mb.artists[MINA]["id"]
    with pytest.raises(FanbotError, match="JSON of an unexpected shape"):
        await follow(core, client, MINA)
    assert await core.store.catalog.followed() == []


def test_a_member_who_left_and_came_back_is_one_member_with_one_fact_per_key() -> None:
    from bot.catalog.plan import plan
    from bot.catalog.records import Artist, Membership
    from storage.models import PartialDate

    def spell(begin: str, end: str | None) -> Membership:
        return Membership(
            "g" * 8,
            "Group",
            "m" * 8,
            "Member",
            PartialDate.parse(begin),
            PartialDate.parse(end) if end else None,
            ended=end is not None,
        )

    group = Artist(
        "g" * 8, "Group", "Group", memberships=(spell("2015", "2017"), spell("2019", None))
    )
    planned = plan(group, {}, [], site="https://mb.example", read_on=dt.date(2026, 1, 1))
    keys = [f.key for f in planned.facts]
    assert len(keys) == len(set(keys))
    assert [m.name for m in planned.members] == ["Member"] and planned.former == ()


async def test_the_website_shows_imported_birthdays_and_the_debut(core: Core, client) -> None:
    from tests.web_fixtures import serve

    await follow(core, client)
    async for site in serve(core):
        response, page = await site.get("/artist/bts")
        assert response.status == 200
        assert "13 June 2013" in page  # the debut
        for _, _, _, _, born in BTS_MEMBERS:  # every member's birthday
            day = dt.date.fromisoformat(born)
            assert f"{day.day} {day:%B %Y}" in page, born
        _, feed = await site.get("/calendar/bts.ics")
        assert "SUMMARY:V's birthday" in feed and "MusicBrainz: V" in feed  # its source


EDITOR = Caller(platform="console", user_id="ed", name="Ed")


async def _sync_entries(core: Core, fact_id: int) -> list:
    return [
        e
        for e in await core.store.audit.for_target("fact", str(fact_id))
        if e.actor.platform == "musicbrainz"
    ]


async def test_a_bot_admin_undoes_the_syncs_change_and_it_survives_a_resync(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    await follow(core, client)
    mb.artists[V]["life-span"]["begin"] = "1995-12-31"
    mb.unlink(BTS, JIN)
    await follow(core, client)
    born = await birth_fact(core, "V")
    assert born.date.iso() == "1995-12-31"
    (added, edited) = await _sync_entries(core, born.id)
    assert not (await ask(core, "/editor add console:ed Ed", ADMIN)).error
    # Only bot admins undo someone else's change; a fan may not undo at all.
    for caller in (FAN_CALLER, EDITOR):
        refused = await ask(core, "/undo musicbrainz", caller)
        assert refused.error, text_of(refused)
    refused = await ask(core, f"/undo {edited.id}", EDITOR)
    assert "Only bot admins can undo someone else's change" in text_of(refused)
    for bad, says in [
        ("/undo banana", "Say which change"),
        ("/undo 99999", "There is no change 99999"),
    ]:
        reply = await ask(core, bad, ADMIN)
        assert reply.error and says in text_of(reply), text_of(reply)
    # The sync's membership change is refused clearly, and nothing changes.
    jin = await core.store.audit.for_target("subject", "jin")
    (left,) = [e for e in jin if e.action == "remove member"]
    reply = await ask(core, f"/undo {left.id}", ADMIN)
    assert reply.error and "membership change" in text_of(reply), text_of(reply)

    # `/undo musicbrainz` takes back the sync's latest change: V's birth date.
    undone = await ask(core, "/undo musicbrainz", ADMIN)
    assert not undone.error, text_of(undone)
    assert f"Undone: change {edited.id}" in text_of(undone)
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-30"
    again = await ask(core, f"/undo {edited.id}", ADMIN)
    assert again.error and "was undone already" in text_of(again)
    history = text_of(await ask(core, f"/history #{born.id}"))
    assert f"Root (console root-admin): undid change {edited.id} to fact #{born.id}" in history

    # The admin's undo is a decision: the next resync keeps it, and says so.
    report = await follow(core, client)
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-30"
    assert any(f"#{born.id} kept as an admin corrected it" in n for n in report.notes)

    # Undoing the sync's add by its number hides the fact, and it stays hidden.
    (dynamite,) = await core.store.search.facts_with_release_title("Dynamite")
    (add_entry,) = await _sync_entries(core, dynamite.id)
    assert not (await ask(core, f"/undo {add_entry.id}", ADMIN)).error
    await follow(core, client)
    assert "I know no release" in text_of(await ask(core, "/release Dynamite"))


async def test_undoing_a_sync_change_keeps_the_changed_meanwhile_check(
    core: Core, client, mb: MusicBrainzEmulator
) -> None:
    await follow(core, client)
    mb.artists[V]["life-span"]["begin"] = "1995-12-31"
    await follow(core, client)
    born = await birth_fact(core, "V")
    (_, edited) = await _sync_entries(core, born.id)
    edit = await ask(core, f"/edit #{born.id} date 1995-12-29 https://example.org/v", ADMIN)
    assert not edit.error, text_of(edit)
    reply = await ask(core, f"/undo {edited.id}", ADMIN)
    text = text_of(reply)
    assert reply.error and f"changed again after change {edited.id} by Root" in text, text
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-29"
    # Once the admin takes back their own edit, the sync's value is theirs to undo again.
    assert not (await ask(core, "/undo", ADMIN)).error
    assert not (await ask(core, f"/undo {edited.id}", ADMIN)).error
    assert (await birth_fact(core, "V")).date.iso() == "1995-12-30"


async def test_export_carries_the_followed_artists_and_their_ids_and_import_restores_them(
    core: Core, client, mb: MusicBrainzEmulator, tmp_path: Path
) -> None:
    await follow(core, client)
    text = bundles.dump(await core.store.export_bundle(at=core.clock.now()))
    fresh = await Store.open(tmp_path / "fresh.db")
    try:
        await fresh.import_bundle(bundles.parse(bundles.load_text(text, "x"), "x"), "x")
        (followed,) = await fresh.catalog.followed()
        assert (followed.mbid, followed.name) == (BTS, "BTS")
        assert followed.synced_at == core.clock.now()
        async with fresh.transaction() as tx:
            linked = await tx.catalog.subject_ids([BTS, *(mbid(m[0]) for m in BTS_MEMBERS)])
        assert len(linked) == 1 + 7
        # A resync after the import updates the same subjects and facts: no twins.
        report = await sync_artist(fresh, client, BTS, core.clock.now(), core.zone)
        assert (report.subjects_added, report.added, report.updated) == (0, 0, 0), report
        # A second import of the same bundle keeps the links it has (nothing doubled).
        await fresh.import_bundle(bundles.parse(bundles.load_text(text, "x"), "x"), "x")
        assert len(await fresh.catalog.followed()) == 1
    finally:
        await fresh.close()


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"mbid": "not-an-id", "subject": "bts"}, "'mbid' should be a MusicBrainz id"),
        ({"mbid": BTS, "subject": "nobody-here"}, "no subject 'nobody-here'"),
        ({"mbid": BTS, "subject": "bts", "followed": {"name": "BTS", "added_at": "soon"}}, "time"),
        ("bts", "is not a mapping"),
    ],
)
async def test_a_bad_catalogue_entry_in_a_bundle_is_refused_and_nothing_is_imported(
    core: Core, entry, says: str
) -> None:
    before = bundles.dump(await core.store.export_bundle())
    bundle = bundles.Bundle(extra={"catalog": [entry]})
    with pytest.raises(BundleError, match=re.escape(says)):
        await core.store.import_bundle(bundle, "bad.yaml")
    assert bundles.dump(await core.store.export_bundle()) == before
