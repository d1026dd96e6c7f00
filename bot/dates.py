"""Dates as fans read them: KST calendar days, anniversaries, day counts and D-days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from storage.models import PartialDate, Precision

KST = ZoneInfo("Asia/Seoul")


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def local_today(now: dt.datetime, zone: ZoneInfo) -> dt.date:
    return now.astimezone(zone).date()


def human(date: PartialDate) -> str:
    """24 January 2024, January 2024 or 2024, as precise as the source is."""
    if date.precision is Precision.YEAR:
        return f"{date.year}"
    month = dt.date(2000, date.month or 1, 1).strftime("%B")
    if date.precision is Precision.MONTH:
        return f"{month} {date.year}"
    return f"{date.day} {month} {date.year}"


def anniversary_years(fact_date: PartialDate, on: dt.date) -> int | None:
    """How many years ago `on` a day-precise fact happened, if `on` is its anniversary.

    A fact of 29 February is remembered on 28 February in years without one. A fact known only
    to the month or year has no anniversary; nor has a fact on its own day (year 0).
    """
    day = fact_date.as_date()
    if day is None or on.year <= day.year:
        return None
    if (day.month, day.day) == (on.month, on.day):
        return on.year - day.year
    leap_day = (day.month, day.day) == (2, 29)
    if leap_day and (on.month, on.day) == (2, 28) and not _is_leap(on.year):
        return on.year - day.year
    return None


def anniversary_in(fact_date: PartialDate, year: int) -> dt.date | None:
    """The day in `year` on which a day-precise fact is remembered."""
    day = fact_date.as_date()
    if day is None:
        return None
    if (day.month, day.day) == (2, 29) and not _is_leap(year):
        return dt.date(year, 2, 28)
    return dt.date(year, day.month, day.day)


def day_number(fact_date: PartialDate, on: dt.date) -> int | None:
    """The fans' day count: the fact's own day is day 1."""
    day = fact_date.as_date()
    if day is None or on < day:
        return None
    return (on - day).days + 1


def days_until(fact_date: PartialDate, on: dt.date) -> int | None:
    day = fact_date.as_date()
    if day is None or day < on:
        return None
    return (day - on).days


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
