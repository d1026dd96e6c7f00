"""The website's pages over real HTTP on 127.0.0.1, served from the seeded SQLite store.

The clock stands at 2025-01-24 09:00 KST, the first anniversary of Love wins all.
"""

from __future__ import annotations

import datetime as dt
import re

import aiohttp
from icalendar import Calendar

from bot.app import all_commands
from bot.clock import FixedClock
from bot.context import Caller
from bot.core import Core
from storage.models import FactKind, NewFact, PartialDate, Source
from storage.store import Store
from tests.conftest import ask
from tests.web_fixtures import PUBLIC_URL, Site, parse, serve, site, visible_text

__all__ = ["site"]  # the fixture

ROOT = Caller("console", "root-admin", "Root")


async def test_home_shows_today_the_coming_days_and_a_search_box(site: Site) -> None:
    r, html = await site.get("/")
    assert r.status == 200 and r.content_type == "text/html"
    tree = parse(html)
    text = visible_text(tree)
    assert "On this day · 24 January 2025" in text
    assert "1st anniversary IU released her pre-release single Love wins all" in text
    # 28 January: V's Instagram record, in the coming 30 days.
    assert "28 January 2025 · 1st anniversary V's Instagram post with IU reached" in text
    assert tree.find(".//form[@action='/search']/input[@name='q']") is not None
    assert "Dates are KST (Asia/Seoul) calendar days." in text
    # Usable on a phone: the viewport follows the device, the layout wraps.
    assert tree.find(".//meta[@name='viewport']").get("content") == (
        "width=device-width, initial-scale=1"
    )
    assert "flex-wrap: wrap" in html and "overflow-wrap: anywhere" in html
    assert f"webcal://{PUBLIC_URL.split('://')[1]}/calendar/all.ics" in html


async def test_v_has_the_instagram_record_with_its_source(site: Site) -> None:
    r, html = await site.get("/artist/v")
    assert r.status == 200
    tree = parse(html)
    text = visible_text(tree)
    assert "V's Instagram post with IU reached 10 million likes in 6 h 55 min" in text
    assert "member of BTS" in text and "뷔" in text and "김태형" in text  # every script
    assert "military service · as of 28 January 2024" in text  # an observation, not a start
    items = tree.findall(".//ul[@class='facts']/li")
    assert len(items) == 4  # the timeline: releases, records and events, not the status
    sources = {li.get("id") for li in tree.findall(".//ol[@class='sources']/li")}
    for li in items:  # every fact links its sources, each to an entry of the sources list
        refs = li.findall(".//span[@class='refs']/a")
        assert refs, visible_text(li)
        assert all(a.get("href").lstrip("#") in sources for a in refs)
    assert "King and Queen" in text
    dates = [li.find("span[@class='when']").text for li in items]
    assert dates == ["28 January 2024", "28 January 2024", "24 January 2024", "January 2024"]


async def test_a_group_shows_its_members_and_their_status(site: Site) -> None:
    _, html = await site.get("/artist/bts")
    text = visible_text(parse(html))
    assert "RM — military service · as of 28 January 2024" in text
    assert "V — military service" in text
    assert "RM was named a military elite trainee" in text  # members' facts too


async def test_any_name_leads_to_the_artists_address(site: Site) -> None:
    r, _ = await site.get("/artist/뷔")
    assert r.status == 301 and r.headers["Location"] == "/artist/v"
    r, _ = await site.get("/artist/Kim%20Taehyung?lang=ko")
    assert r.status == 301 and r.headers["Location"] == "/artist/v?lang=ko"


async def test_a_fact_shows_everything_its_sources_and_its_history(site: Site, core: Core) -> None:
    _, html = await site.get("/fact/4")
    text = visible_text(parse(html))
    assert "Platform Instagram" in text and "Value 10,000,000" in text
    assert "Time taken 6 h 55 min" in text
    assert "About V, IU" in text
    assert "Unchanged since it was loaded" in text
    edited = await ask(core, "/edit #4 time_taken 6h54m https://www.soompi.com/x", ROOT)
    assert not edited.error, edited
    _, html = await site.get("/fact/4")
    tree = parse(html)
    text = visible_text(tree)
    assert "Time taken 6h54m" in text
    changed = r"\d{4}-\d\d-\d\d \d\d:\d\d KST · Root: changed \(Time taken, Sources\)"
    assert re.search(changed, text), text
    assert tree.find(".//a[@href='https://www.soompi.com/x']") is not None


