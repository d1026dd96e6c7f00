"""Raw argument text to typed values, in one place for every platform."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from bot.commands import Param, ParamKind, param_name
from bot.errors import FanbotError, Said
from bot.i18n import N_
from bot.names import NameResolver
from bot.text import clean_input, shorten
from bot.zones import parse_zone
from storage.facts import FactStore
from storage.models import InvalidDate, PartialDate

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


def parse_time(text: str) -> dt.time:
    m = _TIME.match(text.strip())
    if not m:
        raise FanbotError(
            N_("“{text}” is not a time of day like 09:00 or 21:30."), text=shorten(text, 40)
        )
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            raise FanbotError(
                N_("“{text}” is not a time: with am/pm the hour is 1 to 12."), text=text
            )
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise FanbotError(N_("“{text}” is not a time: hours go 0–23 and minutes 0–59."), text=text)
    return dt.time(hour, minute)


_DATE_SHAPE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")  # as storage reads it


def not_a_date(text: str) -> FanbotError:
    """Why `text` is no date, in the reader's language: storage's InvalidDate says it in English
    only, so the reason is found again here (the same checks, in the same order)."""
    m = _DATE_SHAPE.match(text)
    if not m:
        return FanbotError(
            N_("That is not a date: {text} is not a date like 2024-01-24, 2024-01 or 2024."),
            text=repr(shorten(text, 40)),
        )
    year, month, day = (int(g) if g else None for g in m.groups())
    assert year is not None
    if not 1 <= year <= 9999:
        return FanbotError(N_("That is not a date: year {year} is out of range."), year=year)
    if month is not None and not 1 <= month <= 12:
        return FanbotError(N_("That is not a date: there is no month {month}."), month=month)
    last = calendar.monthrange(year, month or 1)[1]
    return FanbotError(
        N_("That is not a date: {month} has no day {day} (it has {last})."),
        month=f"{year}-{month:02d}",
        day=day,
        last=last,
    )


def parse_date(text: str) -> dt.date:
    try:
        date = PartialDate.parse(text)
    except InvalidDate:
        raise not_a_date(text) from None
    day = date.as_date()
    if day is None:
        raise FanbotError(N_("“{text}” needs a day too, like 2024-01-24."), text=text)
    return day


URL_MAX = 500


def parse_url(text: str) -> str:
    """A web address a person can open: http(s), a host name with a dot, no spaces."""
    url = text.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    problem = f"“{shorten(text, 60)}” is not a web address like https://example.com/news."
    if len(url) > URL_MAX:
        raise FanbotError(f"That web address is too long (at most {URL_MAX} characters).")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise FanbotError(problem) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or "." not in host.strip(".")
        or any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url)
    ):
        raise FanbotError(problem)
    return url


def parse_number(text: str, name: str, minimum: int | None = 0) -> int:
    """A whole number as people write it: 1,000,000 or 1_000_000 or 1000000."""
    cleaned = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?\d{1,18}", cleaned):
        raise FanbotError(f"{name} should be a whole number, not “{shorten(text, 40)}”.")
    value = int(cleaned)
    if minimum is not None and value < minimum:
        raise FanbotError(f"{name} should be at least {minimum}, not {value}.")
    return value


def _named(param: Param) -> Said:
    """The parameter's name as the reader's menus show it ("days" / "일수")."""
    return lambda tr: param_name(tr, param.name)


async def convert(param: Param, raw: str, resolver: NameResolver, facts: FactStore) -> Any:
    """One argument's raw text to the value its handler takes; FanbotError when it can't be."""
    text = clean_input(raw)
    if len(raw) > param.max_length:
        raise FanbotError(
            N_("{name} is too long ({length} characters; at most {limit})."),
            name=_named(param),
            length=f"{len(raw):,}",
            limit=f"{param.max_length:,}",
        )
    if not text:
        raise FanbotError(N_("{name} is empty."), name=_named(param))
    kind = param.kind
    if kind is ParamKind.SUBJECT:
        if not param.many:
            return await resolver.resolve(text)
        return await _many_subjects(text, resolver)
    if kind is ParamKind.TEXT:
        return text
    if kind is ParamKind.DATE:
        return parse_date(text)
    if kind is ParamKind.PARTIAL_DATE:
        try:
            return PartialDate.parse(text)
        except InvalidDate:
            raise not_a_date(text) from None
    if kind is ParamKind.INTEGER:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise FanbotError(
                N_("{name} should be a whole number, not “{text}”."),
                name=_named(param),
                text=shorten(text, 40),
            ) from None
        if (
            param.minimum is not None
            and value < param.minimum
            or (param.maximum is not None and value > param.maximum)
        ):
            raise FanbotError(
                N_("{name} should be from {minimum} to {maximum}, not {value}."),
                name=_named(param),
                minimum=param.minimum,
                maximum=param.maximum,
                value=value,
            )
        return value
    if kind is ParamKind.CHOICE:
        for choice in param.choices:
            if choice.casefold() == text.casefold():
                return choice
        raise FanbotError(
            N_("{name} is one of: {choices}."), name=_named(param), choices=", ".join(param.choices)
        )
    if kind is ParamKind.FACT:
        number = text.lstrip("#")
        if not (number.isascii() and number.isdigit()) or len(number) > 12:
            raise FanbotError(
                N_("A fact is given by its number, like #12, not “{text}”."),
                text=shorten(text, 40),
            )
        fact = await facts.fact(int(number))
        if fact is None:
            raise FanbotError(N_("There is no fact #{number}."), number=int(number))
        return fact
    if kind is ParamKind.TIME:
        return parse_time(text)
    if kind is ParamKind.TIMEZONE:
        return parse_zone(text)
    raise AssertionError(f"unhandled parameter kind {kind}")


async def _many_subjects(text: str, resolver: NameResolver) -> tuple:
    """'V, IU' or 'V IU' or 'Kim Taehyung': each name resolved, at most 25, each once."""
    found = []
    for part in (await resolver.split_names(text))[:25]:
        subject = await resolver.resolve(part)
        if subject not in found:
            found.append(subject)
    return tuple(found)
