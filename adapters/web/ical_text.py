"""iCalendar content lines written straight to text: the fast path of the feeds.

icalendar builds a property object, a parameter dictionary and a folded line for every value,
about 0.2 ms an event; a feed of an artist with its members has dozens. The events' shape is
fixed (all-day, a yearly rule or none, text, a link), so their lines are written here as
icalendar would write them: TEXT escaped as its vText (RFC 5545 3.3.11), lines folded at 75
octets as its folding does (never inside a character or right after a backslash), properties
in its order. tests/test_web_ical_text.py holds each against icalendar's own output.
"""

from __future__ import annotations

import datetime as dt

from icalendar import vRecur

FOLD = 75  # octets of a content line, the line break not counted (RFC 5545 3.1)
YEARLY = vRecur(freq="yearly").to_ical().decode()
# A 29 February recurs on February's last day, so the 28th in common years (the digests' rule).
YEARLY_LAST_OF_FEBRUARY = vRecur(freq="yearly", bymonth=2, bymonthday=-1).to_ical().decode()


def text(value: str) -> str:
    """A TEXT value escaped: backslash, semicolon, comma, and line breaks as \\n."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded: chunks of at most 74 octets, each next one after CRLF and a space."""
    raw = line.encode()
    if len(raw) < FOLD:
        return line
    chunks: list[bytes] = []
    start = 0
    while len(raw) - start >= FOLD:
        end = start + FOLD - 1
        while raw[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: keep its character whole
            end -= 1
        if end - start > 1 and raw[end - 1] in b"\\^":  # keep an escape with what it escapes
            end -= 1
        chunks.append(raw[start:end])
        start = end
    chunks.append(raw[start:])
    return b"\r\n ".join(chunks).decode()


def _date(day: dt.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"  # strftime drops a small year's zeros


def _utc(at: dt.datetime) -> str:
    at = at.astimezone(dt.UTC)
    return f"{_date(at)}T{at.hour:02d}{at.minute:02d}{at.second:02d}Z"


def _one_line(value: str) -> str:
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def calendar_head(*, name: str, about: str, source: str, prodid: str, refresh: str) -> str:
    """The VCALENDAR's opening lines as icalendar writes them (RFC 7986's NAME and SOURCE,
    REFRESH-INTERVAL; the X-WR- names Apple and Google read), in icalendar's order; CRLF-ended.
    `refresh` is a DURATION value (P1D).

    icalendar writes a calendar's own properties unescaped (commas and semicolons as they
    are), and so do we; a line break, which icalendar refuses with an error, is written \\n."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        fold("PRODID:" + _one_line(prodid)),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold("X-WR-CALDESC:" + _one_line(about)),
        fold("NAME:" + _one_line(name)),
        fold("X-WR-CALNAME:" + _one_line(name)),
        "REFRESH-INTERVAL;VALUE=DURATION:" + refresh,
        fold("SOURCE;VALUE=URI:" + _one_line(source)),
        "X-PUBLISHED-TTL:" + refresh,
        "",
    ]
    return "\r\n".join(lines)


def all_day_event(
    *,
    uid: str,
    stamp: dt.datetime,
    day: dt.date,
    recurring: bool,
    summary: str,
    description: str,
    url: str,
    category: str,
) -> str:
    """One VEVENT on `day` (DTEND the next day), yearly from it when `recurring`; CRLF-ended."""
    lines = [
        "BEGIN:VEVENT",
        fold("SUMMARY:" + text(summary)),
        "DTSTART;VALUE=DATE:" + _date(day),
        "DTEND;VALUE=DATE:" + _date(day + dt.timedelta(days=1)),
        "DTSTAMP:" + _utc(stamp),
        fold("UID:" + text(uid)),
    ]
    if recurring:
        rule = YEARLY_LAST_OF_FEBRUARY if (day.month, day.day) == (2, 29) else YEARLY
        lines.append("RRULE:" + rule)
    lines += [
        fold("CATEGORIES:" + text(category)),
        fold("DESCRIPTION:" + text(description)),
        "TRANSP:TRANSPARENT",  # an anniversary does not make anyone busy
        fold("URL:" + url),
        "END:VEVENT",
        "",
    ]
    return "\r\n".join(lines)