async def test_search_finds_artists_and_facts(site: Site) -> None:
    _, html = await site.get("/search?q=instagram+likes")
    text = visible_text(parse(html))
    assert "Search: instagram likes" in text
    assert "V's Instagram post with IU reached 10 million likes" in text
    _, html = await site.get("/search?q=taehyung")
    tree = parse(html)
    assert tree.find(".//a[@href='/artist/v']") is not None
    r, html = await site.get("/search?q=" + "x" * 201)
    assert r.status == 400 and "at most 200 characters" in visible_text(parse(html))
    r, html = await site.get("/search")
    assert r.status == 200 and "Type a name" in visible_text(parse(html))


async def test_unknown_addresses_get_a_404_page_that_helps(site: Site) -> None:
    r, html = await site.get("/artist/taehyun")
    assert r.status == 404
    tree = parse(html)
    text = visible_text(tree)
    assert "No artist is called “taehyun” here." in text
    assert tree.find(".//a[@href='/artist/v']") is not None  # did you mean V?
    assert tree.find(".//form[@action='/search']") is not None
    r, html = await site.get("/fact/999")
    assert r.status == 404 and "There is no fact #999." in visible_text(parse(html))
    r, html = await site.get("/nothing/here")
    assert r.status == 404 and "There is no page at /nothing/here." in visible_text(parse(html))
    r, _ = await site.get("/fact/" + "9" * 40)
    assert r.status == 404


async def test_head_answers_the_headers_without_a_body(site: Site) -> None:
    async with site.http.head(site.base + "/artist/v") as r:
        assert r.status == 200
        assert await r.read() == b""
        head_etag = r.headers["ETag"]
    got, _ = await site.get("/artist/v")
    assert got.headers["ETag"] == head_etag


async def test_only_get_and_head_are_answered(site: Site) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        async with site.http.request(method, site.base + "/artist/v", data=b"x=1") as r:
            assert r.status == 405, method
            assert r.headers["Allow"] == "GET, HEAD"
            assert "read-only" in visible_text(parse(await r.text()))
    # A large body is refused without being read.
    async with site.http.post(site.base + "/", data=b"x" * 2_000_000) as r:
        assert r.status in (405, 413)


