"""Domain objects the store hands out: frozen, free of rows and cursors (DESIGN rule 2)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SubjectKind(StrEnum):
    GROUP = "group"
    SOLOIST = "soloist"
    MEMBER = "member"


class FactKind(StrEnum):
    RELEASE = "release"
    MILESTONE = "milestone"
    STATUS = "status"
    EVENT = "event"


# The fields each kind of fact may carry, in the order they are shown. Values are text,
# numbers or lists of text; `summary` is the one-line sentence every fact has.
KIND_FIELDS: dict[FactKind, tuple[str, ...]] = {
    FactKind.RELEASE: ("title", "type", "featured"),
    FactKind.MILESTONE: ("platform", "metric", "value", "time_taken", "scope"),
    # A status began on `since` (often unknown) and was seen by a source on `as_of`.
    FactKind.STATUS: ("state", "since", "as_of", "until", "unit", "honours", "note"),
    FactKind.EVENT: ("what", "note"),
}

# The `what` of the events fans celebrate yearly: the catalogue writes them, the digests,
# `/birthday` and the website's feeds read them.
BIRTH, DEBUT = "birth", "debut"


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")


class InvalidDate(ValueError):
    """A date that is not on the calendar or not in YYYY[-MM[-DD]] form."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A calendar date known to the day, the month or only the year, as sources give it."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise InvalidDate(f"year {self.year} is out of range")
        if self.month is None:
            if self.day is not None:
                raise InvalidDate("a day needs a month")
            return
        if not 1 <= self.month <= 12:
            raise InvalidDate(f"there is no month {self.month}")
        if self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise InvalidDate(
                    f"{self.year}-{self.month:02d} has no day {self.day} (it has {last})"
                )

    @classmethod
    def stored(cls, year: int, month: int | None, day: int | None) -> PartialDate:
        """A date read back from the store, checked when written: skips the calendar checks."""
        date = object.__new__(cls)
        object.__setattr__(date, "year", year)
        object.__setattr__(date, "month", month)
        object.__setattr__(date, "day", day)
        return date

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read YYYY, YYYY-MM or YYYY-MM-DD; raise InvalidDate otherwise."""
        m = _DATE_RE.match(text)
        if not m:
            raise InvalidDate(f"{text!r} is not a date like 2024-01-24, 2024-01 or 2024")
        year, month, day = (int(g) if g else None for g in m.groups())
        return cls(year, month, day)  # type: ignore[arg-type]

    @classmethod
    def of(cls, day: dt.date) -> PartialDate:
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        return Precision.MONTH if self.month is not None else Precision.YEAR

    def as_date(self) -> dt.date | None:
        """The exact day, or None where the source gives only a month or a year."""
        if self.day is None or self.month is None:
            return None
        return dt.date(self.year, self.month, self.day)

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.iso()


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    publisher: str | None = None
    published: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True)
class SubjectRef:
    """Just enough of a subject to name it inside a fact."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Subject:
    id: int
    slug: str
    name: str
    kind: SubjectKind
    aliases: tuple[str, ...] = ()
    groups: tuple[SubjectRef, ...] = ()
    members: tuple[SubjectRef, ...] = ()

    @property
    def ref(self) -> SubjectRef:
        return SubjectRef(self.id, self.slug, self.name)


@dataclass(frozen=True)
class Fact:
    id: int
    key: str
    kind: FactKind
    summary: str
    date: PartialDate
    subjects: tuple[SubjectRef, ...]
    sources: tuple[Source, ...]
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    hidden: bool = False
    version: int = 1

    def detail(self, name: str, default: Any = None) -> Any:
        return self.details.get(name, default)

    @property
    def happened(self) -> bool:
        """Whether the date is when this happened, so anniversaries and day counts hold.

        A status's date is when it began only when `since` says so; otherwise it is the day a
        source saw the status ("as of"), which is shown but never celebrated.
        """
        return self.kind is not FactKind.STATUS or self.details.get("since") == self.date.iso()


@dataclass(frozen=True)
class NewSubject:
    """A subject to create or update, keyed by slug (seed files, import, admin commands)."""

    slug: str
    name: str
    kind: SubjectKind
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # slugs of the groups it belongs to


@dataclass(frozen=True)
class NewFact:
    """A fact to create or update, keyed by `key`; subjects are given by slug."""

    key: str
    kind: FactKind
    summary: str
    date: PartialDate
    subjects: tuple[str, ...]
    sources: tuple[Source, ...]
    details: dict[str, Any] = field(default_factory=dict, hash=False)
    hidden: bool = False
    id: int | None = None  # kept on import so "#12" means the same fact after a round trip


def normalize_name(text: str) -> str:
    """Fold a name for lookup: NFKC, case-folded, with spaces and punctuation dropped.

    "Kim Tae-hyung", "kimtaehyung" and "ＫＩＭ ＴＡＥＨＹＵＮＧ" all fold to "kimtaehyung";
    Hangul stays Hangul ("뷔").
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")
