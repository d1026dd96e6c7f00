"""What falls on a date: anniversaries, the day counts fans celebrate, countdowns, status changes.

`DayItems` gathers everything for one date with a handful of indexed queries; each
subscription then takes the items about the subjects it follows. 10,000 subscriptions share
the few dates their zones are in, so a day's digests cost a few queries, not 10,000.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from bot.dates import _is_leap, anniversary_in, anniversary_years, day_number
from bot.fact_text import local_name, sentence, word
from bot.i18n import N_, P_, Translator, translator
from bot.replies import Reply, ReplyBuilder
from storage.facts import FactStore
from storage.models import BIRTH, DEBUT, Fact, FactKind, PartialDate
from storage.store import Store

MAX_LINES = 50
COUNTDOWNS = (100, 30, 7, 1, 0)  # D-100 … D-day
# Day counts fans celebrate: every 100th day up to the 1,000th, then every 1,000th.
DAY_COUNTS = (*range(100, 1000, 100), *range(1000, 20001, 1000))
COUNTED_KINDS = (FactKind.RELEASE, FactKind.STATUS, FactKind.EVENT)  # debuts, releases, enlistments
BIRTHDAY_COUNTDOWNS = (7, 1)  # D-7, D-1 to a birthday (issue 16)


Names = Mapping[int, str]  # subjects' names in the reader's language, by id
Words = Callable[[Translator, Names], str]


@dataclass(frozen=True)
class Item:
    """One thing the date means; its words are said in the reader's language (`say`)."""

    rank: int  # status changes, then D-day, countdowns, anniversaries, day counts
    words: Words = field(compare=False, repr=False)
    fact: Fact = field(compare=True)
    when: PartialDate | None = None

    def say(self, tr: Translator, names: Names | None = None) -> str:
        return self.words(tr, names or {})

    @property
    def text(self) -> str:
        """The English words (sorting, logs, the tests of the planner)."""
        return self.say(translator())

    @property
    def subject_ids(self) -> frozenset[int]:
        return frozenset(s.id for s in self.fact.subjects)


def _names(fact: Fact, tr: Translator, names: Names) -> str:
    return tr._(", ").join(names.get(s.id, s.name) for s in fact.subjects) or "—"


def _state(fact: Fact, tr: Translator) -> str:
    state = fact.detail("state")
    return word(tr, "state", str(state)) if state else tr._("their break")


def _began(fact: Fact, tr: Translator, names: Names) -> str:
    return tr._("{names} began {state}").format(
        names=_names(fact, tr, names), state=_state(fact, tr)
    )


def _until(fact: Fact) -> dt.date | None:
    try:
        return PartialDate.parse(str(fact.detail("until"))).as_date()
    except ValueError:
        return None


