"""When a subscription's post for a local day is due, clock changes included.

A time the clocks skip that day (02:30 when they jump from 02:00 to 03:00) is due at the first
instant after the gap; a time they repeat (01:30 when they fall back) at its first occurrence.
Either way exactly one instant a day, so no day posts twice or not at all.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def _exists(naive: dt.datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == naive


def due_at(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant the post for `day` (in `zone`) is due."""
    naive = dt.datetime.combine(day, at)
    step = dt.timedelta(minutes=1)
    while not _exists(naive, zone):  # inside a gap: walk to where the clock resumes
        naive = naive.replace(second=0, microsecond=0) + step
    return naive.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def next_due(after: dt.datetime, at: dt.time, zone: ZoneInfo) -> tuple[dt.date, dt.datetime]:
    """The first (local day, due instant) strictly after `after`."""
    day = after.astimezone(zone).date() - dt.timedelta(days=1)
    while True:
        due = due_at(day, at, zone)
        if due > after:
            return day, due
        day += dt.timedelta(days=1)
