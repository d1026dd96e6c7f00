"""The feeds' fast event lines against icalendar's own serialization of the same event.

adapters/web/ical_text.py writes VEVENTs without icalendar's per-property objects; these
tests build each event both ways, byte for byte, over text that escaping and folding must get
right: commas, semicolons, backslashes, line breaks, long Korean and emoji lines, and a
backslash where a line folds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar, Event, vDuration

from adapters.web.feeds import PRODID, REFRESH, REFRESH_TEXT
from adapters.web.ical_text import all_day_event, calendar_head, fold

STAMP = dt.datetime(2025, 1, 24, tzinfo=dt.UTC)
TEXTS = [
    "Love wins all",
    "a, b; c \\ d",
    "line one\nline two\r\nline three\rfour",
    "literal \\N stays a line break",
    "뷔 " * 60,
    "🎉 V's Instagram post reached 10,000,000 likes — fastest; of 2024 " * 3,
    *("x" * n + "\\;" + "y" * 80 for n in range(62, 68)),  # an escape where the line folds
    "é" * 37 + "x" + "é" * 40,
    "",
]


def icalendar_event(day: dt.date, recurring: bool, summary: str, description: str) -> bytes:
    """The event as adapters/web/feeds.py built it with icalendar before (the reference)."""
    event = Event()
    event.add("uid", "fanbot-fact-4@fans.example.org")
    event.add("dtstamp", STAMP)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    if recurring:
        rule = {"freq": "yearly"}
        if (day.month, day.day) == (2, 29):
            rule |= {"bymonth": 2, "bymonthday": -1}
        event.add("rrule", rule)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", "https://fans.example.org/fact/4?a=1,2;3")
    event.add("categories", ["milestone"])
    event.add("transp", "TRANSPARENT")
    return event.to_ical()


def ours(day: dt.date, recurring: bool, summary: str, description: str) -> bytes:
    return all_day_event(
        uid="fanbot-fact-4@fans.example.org",
        stamp=STAMP,
        day=day,
        recurring=recurring,
        summary=summary,
        description=description,
        url="https://fans.example.org/fact/4?a=1,2;3",
        category="milestone",
    ).encode()


@pytest.mark.parametrize("summary", TEXTS)
def test_text_is_escaped_and_folded_as_icalendar_does(summary: str) -> None:
    day = dt.date(2024, 1, 24)
    description = f"{summary}\n\nSource: {summary[::-1]}\nMore: https://fans.example.org/fact/4"
    assert ours(day, True, summary, description) == icalendar_event(day, True, summary, description)


@pytest.mark.parametrize(
    ("day", "recurring"),
    [
        (dt.date(2024, 2, 29), True),  # the last day of February in common years
        (dt.date(2023, 12, 31), True),  # DTEND in the next year
        (dt.date(2026, 6, 1), False),  # a future fact: a single event
        (dt.date(999, 3, 1), True),  # a small year keeps its four digits
    ],
)
def test_dates_and_rules_are_icalendars(day: dt.date, recurring: bool) -> None:
    assert ours(day, recurring, "s", "d") == icalendar_event(day, recurring, "s", "d")


def test_the_event_parses_back_to_what_was_written() -> None:
    summary = TEXTS[5]
    raw = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + ours(dt.date(2024, 2, 29), True, summary, "d")
    event = Calendar.from_ical(raw + b"END:VCALENDAR\r\n").walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == summary
    assert event["RRULE"]["BYMONTHDAY"] == [-1]


def test_folded_lines_stay_within_75_octets() -> None:
    line = fold("DESCRIPTION:" + "뷔🎉x\\" * 100)
    parts = line.encode().split(b"\r\n")
    assert len(parts) > 5 and all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    assert "".join(p.decode()[1:] if i else p.decode() for i, p in enumerate(parts)) == (
        "DESCRIPTION:" + "뷔🎉x\\" * 100
    )


def icalendar_head(name: str, about: str, source: str) -> bytes:
    """The calendar's head as adapters/web/feeds.py built it with icalendar before."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.calendar_name = name
    cal.add("x-wr-caldesc", about)
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    cal.add("source", source, parameters={"VALUE": "URI"})
    return cal.to_ical()


@pytest.mark.parametrize("name", TEXTS)
@pytest.mark.parametrize(
    "source",
    ["https://fans.example.org/calendar/iu.ics", "http://h:8080/calendar/%EB%B7%94.ics?a=1,2;3"],
)
def test_the_calendar_head_is_icalendars(name: str, source: str) -> None:
    about = f"Anniversaries and dates of {name}, with their sources"
    head = calendar_head(
        name=f"{name} — fanbot", about=about, source=source, prodid=PRODID, refresh=REFRESH_TEXT
    )
    ours = (head + "END:VCALENDAR\r\n").encode()
    if "\n" in name or "\r" in name:  # icalendar refuses a line break here; we write \n
        assert Calendar.from_ical(ours)["NAME"].count("line") == 3
        return
    assert ours == icalendar_head(f"{name} — fanbot", about, source)
