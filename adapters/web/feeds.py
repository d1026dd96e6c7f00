"""Calendar feeds (RFC 5545, with RFC 7986's refresh and name), written as icalendar writes
them by `ical_text` (a tenth of the cost; tests/test_web_ical_text.py holds the head and each
event byte for byte against icalendar's own output; icalendar reads them back in the tests).

One all-day event per fact known to the day. What has happened recurs every year from the
day itself (DTSTART;VALUE=DATE, DTEND the next day); a 29 February recurs on the last day of
February, so it lands on the 28th in common years, as the daily digests remember it. A fact
dated in the future is a single event until its day has come (the feed is fetched again
daily). A status seen by a source "as of" a day is no anniversary (`Fact.happened`) and is
left out. Summaries carry no age or count: a calendar repeats them every year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import vDuration

from adapters.web.ical_text import all_day_event, calendar_head
from bot.fan.commands import fact_text
from bot.replies import source_text
from storage.models import BIRTH, Fact

# The `what` of the catalogue's birth and debut events (issue 16's bot/catalog/).
REFRESH = dt.timedelta(days=1)
REFRESH_TEXT = vDuration(REFRESH).to_ical().decode()  # P1D
PRODID = "-//fanbot//calendar feeds//EN"
MAX_EVENTS = 5_000  # a calendar app chokes long before; the feed says it was cut


def event_uid(fact: Fact, host: str) -> str:
    """Stable across fetches, edits and export/import (fact ids are kept)."""
    return f"fanbot-fact-{fact.id}@{host}"


def _summary(fact: Fact) -> str:
    """What the calendar shows every year: "V's birthday" rather than "V was born"."""
    if fact.detail("what") == BIRTH and len(fact.subjects) == 1:
        return f"{fact.subjects[0].name}'s birthday"
    return fact_text(fact)


def _description(fact: Fact, fact_url: str) -> str:
    lines = [fact_text(fact), ""]
    lines += [f"Source: {source_text(s)}" for s in fact.sources]
    lines.append(f"More: {fact_url}")
    return "\n".join(lines)


def build_feed(
    facts: Iterable[Fact],
    *,
    name: str,
    today: dt.date,
    host: str,
    site_url: str,
    feed_url: str,
    cap: int = MAX_EVENTS,
    soonest_cut: bool = False,
) -> bytes:
    """The feed's bytes; `today` (KST) decides what is past (yearly) and what is to come.

    At most `cap` events, and the calendar's description says when some were left out: the
    newest `cap` (an artist's facts come newest first), or, when the caller cut the list to
    those coming up soonest (`soonest_cut`, upcoming.py: the all-artists feed), those."""
    dated = [f for f in facts if f.date.as_date() is not None and f.happened]
    about = f"Anniversaries and dates of {name}, with their sources"
    if soonest_cut:
        about += f" (the {cap:,} coming up soonest; the others are left out)"
    elif len(dated) > cap:
        about += f" (the {cap:,} newest; the others are left out)"
    head = calendar_head(
        name=f"{name} — fanbot", about=about, source=feed_url, prodid=PRODID, refresh=REFRESH_TEXT
    )
    stamp = dt.datetime.combine(today, dt.time(), dt.UTC)  # stable all day: same bytes, same ETag
    events = []
    for fact in dated[:cap]:
        day = fact.date.as_date()
        assert day is not None
        fact_url = f"{site_url}/fact/{fact.id}"
        events.append(
            all_day_event(
                uid=event_uid(fact, host),
                stamp=stamp,
                day=day,
                recurring=day <= today,
                summary=_summary(fact),
                description=_description(fact, fact_url),
                url=fact_url,
                category=fact.kind.value,
            )
        )
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()
