"""Rows to domain objects: the one SELECT that builds whole facts, and what it is made of.

Every repository that returns facts (reads, writes in a transaction, search) builds them here,
so a Fact is made the same way whoever asks. Subjects, sources and dates repeat across facts
(one article backs many); all are frozen, so `FactRows` keeps one object each, and a fact
costs a few dictionary hits instead of three constructors. Those caches belong to the store
that opened them (one `FactRows` per Store), not to the module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import orjson

from storage.backend import Row
from storage.models import (
    Fact,
    FactKind,
    PartialDate,
    Source,
    Subject,
    SubjectKind,
    SubjectRef,
)

# One query builds whole facts, subjects and sources included, so a command costs one round trip.
# The row keeps its subjects and sources as JSON (migration 0008's triggers keep them right).
# FactRows.fact reads the columns by position: keep this order.
FACT_SELECT = """
SELECT f.id, f.key, f.kind, f.summary, f.year, f.month, f.day, f.hidden, f.version,
  '[' || f.details || ',' || f.subject_refs || ',' || f.source_refs || ']' AS body
FROM facts f
"""
# A date worth celebrating: when the fact happened. A status counts only when its date is when
# it began (`since`); a status seen by a source on a day ("as of") is shown, never celebrated.
HAPPENED = (
    " AND (f.kind <> 'status' OR json_extract(f.details, '$.since')"
    " = printf('%04d-%02d-%02d', f.year, f.month, f.day))"
)
NEWEST_FIRST = " ORDER BY f.year DESC, f.month DESC NULLS LAST, f.day DESC NULLS LAST, f.id DESC"


def page(where: str, order: str) -> str:
    """Facts matching `where`, in `order`, at most `?` of them (the last parameter).

    The page is picked on the narrow columns first, so only the facts shown build their JSON
    body: sorting whole rows built every match's body and then threw most of them away.
    """
    return (
        FACT_SELECT
        + f" JOIN (SELECT f.id AS page_id FROM facts f{where}{order} LIMIT ?) ON f.id = page_id"
        + order
    )


_KINDS = {kind.value: kind for kind in FactKind}
CACHED = 65_536  # distinct subjects, sources and dates kept as single objects


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def details_json(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def ymd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


class FactRows:
    """Builds Facts from FACT_SELECT rows, one object per distinct subject, source and date."""

    def __init__(self, cached: int = CACHED) -> None:
        self.subject_ref: Callable[..., SubjectRef] = lru_cache(maxsize=cached)(SubjectRef)
        self._source: Callable[..., Source] = lru_cache(maxsize=cached)(Source)
        self._date: Callable[..., PartialDate] = lru_cache(maxsize=cached)(PartialDate.stored)

    def fact(self, row: Row) -> Fact:
        # Columns by position, in FACT_SELECT's order (by name costs a search per column). One
        # JSON text per row, [details, subjects, sources]: one decode instead of three. The
        # date was checked when it was written.
        details, subjects, sources = orjson.loads(row[9])
        subject_ref, source = self.subject_ref, self._source
        return Fact(
            row[0],  # id
            row[1],  # key
            _KINDS[row[2]],
            row[3],  # summary
            self._date(row[4], row[5], row[6]),
            tuple([subject_ref(*s) for s in subjects]),
            tuple([source(*s) for s in sources]),
            details,
            bool(row[7]),  # hidden
            row[8],  # version
        )

    def facts(self, rows: Iterable[Row]) -> list[Fact]:
        fact = self.fact
        return [fact(r) for r in rows]


class SubjectBook:
    """Subjects as flat rows grouped by id; a whole Subject is built the first time it is asked.

    The name index keeps a book of every subject and rebuilds it whenever names change:
    plain columns and one dictionary pass keep that cheap on a large store, where building
    every Subject (or JSON per subject in SQL) up front would cost more than it saves.
    Rows: (id, slug, name, kind), (subject_id, alias, ...), and (group id, slug, name,
    member id, slug, name) in the order the memberships were written.
    """

    def __init__(
        self,
        subject_rows: Iterable[Sequence[Any]],
        alias_rows: Iterable[Sequence[Any]],
        membership_rows: Iterable[Sequence[Any]],
        subject_ref: Callable[..., SubjectRef] = SubjectRef,
    ):
        self.rows: dict[int, tuple[str, str, str]] = {r[0]: tuple(r[1:4]) for r in subject_rows}
        self._aliases: dict[int, list[str]] = defaultdict(list)
        for row in alias_rows:
            self._aliases[row[0]].append(row[1])
        self.groups: dict[int, list[SubjectRef]] = defaultdict(list)
        self._members: dict[int, list[SubjectRef]] = defaultdict(list)
        for gid, gslug, gname, mid, mslug, mname in membership_rows:
            self.groups[mid].append(subject_ref(gid, gslug, gname))
            self._members[gid].append(subject_ref(mid, mslug, mname))
        self._built: dict[int, Subject] = {}

    def get(self, subject_id: int) -> Subject | None:
        subject = self._built.get(subject_id)
        if subject is None and subject_id in self.rows:
            slug, name, kind = self.rows[subject_id]
            members = sorted(self._members.get(subject_id, ()), key=lambda m: (m.name, m.id))
            subject = self._built[subject_id] = Subject(
                subject_id,
                slug,
                name,
                SubjectKind(kind),
                tuple(self._aliases.get(subject_id, ())),  # as given: see local_name
                tuple(self.groups.get(subject_id, ())),
                tuple(members),
            )
        return subject
