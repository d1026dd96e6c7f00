"""Calendar feeds over real HTTP, parsed back with icalendar and expanded as a calendar would
(recurring-ical-events), against the daily digests' own dates for the same facts."""

from __future__ import annotations

import datetime as dt

import recurring_ical_events
from icalendar import Calendar

from bot.clock import FixedClock
from bot.core import Core
from bot.reminders.digest import day_items
from storage.models import FactKind, NewFact, PartialDate, Source
from storage.store import Store
from tests.web_fixtures import Site, serve, site

__all__ = ["site"]  # the fixture


async def _feed(site: Site, path: str) -> Calendar:
    r, text = await site.get(path)
    assert r.status == 200, text
    assert r.content_type == "text/calendar" and r.charset == "utf-8"
    return Calendar.from_ical(text)


def _events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


async def _add(
    store: Store, key: str, date: PartialDate, kind=FactKind.EVENT, details: dict | None = None
) -> int:
    async with store.transaction() as tx:
        return await tx.facts.upsert_fact(
            NewFact(
                key=key,
                kind=kind,
                summary=f"IU {key}",
                date=date,
                subjects=("iu",),
                sources=(Source("A source", "https://example.org/" + key),),
                details=details or {},
            ),
        )


async def test_iu_feed_has_the_love_wins_all_anniversary(site: Site) -> None:
    cal = await _feed(site, "/calendar/iu.ics")
    assert str(cal["VERSION"]) == "2.0"
    assert cal["REFRESH-INTERVAL"].dt == dt.timedelta(days=1)
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(cal["X-PUBLISHED-TTL"]) == "P1D"
    events = list(cal.walk("VEVENT"))
    single = [
        e for e in events if str(e["SUMMARY"]) == "IU released her pre-release single Love wins all"
    ]
    [love] = single
    assert love["DTSTART"].dt == dt.date(2024, 1, 24)
    assert love["DTSTART"].params.get("VALUE") == "DATE"
    assert love["DTEND"].dt == dt.date(2024, 1, 25)
    assert love["RRULE"]["FREQ"] == ["YEARLY"]
    assert "King and Queen" in str(love["DESCRIPTION"])
    assert str(love["URL"]).startswith("https://fans.example.org/fact/")
    # No age or count in a summary that repeats every year.
    assert not any(word in str(e["SUMMARY"]) for e in events for word in ("anniversary", "years"))


async def test_uids_are_stable_and_unique(site: Site) -> None:
    first = _events(await _feed(site, "/calendar/all.ics"))
    second = _events(await _feed(site, "/calendar/all.ics"))
    assert first.keys() == second.keys()
    assert len(first) == 4  # the day-precise facts that happened, statuses seen "as of" left out
    assert all(uid.endswith("@fans.example.org") for uid in first)
    v = _events(await _feed(site, "/calendar/v.ics"))
    assert v.keys() < first.keys()


async def test_an_as_of_status_is_no_anniversary(site: Site) -> None:
    cal = await _feed(site, "/calendar/bts.ics")
    assert not [e for e in cal.walk("VEVENT") if "military" in str(e["SUMMARY"])]


async def test_29_february_lands_on_28_february_in_common_years(site: Site, store: Store) -> None:
    await _add(store, "leap-day", PartialDate(2024, 2, 29))
    cal = await _feed(site, "/calendar/iu.ics")
    [leap] = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "IU leap-day"]
    assert leap["DTSTART"].dt == dt.date(2024, 2, 29)
    assert leap["RRULE"]["BYMONTH"] == [2] and leap["RRULE"]["BYMONTHDAY"] == [-1]
    days = {
        e["DTSTART"].dt
        for e in recurring_ical_events.of(cal).between(dt.date(2025, 1, 1), dt.date(2029, 1, 1))
        if str(e["SUMMARY"]) == "IU leap-day"
    }
    assert days == {
        dt.date(2025, 2, 28),
        dt.date(2026, 2, 28),
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
    }


async def test_two_years_of_the_feed_are_the_digests_dates(
    site: Site, store: Store, clock: FixedClock, core: Core
) -> None:
    """Expanded over two years, the feed gives the days the digest planner celebrates."""
    await _add(store, "leap-day", PartialDate(2024, 2, 29))
    await _add(store, "comeback", PartialDate(2025, 6, 1))  # future: D-day, single
    await _add(store, "month-only", PartialDate(2023, 5))  # no day: no anniversary
    began, seen = {"state": "hiatus", "since": "2023-03-03"}, {"as_of": "2023-04-04"}
    await _add(store, "began-hiatus", PartialDate(2023, 3, 3), FactKind.STATUS, began)
    await _add(store, "seen-hiatus", PartialDate(2023, 4, 4), FactKind.STATUS, seen)
    today = dt.date(2025, 1, 24)
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    cal = await _feed(site, "/calendar/all.ics")
    from_feed = {
        (str(e["UID"]).split("@")[0].removeprefix("fanbot-fact-"), e["DTSTART"].dt)
        for e in recurring_ical_events.of(cal).between(start, end + dt.timedelta(days=1))
    }
    from_digests = set()
    day = start
    while day <= end:
        for item in (await day_items(store.facts, day)).items:
            dated_before = item.fact.date.as_date() <= today  # what the feed knew as past
            if (item.rank == 3 and dated_before) or (item.rank == 1 and not dated_before):
                from_digests.add((str(item.fact.id), day))
        day += dt.timedelta(days=1)
    assert from_feed == from_digests
    assert len(from_feed) == 2 * 6 + 1  # 5 seed and test anniversaries … and the D-day
    # Once the comeback's day has come, the feed (fetched daily) makes it an anniversary.
    clock.set(dt.datetime(2025, 6, 2, tzinfo=dt.UTC))
    cal = await _feed(site, "/calendar/iu.ics")
    [comeback] = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "IU comeback"]
    assert comeback["RRULE"]["FREQ"] == ["YEARLY"]


