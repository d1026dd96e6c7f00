"""Time zones as fans type them: IANA names (tzdata), and the few abbreviations that are safe.

An abbreviation is accepted only when it means one offset that holds all year everywhere it is
used, so a post never drifts by an hour at a daylight-saving change nobody named:

- KST, JST, HKT, WIB: tzdata itself writes them for Asia/Seoul (and Pyongyang, the same
  offset), Asia/Tokyo, Asia/Hong_Kong, Asia/Jakarta (and Pontianak), none with summer time;
- UTC, GMT, Z: offset zero. GMT is read as UTC all year; London in summer is Europe/London;
- SGT, PHT: Singapore and Philippine Time, as people write them (tzdata writes "+08" and
  "PST"), one meaning each and no summer time.

The abbreviations that people type but that name no one such zone (PST is Pacific and
Philippine time; CST is US Central and China; IST is India, Ireland and Israel; EST, MST,
BST, AEST and CEST are the standard or summer half of zones that change) get a message naming
the IANA zones to use instead. tests/test_zones.py checks both tables against tzdata.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache
from zoneinfo import ZoneInfo

from rapidfuzz import process

from bot.errors import FanbotError
from bot.i18n import N_, Translator, translator
from bot.text import shorten

# abbreviation -> (IANA zone, what it stands for)
ABBREVIATIONS: dict[str, tuple[str, str]] = {
    "KST": ("Asia/Seoul", "Korea Standard Time"),
    "JST": ("Asia/Tokyo", "Japan Standard Time"),
    "HKT": ("Asia/Hong_Kong", "Hong Kong Time"),
    "WIB": ("Asia/Jakarta", "Western Indonesia Time"),
    "SGT": ("Asia/Singapore", "Singapore Time"),
    "PHT": ("Asia/Manila", "Philippine Time"),
    "UTC": ("UTC", "Coordinated Universal Time"),
    "GMT": ("UTC", "Greenwich Mean Time, read as UTC all year"),
    "Z": ("UTC", "Zulu time, UTC"),
}

# abbreviation -> the IANA zones it may mean (name, what it is there)
AMBIGUOUS: dict[str, tuple[tuple[str, str], ...]] = {
    "PST": (("America/Los_Angeles", N_("US Pacific")), ("Asia/Manila", N_("Philippines"))),
    "PDT": (("America/Los_Angeles", N_("US Pacific")),),
    "CST": (("America/Chicago", N_("US Central")), ("Asia/Shanghai", N_("China"))),
    "CDT": (("America/Chicago", N_("US Central")),),
    "EST": (("America/New_York", N_("US Eastern")),),
    "EDT": (("America/New_York", N_("US Eastern")),),
    "MST": (("America/Denver", N_("US Mountain")), ("America/Phoenix", N_("Arizona"))),
    "IST": (
        ("Asia/Kolkata", N_("India")),
        ("Europe/Dublin", N_("Ireland")),
        ("Asia/Jerusalem", N_("Israel")),
    ),
    "BST": (("Europe/London", N_("British Summer Time")), ("Asia/Dhaka", N_("Bangladesh"))),
    "AEST": (
        ("Australia/Sydney", N_("Sydney, Melbourne")),
        ("Australia/Brisbane", N_("Queensland")),
    ),
    "CEST": (("Europe/Paris", N_("Central Europe")), ("Europe/Berlin", N_("Central Europe"))),
}

_IANA_SHAPE = re.compile(r"^[A-Za-z_]+/[A-Za-z_+\-/0-9]+$")


@cache
def _zones() -> dict[str, str]:
    """Every IANA zone tzdata knows, by its case-folded name."""
    return {z.casefold(): z for z in zoneinfo.available_timezones()}


def looks_like_zone(text: str) -> bool:
    """Whether a word at a zone's place is meant as one (so it is not read as a name)."""
    word = text.strip()
    return bool(_IANA_SHAPE.match(word)) or word.upper() in ABBREVIATIONS | AMBIGUOUS


def parse_zone(text: str) -> ZoneInfo:
    """An IANA name in any case, or an abbreviation of ABBREVIATIONS; FanbotError otherwise."""
    name = text.strip()
    upper = name.upper()
    if upper in ABBREVIATIONS:
        return ZoneInfo(ABBREVIATIONS[upper][0])
    if upper in AMBIGUOUS:
        options = AMBIGUOUS[upper]

        def listed(tr: Translator) -> str:
            return tr._(" or ").join(f"{zone} ({tr._(where)})" for zone, where in options)

        raise FanbotError(
            N_(
                "“{name}” names no one zone I can follow all year (it depends on where you are, "
                "or on summer time): use {zones}."
            ),
            suggestions=tuple(zone for zone, _ in options),
            name=upper,
            zones=listed,
        )
    exact = _zones().get(name.casefold())
    if exact:
        return ZoneInfo(exact)
    found = process.extract(name, list(_zones().values()), limit=3, score_cutoff=60)
    guesses = [g[0] for g in found]

    def hint(tr: Translator) -> str:
        return tr._(" Did you mean {zones}?").format(zones=", ".join(guesses)) if guesses else ""

    raise FanbotError(
        N_(
            "“{name}” is not a time zone I know; use a name like Asia/Seoul, America/New_York, "
            "or KST, JST, UTC.{hint}"
        ),
        suggestions=(),
        name=shorten(text, 40),
        hint=hint,
    )


def _offset(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta()).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe_zone(zone: ZoneInfo, now: dt.datetime, tr: Translator | None = None) -> str:
    """'Asia/Tokyo — JST, UTC+09:00 all year': which zone a reply means, and how it moves,
    said in the reader's language (`tr`; English by default)."""
    local = now.astimezone(zone)
    year = local.year
    offsets = {
        dt.datetime(year, month, 15, 12, tzinfo=dt.UTC).astimezone(zone).utcoffset()
        for month in (1, 7)
    }
    # Ours first: tzdata writes "+08" for Singapore and "PST" for Manila.
    short = next((a for a, (z, _) in ABBREVIATIONS.items() if z == zone.key), None)
    named = short or local.tzname() or ""
    if not named[:1].isalpha() or named == zone.key:
        named = ""
    pieces = [p for p in (named, _offset(local.utcoffset())) if p]
    tr = tr or translator()
    said = N_("{zone} — {offset} now; it follows summer time") if len(offsets) > 1 else N_(
        "{zone} — {offset} all year"
    )
    return tr._(said).format(zone=zone.key, offset=", ".join(pieces))