@dataclass
class DayItems:
    """Everything a date means, and the items about each subject."""

    on: dt.date
    items: list[Item]
    by_subject: dict[int, list[Item]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[int, list[Item]] = defaultdict(list)
        for item in self.items:
            for sid in item.subject_ids:
                index[sid].append(item)
        self.by_subject = dict(index)

    def about(self, subject_ids: Iterable[int] | None) -> list[Item]:
        """Items for these subjects (None: every subject), in digest order, each once."""
        if subject_ids is None:
            chosen = list(self.items)
        else:
            seen: dict[int, Item] = {}
            for sid in subject_ids:
                for item in self.by_subject.get(sid, ()):
                    seen[id(item)] = item
            chosen = list(seen.values())
        return sorted(chosen, key=lambda i: (i.rank, i.fact.date, i.fact.id, i.text))


def _what(fact: Fact) -> str | None:
    """BIRTH or DEBUT for a catalogue event that happened on its date; an "as of" is never one."""
    what = fact.detail("what")
    if fact.kind is not FactKind.EVENT or what not in (BIRTH, DEBUT):
        return None
    if not fact.happened or fact.detail("as_of") is not None or fact.hidden:
        return None
    return str(what)


def _month_days(day: dt.date) -> list[tuple[int, int]]:
    """The (month, day)s remembered on `day`: 29 February is also remembered on 28 February
    in years without one."""
    found = [(day.month, day.day)]
    if (day.month, day.day) == (2, 28) and not _is_leap(day.year):
        found.append((2, 29))
    return found


def celebrations(facts: Iterable[Fact], on: dt.date) -> list[Item]:
    """Birthdays, debut anniversaries, day counts since birth and debut, and D-7 / D-1 to
    birthdays that fall on `on`, from any facts (a pure function: the tests hand it facts).

    Only births and debuts known to the day count; a 29 February birthday is kept on 28
    February in common years, its countdowns counted to that day.
    """
    items: list[Item] = []
    seen: set[int] = set()
    for fact in facts:
        what = _what(fact)
        if what is None or fact.id in seen:
            continue
        seen.add(fact.id)
        years = anniversary_years(fact.date, on)
        if years and what == BIRTH:
            items.append(Item(3, _birthday(fact), fact))
        elif years:
            items.append(Item(3, _debut_years(years, fact), fact))
        n = day_number(fact.date, on)
        if n in DAY_COUNTS:  # a life counts its days as a career does: "V's 10,000th day"
            items.append(
                Item(4, (_life_days if what == BIRTH else _debut_days)(n or 0, fact), fact)
            )
        for k in BIRTHDAY_COUNTDOWNS if what == BIRTH else ():
            ahead = on + dt.timedelta(days=k)
            due = anniversary_in(fact.date, ahead.year) == ahead
            if due and anniversary_years(fact.date, ahead):
                when = PartialDate.of(ahead)
                items.append(Item(2, _birthday_countdown(k, ahead, fact), fact, when))
    return items


async def day_items(facts: FactStore, on: dt.date) -> DayItems:
    items: list[Item] = []
    # Yearly anniversaries (29 February remembered on 28 February in other years).
    found, _ = await facts.facts_on_month_days(_month_days(on), on.year, limit=1_000_000)
    # The store hands out only facts that happened on their date: a status counts from when it
    # began, never from the day a source saw it ("as of"). Births and debuts have their own words.
    for fact in found:
        years = anniversary_years(fact.date, on)
        if years and _what(fact) is None:
            items.append(Item(3, _ago(years, fact), fact))
    # Day counts: the fact's own day is day 1. A status that has ended counts no more days.
    starts = {on - dt.timedelta(days=n - 1): n for n in DAY_COUNTS}
    counted = await facts.facts_on_dates(sorted(starts))
    for fact in counted:
        n = day_number(fact.date, on)
        if fact.kind not in COUNTED_KINDS or n not in DAY_COUNTS or _what(fact) is not None:
            continue  # births and debuts are counted in their own words (celebrations)
        if fact.kind is FactKind.STATUS:
            until = _until(fact)
            if until is not None and until <= on:
                continue
        items.append(Item(4, _day_count(n, fact), fact))
    # Birthdays and debuts: today's, and the birthdays 7 and 1 days ahead.
    ahead_days = [on + dt.timedelta(days=k) for k in BIRTHDAY_COUNTDOWNS]
    month_days = sorted({md for day in ahead_days for md in _month_days(day)})
    coming, _ = await facts.facts_on_month_days(month_days, on.year + 1, limit=1_000_000)
    items.extend(celebrations([*found, *coming, *counted], on))
    # Countdowns to future-dated facts, and to statuses expected to end.
    ahead = {on + dt.timedelta(days=k): k for k in COUNTDOWNS}
    for fact in await facts.facts_on_dates(sorted(ahead)):
        k = ahead[fact.date.as_date()]  # type: ignore[index]
        items.append(Item(1 if k == 0 else 2, _countdown(k, fact), fact))
    for fact in await facts.statuses_until(sorted(ahead)):
        until = _until(fact)
        if until is None:
            continue
        k = (until - on).days
        items.append(Item(0 if k == 0 else 2, _ending(k, until, fact), fact, PartialDate.of(until)))
    return DayItems(on, items)


def _birthday(fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        return tr._("Happy birthday, {name}! Born {date}").format(
            name=_names(fact, tr, names), date=tr.date(fact.date)
        )

    return say


def _debut_years(years: int, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        text = tr.ngettext(
            "{names} debuted {n} year ago today", "{names} debuted {n} years ago today", years
        )
        return text.format(names=_names(fact, tr, names), n=tr.number(years))

    return say


def _debut_days(n: int, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        text = N_("{names}'s {nth} since debut")
        return tr.fill(text, names=_names(fact, tr, names), nth=tr.nth_day(n))

    return say


def _life_days(n: int, fact: Fact) -> Words:
    """A person's day count is their own ("V's 10,000th day"), not a day since a sentence."""

    def say(tr: Translator, names: Names) -> str:
        text = P_("day count of a life", "{name}'s {nth}")
        return tr.fill(text, name=_names(fact, tr, names), nth=tr.nth_day(n))

    return say


def _birthday_countdown(k: int, day: dt.date, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        return tr._("D-{k}: {name}'s birthday, {day}").format(
            k=k, name=_names(fact, tr, names), day=tr.month_day(day)
        )

    return say


def _ago(years: int, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        ago = tr.ngettext("{n} year ago today", "{n} years ago today", years)
        status = fact.kind is FactKind.STATUS
        what = _began(fact, tr, names) if status else sentence(fact, tr, names)
        return f"{ago.format(n=tr.number(years))}: {what}"

    return say


def _day_count(n: int, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        if fact.kind is FactKind.STATUS:
            return tr._("The {nth} of {names}'s {state}").format(
                nth=tr.nth_day(n), names=_names(fact, tr, names), state=_state(fact, tr)
            )
        return tr._("The {nth} since: {what}").format(
            nth=tr.nth_day(n), what=sentence(fact, tr, names)
        )

    return say


def _countdown(k: int, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        label = tr._("D-day") if k == 0 else f"D-{k}"
        return f"{label}: {sentence(fact, tr, names)}"

    return say


def _ending(k: int, until: dt.date, fact: Fact) -> Words:
    def say(tr: Translator, names: Names) -> str:
        who, state = _names(fact, tr, names), _state(fact, tr)
        if k == 0:
            return tr._("{names} is back today: {state} ends, active again from today").format(
                names=who, state=state
            )
        return tr._("D-{k}: {names}'s {state} is expected to end on {date}").format(
            k=k, names=who, state=state, date=tr.date(PartialDate.of(until))
        )

    return say


def digest(
    day: DayItems,
    subject_ids: Iterable[int] | None,
    zone_label: str | None = None,
    *,
    tr: Translator | None = None,
    names: Names | None = None,
    zone: str = "Asia/Seoul",
) -> Reply | None:
    """The post for one subscription in its language (`tr`; English by default), or None when
    nothing falls on the date for it. `names`: subjects' names in that language; `zone` is
    named in it (a `zone_label` given as text is shown as it is)."""
    tr = tr or translator()
    chosen = day.about(subject_ids)
    if not chosen:
        return None
    b = ReplyBuilder(
        title=tr._("Today, {date}").format(date=tr.date(PartialDate.of(day.on))),
        language=tr.language,
    )
    for item in chosen[:MAX_LINES]:
        b.fact(item.fact, item.say(tr, names), item.when or item.fact.date)
    more = len(chosen) - MAX_LINES
    tail = tr._("…and {more} more: /today lists them.").format(more=tr.number(more))
    label = tr.zone(zone) if zone_label is None or tr.language != "en" else zone_label
    footer = tr._("Your daily fanbot digest; dates are {zone} calendar days.").format(zone=label)
    b.footer = f"{tail} {footer}" if more > 0 else footer
    return b.build()


async def localized_digest(
    store: Store,
    day: DayItems,
    subject_ids: Iterable[int] | None,
    zone: str,
    language: str,
) -> Reply | None:
    """`digest` in a language, its subjects named by their aliases in it (뷔 in Korean)."""
    tr = translator(language)
    chosen = day.about(subject_ids)
    ids = sorted({s.id for item in chosen[:MAX_LINES] for s in item.fact.subjects})
    subjects = await store.facts.subjects(ids) if ids and language != "en" else []
    names = {s.id: local_name(s, tr.language) for s in subjects}
    label = None if language != "en" else zone_label_en(zone)
    return digest(day, subject_ids, label, tr=tr, names=names, zone=zone)


def zone_label_en(zone: str) -> str:
    return "KST (Asia/Seoul)" if zone == "Asia/Seoul" else zone