async def test_a_future_fact_is_a_single_event(site: Site, store: Store) -> None:
    await _add(store, "comeback", PartialDate(2025, 6, 1))
    cal = await _feed(site, "/calendar/iu.ics")
    [comeback] = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "IU comeback"]
    assert "RRULE" not in comeback
    assert comeback["DTEND"].dt == dt.date(2025, 6, 2)


async def test_an_unchanged_feed_costs_a_304(site: Site, store: Store) -> None:
    r, _ = await site.get("/calendar/iu.ics")
    etag = r.headers["ETag"]
    assert "max-age" in r.headers["Cache-Control"]
    again, body = await site.get("/calendar/iu.ics", headers={"If-None-Match": etag})
    assert again.status == 304 and body == ""
    await _add(store, "new-one", PartialDate(2024, 5, 16))
    changed, body = await site.get("/calendar/iu.ics", headers={"If-None-Match": etag})
    assert changed.status == 200 and "IU new-one" in body


async def test_feeds_of_unknown_artists_are_404_and_names_lead_to_the_feed(site: Site) -> None:
    r, _ = await site.get("/calendar/nobody.ics")
    assert r.status == 404
    r, _ = await site.get("/calendar/아이유.ics")
    assert r.status == 301 and r.headers["Location"] == "/calendar/iu.ics"


async def _capped(core: Core, path: str, cap: int) -> Calendar:
    async for capped in serve(core, max_events=cap):
        return await _feed(capped, path)
    raise AssertionError("no site")


def _soonest(cal: Calendar, today: dt.date) -> list[tuple[dt.date, int]]:
    """(day, fact id) of every event's first occurrence from today, soonest first."""
    first: dict[int, dt.date] = {}
    for e in recurring_ical_events.of(cal).between(today, today + dt.timedelta(days=4 * 366)):
        fact_id = int(str(e["UID"]).split("@")[0].removeprefix("fanbot-fact-"))
        first.setdefault(fact_id, e["DTSTART"].dt)
        first[fact_id] = min(first[fact_id], e["DTSTART"].dt)
    return sorted((day, fact_id) for fact_id, day in first.items())


async def test_the_all_feed_is_capped_to_the_dates_coming_up_soonest(
    site: Site, store: Store, core: Core
) -> None:
    """Over the cap, /calendar/all.ics keeps the events coming up soonest from today (an
    anniversary, a future fact's own day), the cut stated in X-WR-CALDESC."""
    today = core.clock.now().astimezone(core.zone).date()
    for n, date in enumerate(
        [
            PartialDate(2020, 2, 29),
            PartialDate(today.year - 1, today.month, today.day),  # an anniversary today
            PartialDate(2019, 12, 31),
            PartialDate(today.year + 1, 1, 2),  # a future fact: a single event on its day
            PartialDate(today.year + 3, 3, 3),  # far ahead, beyond a year's window
            PartialDate(2010, 7, 7),
            PartialDate(2011, 7, 7),  # the same day: the cut may fall inside a day, by id
            PartialDate(2015, 10, 1),
        ]
    ):
        await _add(store, f"dated-{n}", date)
    whole = await _feed(site, "/calendar/all.ics")
    assert "left out" not in str(whole["X-WR-CALDESC"])
    everything = _soonest(whole, today)
    assert len(everything) == len(list(whole.walk("VEVENT")))
    for cap in (1, 3, 5, len(everything) - 1):
        capped = await _capped(core, "/calendar/all.ics", cap)
        assert _soonest(capped, today) == everything[:cap], cap
        assert f"the {cap:,} coming up soonest" in str(capped["X-WR-CALDESC"])
    exact = await _capped(core, "/calendar/all.ics", len(everything))
    assert _soonest(exact, today) == everything
    assert "left out" not in str(exact["X-WR-CALDESC"])


async def test_an_artist_feed_over_the_cap_keeps_the_newest(core: Core) -> None:
    capped = await _capped(core, "/calendar/iu.ics", 1)
    [event] = list(capped.walk("VEVENT"))
    assert "the 1 newest" in str(capped["X-WR-CALDESC"])
    async for whole in serve(core):
        events = (await _feed(whole, "/calendar/iu.ics")).walk("VEVENT")
        assert event["DTSTART"].dt == max(e["DTSTART"].dt for e in events)