async def test_an_unchanged_page_costs_a_304_until_the_store_changes(
    site: Site, core: Core
) -> None:
    r, _ = await site.get("/fact/4")
    etag = r.headers["ETag"]
    assert r.headers["Cache-Control"].startswith("public")
    statements: list[str] = []
    await core.store.db._reader.set_trace_callback(statements.append)  # what SQLite is asked
    again, body = await site.get("/fact/4", headers={"If-None-Match": etag})
    kept, kept_body = await site.get("/fact/4")  # another visitor: the page kept since
    await core.store.db._reader.set_trace_callback(None)
    assert again.status == 304 and body == ""
    assert again.headers["ETag"] == etag
    assert kept.status == 200 and kept.headers["ETag"] == etag and "Instagram" in kept_body
    assert statements == []  # neither read a fact
    # Another language is another page.
    ko, _ = await site.get("/fact/4?lang=ko", headers={"If-None-Match": etag})
    assert ko.status == 200
    edited = await ask(core, "/edit #4 time_taken 6h54m https://www.soompi.com/x", ROOT)
    assert not edited.error
    changed, html = await site.get("/fact/4", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert "6h54m" in html


async def test_with_answers_not_kept_every_visit_reads_the_store(
    store: Store, clock: FixedClock
) -> None:
    """FANBOT_KEEP_ANSWERS=false (bench.web's computed-afresh rows): no page is kept."""
    afresh = Core(store, clock, all_commands(), keep_answers=False)
    async for web in serve(afresh):
        first, html = await web.get("/artist/v")
        statements: list[str] = []
        await store.db._reader.set_trace_callback(statements.append)
        again, again_html = await web.get("/artist/v")
        await store.db._reader.set_trace_callback(None)
        assert first.status == again.status == 200 and again_html == html
        assert any("facts" in sql for sql in statements)  # computed again, not kept


async def test_korean_by_accept_language_and_by_lang(site: Site) -> None:
    r, html = await site.get("/artist/v", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"})
    tree = parse(html)
    assert tree.get("lang") == "ko" and r.headers["Content-Language"] == "ko"
    text = visible_text(tree)
    assert "타임라인" in text and "2024년 1월 28일 기준" in text and "Timeline" not in text
    r, html = await site.get("/artist/v?lang=ko", headers={"Accept-Language": "en"})
    assert parse(html).get("lang") == "ko"
    assert 'href="/artist/bts?lang=ko"' in html  # links keep the language asked for
    r, html = await site.get("/artist/v?lang=en", headers={"Accept-Language": "ko"})
    assert parse(html).get("lang") == "en" and "Timeline" in html
    r, html = await site.get("/", headers={"Accept-Language": "fr, en;q=0.5, ko;q=0.4"})
    assert parse(html).get("lang") == "en"
    r, html = await site.get("/?lang=ko")
    assert "2025년 1월 24일" in visible_text(parse(html)) and "1주년" in html


async def test_pages_carry_headers_that_keep_them_inert(site: Site) -> None:
    r, _ = await site.get("/")
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert "script-src" not in r.headers["Content-Security-Policy"]  # no JavaScript at all
    assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_a_failing_page_shows_no_stack_trace(site: Site, core: Core, caplog) -> None:
    row = await core.store.db.fetchone("SELECT details FROM facts WHERE id = 4")
    assert row is not None
    async with core.store.db.transaction() as ex:  # a damaged row: reading it fails
        await ex.execute("UPDATE facts SET details = '{' WHERE id = 4")
    r, html = await site.get("/artist/v")
    assert r.status == 500
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html and "orjson" not in html.lower()
    assert any("the web page /artist/v failed" in rec.getMessage() for rec in caplog.records)
    async with core.store.db.transaction() as ex:  # mended as it was
        await ex.execute("UPDATE facts SET details = ? WHERE id = 4", (row[0],))


async def test_client_errors_are_plain_pages(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(site.base + "/", headers={"X-Long": "x" * 20_000}) as r:
            assert r.status in (400, 431)
            assert "Traceback" not in await r.text()


async def test_birthdays_and_debuts_show_on_the_page_and_in_the_feed(
    site: Site, store: Store
) -> None:
    """The catalogue records births and debuts as events (`what: birth` / `debut`)."""
    source = (Source("MusicBrainz", "https://musicbrainz.org/artist/x"),)
    async with store.transaction() as tx:
        for key, who, day, what, summary in (
            ("born-v", "v", PartialDate(1995, 12, 30), "birth", "V was born"),
            ("debut-bts", "bts", PartialDate(2013, 6, 13), "debut", "BTS debuted"),
        ):
            new = NewFact(key, FactKind.EVENT, summary, day, (who,), source, {"what": what})
            await tx.facts.upsert_fact(new)
    text = visible_text(parse((await site.get("/artist/bts"))[1]))
    assert "Debut: 13 June 2013" in text
    assert "V · born 30 December 1995 — military service" in text
    text = visible_text(parse((await site.get("/artist/v?lang=ko"))[1]))
    assert "생일: 1995년 12월 30일" in text
    r, feed = await site.get("/calendar/v.ics")
    [born] = [e for e in Calendar.from_ical(feed).walk("VEVENT") if "birthday" in e["SUMMARY"]]
    assert str(born["SUMMARY"]) == "V's birthday"  # no age: a calendar repeats it yearly
    assert born["RRULE"]["FREQ"] == ["YEARLY"] and born["DTSTART"].dt == dt.date(1995, 12, 30)
