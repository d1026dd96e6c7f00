"""What falls on a date: anniversaries, the day counts fans celebrate, countdowns, status changes.

`DayItems` gathers everything for one date with a handful of indexed queries; each
subscription then takes the items about the subjects it follows. 10,000 subscriptions share
the few dates their zones are in, so a day's digests cost a few queries, not 10,000.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.dates import _is_leap, anniversary_years, day_number, human, ordinal
from bot.replies import Reply, ReplyBuilder
from storage.facts import FactStore
from storage.models import Fact, FactKind, PartialDate

MAX_LINES = 50
COUNTDOWNS = (100, 30, 7, 1, 0)  # D-100 … D-day
# Day counts fans celebrate: every 100th day up to the 1,000th, then every 1,000th.
DAY_COUNTS = (*range(100, 1000, 100), *range(1000, 20001, 1000))
COUNTED_KINDS = (FactKind.RELEASE, FactKind.STATUS, FactKind.EVENT)  # debuts, releases, enlistments


@dataclass(frozen=True)
class Item:
    rank: int  # status changes, then D-day, countdowns, anniversaries, day counts
    text: str
    fact: Fact
    when: PartialDate | None = None

    @property
    def subject_ids(self) -> frozenset[int]:
        return frozenset(s.id for s in self.fact.subjects)


def _names(fact: Fact) -> str:
    return ", ".join(s.name for s in fact.subjects) or "—"


def _state(fact: Fact) -> str:
    return str(fact.detail("state") or "their break")


def _began(fact: Fact) -> str:
    return f"{_names(fact)} began {_state(fact)}"


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


async def day_items(facts: FactStore, on: dt.date) -> DayItems:
    items: list[Item] = []
    # Yearly anniversaries (29 February remembered on 28 February in other years).
    month_days = [(on.month, on.day)]
    if (on.month, on.day) == (2, 28) and not _is_leap(on.year):
        month_days.append((2, 29))
    found, _ = await facts.facts_on_month_days(month_days, on.year, limit=1_000_000)
    # The store hands out only facts that happened on their date: a status counts from when it
    # began, never from the day a source saw it ("as of").
    for fact in found:
        years = anniversary_years(fact.date, on)
        if years:
            ago = "1 year ago today" if years == 1 else f"{years} years ago today"
            what = _began(fact) if fact.kind is FactKind.STATUS else fact.summary
            items.append(Item(3, f"{ago}: {what}", fact))
    # Day counts: the fact's own day is day 1. A status that has ended counts no more days.
    starts = {on - dt.timedelta(days=n - 1): n for n in DAY_COUNTS}
    for fact in await facts.facts_on_dates(sorted(starts)):
        n = day_number(fact.date, on)
        if fact.kind not in COUNTED_KINDS or n not in DAY_COUNTS:
            continue
        th = f"{n:,}{ordinal(n)[-2:]}"
        if fact.kind is FactKind.STATUS:
            until = _until(fact)
            if until is not None and until <= on:
                continue
            text = f"The {th} day of {_names(fact)}'s {_state(fact)}"
        else:
            text = f"The {th} day since: {fact.summary}"
        items.append(Item(4, text, fact))
    # Countdowns to future-dated facts, and to statuses expected to end.
    ahead = {on + dt.timedelta(days=k): k for k in COUNTDOWNS}
    for fact in await facts.facts_on_dates(sorted(ahead)):
        k = ahead[fact.date.as_date()]  # type: ignore[index]
        label = "D-day" if k == 0 else f"D-{k}"
        items.append(Item(1 if k == 0 else 2, f"{label}: {fact.summary}", fact))
    for fact in await facts.statuses_until(sorted(ahead)):
        until = _until(fact)
        if until is None:
            continue
        k = (until - on).days
        state = _state(fact)
        if k == 0:
            text = f"{_names(fact)} is back today: {state} ends, active again from today"
            items.append(Item(0, text, fact, PartialDate.of(until)))
        else:
            end = human(PartialDate.of(until))
            text = f"D-{k}: {_names(fact)}'s {state} is expected to end on {end}"
            items.append(Item(2, text, fact, PartialDate.of(until)))
    return DayItems(on, items)


def digest(day: DayItems, subject_ids: Iterable[int] | None, zone_label: str) -> Reply | None:
    """The post for one subscription, or None when nothing falls on the date for it."""
    chosen = day.about(subject_ids)
    if not chosen:
        return None
    b = ReplyBuilder(title=f"Today, {human(PartialDate.of(day.on))}")
    for item in chosen[:MAX_LINES]:
        b.fact(item.fact, item.text, item.when or item.fact.date)
    more = len(chosen) - MAX_LINES
    tail = f"…and {more:,} more: /today lists them. " if more > 0 else ""
    b.footer = f"{tail}Your daily fanbot digest; dates are {zone_label} calendar days."
    return b.build()
