"""The all-artists feed's events when there are too many: the dates coming up soonest.

A calendar app chokes on a feed of 100,000 events, so /calendar/all.ics carries at most
`cap`. Which ones matters: the first by id would be an arbitrary sample of the year; a
subscriber wants the coming weeks complete, and the feed is fetched again daily, so the
window moves with the days. The window (from today) is the shortest one holding `cap`
events, found with counts, so at most a window's facts are ever read, never the store.
"""

from __future__ import annotations

import datetime as dt

from bot.dates import anniversary_in
from storage.facts import FactStore
from storage.models import Fact

YEAR = 366  # days of a window that holds every anniversary once


def next_day(fact: Fact, today: dt.date) -> dt.date | None:
    """The day the fact is next on a calendar: its own day if to come, else its anniversary."""
    day = fact.date.as_date()
    if day is None or day > today:
        return day
    for year in (today.year, today.year + 1):
        when = anniversary_in(fact.date, year)
        if when is not None and when >= today:
            return when
    return None


def _month_days(today: dt.date, days: int) -> list[tuple[int, int]]:
    window = {((d := today + dt.timedelta(days=i)).month, d.day) for i in range(days)}
    return sorted(window | ({(2, 29)} if (2, 28) in window else set()))


class _Window:
    """The facts on the calendar from today for a number of days, counted or read."""

    def __init__(self, facts: FactStore, today: dt.date, cap: int):
        self.facts, self.today, self.cap = facts, today, cap

    def _later(self, days: int) -> tuple[dt.date, dt.date]:
        end = self.today + dt.timedelta(days=days - 1) if days < YEAR else dt.date.max
        return dt.date(self.today.year + 1, 1, 1), end

    async def count(self, days: int) -> int:
        _, counted = await self.facts.facts_on_month_days(
            _month_days(self.today, days), self.today.year + 1, 1
        )
        start, end = self._later(days)
        if start > end:
            return counted
        return counted + len(await self.facts.facts_dated_between(start, end, self.cap + 1))

    async def read(self, days: int, limit: int) -> list[Fact]:
        found, _ = await self.facts.facts_on_month_days(
            _month_days(self.today, days), self.today.year + 1, limit
        )
        start, end = self._later(days)
        if start <= end:
            found += await self.facts.facts_dated_between(start, end, self.cap + 1)
        return found


async def soonest_dated(facts: FactStore, today: dt.date, cap: int) -> tuple[list[Fact], bool]:
    """At most `cap` facts known to the day, soonest on the calendar first; and whether any
    were left out (then every one kept comes no later than any left out)."""
    window = _Window(facts, today, cap)
    total = await window.count(YEAR)
    days, cut = YEAR, total > cap
    if cut:
        low, high = 1, YEAR - 1  # the shortest window holding `cap`: counts rise with days
        while low < high:
            middle = (low + high) // 2
            if await window.count(middle) >= cap:
                high = middle
            else:
                low = middle + 1
        days = low
        total = await window.count(days)
    last = today + dt.timedelta(days=days - 1) if days < YEAR else dt.date.max
    on_calendar = []
    for fact in await window.read(days, total):
        when = next_day(fact, today)
        if when is not None and when <= last:
            on_calendar.append((when, fact.id, fact))
    on_calendar.sort(key=lambda e: (e[0], e[1]))
    return [f for _, _, f in on_calendar[:cap]], cut or len(on_calendar) > cap
