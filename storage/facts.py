"""Reading subjects, names and facts: what fans' commands, reminders and the website ask.

Writes go through a transaction (storage.unit: facts, names, audit, ...); search through
storage.search. All SQL here is parameterized.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.fact_rows import (
    FACT_SELECT,
    HAPPENED,
    NEWEST_FIRST,
    FactRows,
    SubjectBook,
    page,
    placeholders,
    ymd,
)
from storage.models import Fact, FactKind, NewFact, NewSubject, Subject
from storage.search import SearchIndex


@dataclass(frozen=True)
class AliasEntry:
    """One alias of one subject, for the name resolver's in-memory index."""

    subject_id: int
    alias: str
    norm: str


class FactStore:
    """Subjects, aliases and facts over the shared Database."""

    def __init__(self, db: Database, rows: FactRows, search: SearchIndex):
        self.db = db
        self._rows = rows
        self._search = search

    # ---- reading subjects ---------------------------------------------------------------

    async def subjects(self, ids: Sequence[int]) -> list[Subject]:
        """Whole subjects (aliases, groups, members) in the order of `ids`."""
        if not ids:
            return []
        book = await self._book(list(ids))
        return [s for s in map(book.get, ids) if s is not None]

    async def name_book(self) -> tuple[list[AliasEntry], SubjectBook]:
        """Every alias and every subject: what the name resolver keeps in memory."""
        # In the order they were given: a subject's first alias in a script is its name there.
        alias_rows = list(
            await self.db.fetchall("SELECT subject_id, alias, norm FROM aliases ORDER BY rowid")
        )
        book = await self._book(None, alias_rows)
        return [AliasEntry(r[0], r[1], r[2]) for r in alias_rows], book

    async def _book(
        self, ids: list[int] | None, alias_rows: Iterable[Sequence[Any]] | None = None
    ) -> SubjectBook:
        """The subjects with these ids (None: all), in three flat queries."""
        ph = placeholders(len(ids)) if ids is not None else ""
        only = (lambda clause: clause) if ids is not None else (lambda clause: "")
        params = ids or []
        subject_rows = await self.db.fetchall(
            "SELECT id, slug, name, kind FROM subjects" + only(f" WHERE id IN ({ph})"), params
        )
        if alias_rows is None:
            alias_rows = await self.db.fetchall(
                "SELECT subject_id, alias FROM aliases"
                + only(f" WHERE subject_id IN ({ph})")
                + " ORDER BY rowid",
                params,
            )
        membership_rows = await self.db.fetchall(
            "SELECT g.id, g.slug, g.name, x.id, x.slug, x.name FROM memberships m"
            " JOIN subjects g ON g.id = m.group_id JOIN subjects x ON x.id = m.member_id"
            + only(f" WHERE m.member_id IN ({ph}) OR m.group_id IN ({ph})")
            + " ORDER BY m.rowid",
            params * 2,
        )
        return SubjectBook(subject_rows, alias_rows, membership_rows, self._rows.subject_ref)

    async def subject(self, subject_id: int) -> Subject | None:
        found = await self.subjects([subject_id])
        return found[0] if found else None

    async def subject_by_slug(self, slug: str) -> Subject | None:
        row = await self.db.fetchone("SELECT id FROM subjects WHERE slug = ?", (slug,))
        return await self.subject(row[0]) if row else None

    # ---- reading facts --------------------------------------------------------------------

    async def fact(self, fact_id: int, *, include_hidden: bool = False) -> Fact | None:
        row = await self.db.fetchone(
            FACT_SELECT + " WHERE f.id = ? AND (f.hidden = 0 OR ?)", (fact_id, include_hidden)
        )
        return self._rows.fact(row) if row else None

    async def fact_any(self, fact_id: int) -> Fact | None:
        """A fact even when hidden (history, restore)."""
        return await self.fact(fact_id, include_hidden=True)

    async def facts_about(
        self, subject_ids: Sequence[int], kind: FactKind | None = None, limit: int = 200
    ) -> list[Fact]:
        """Facts that concern any of the subjects, newest first."""
        if not subject_ids:
            return []
        ph = placeholders(len(subject_ids))
        where = (
            f" WHERE f.id IN (SELECT fact_id FROM fact_subjects WHERE subject_id IN ({ph}))"
            " AND f.hidden = 0"
        )
        params: list[Any] = list(subject_ids)
        if kind is not None:
            where += " AND f.kind = ?"
            params.append(kind.value)
        rows = await self.db.fetchall(page(where, NEWEST_FIRST), [*params, limit])
        return self._rows.facts(rows)

    async def latest_about(self, subject_ids: Sequence[int], kind: FactKind) -> list[Fact]:
        """Each subject's newest visible fact of a kind (a status now), newest first.

        Picked in SQL, so a group with long histories builds one fact per member, not all.
        """
        if not subject_ids:
            return []
        ph = placeholders(len(subject_ids))
        newest = NEWEST_FIRST.removeprefix(" ORDER BY ")
        rows = await self.db.fetchall(
            FACT_SELECT + " WHERE f.id IN (SELECT fact_id FROM ("
            f"  SELECT fs.fact_id, row_number() OVER (PARTITION BY fs.subject_id ORDER BY {newest})"
            "    AS rank FROM fact_subjects fs JOIN facts f ON f.id = fs.fact_id"
            f"  WHERE fs.subject_id IN ({ph}) AND f.kind = ? AND f.hidden = 0)"
            " WHERE rank = 1)" + NEWEST_FIRST,
            [*subject_ids, kind.value],
        )
        return self._rows.facts(rows)

    async def facts_on_month_days(
        self, month_days: Sequence[tuple[int, int]], before_year: int, limit: int = 200
    ) -> tuple[list[Fact], int]:
        """Facts known to the day that fall on any of these (month, day) in an earlier year.

        Oldest first, at most `limit`; also returns how many there are in all.
        """
        if not month_days:
            return [], 0
        if len(month_days) == 1:
            # One day (the usual /today): with equality SQLite walks the (month, day, year)
            # index in page order and stops at the page; a list would sort every match first.
            where = " WHERE f.month = ? AND f.day = ?"
            args: tuple[Any, ...] = (*month_days[0], before_year)
        else:
            where = " WHERE (f.month, f.day) IN (SELECT value / 100, value % 100 FROM json_each(?))"
            args = (json.dumps([m * 100 + d for m, d in month_days]), before_year)
        where += " AND f.year < ? AND f.hidden = 0" + HAPPENED
        # The count rides along as a scalar subquery (computed once): one trip, not two.
        counted = page(where, " ORDER BY f.year, f.id").replace(
            " AS body", f" AS body, (SELECT count(*) FROM facts f{where}) AS total", 1
        )
        rows = list(await self.db.fetchall(counted, (*args, *args, limit)))
        return self._rows.facts(rows), int(rows[0][10]) if rows else 0

    async def facts_dated_between(
        self, start: dt.date, end: dt.date, limit: int = 200
    ) -> list[Fact]:
        """Facts that happened on a day from `start` to `end` inclusive, soonest first."""
        rows = await self.db.fetchall(
            FACT_SELECT
            + " WHERE f.day IS NOT NULL AND f.hidden = 0"
            + HAPPENED
            + " AND f.year * 10000 + f.month * 100 + f.day BETWEEN ? AND ?"
            " ORDER BY f.year, f.month, f.day, f.id LIMIT ?",
            (ymd(start), ymd(end), limit),
        )
        return self._rows.facts(rows)

    async def facts_on_dates(self, days: Sequence[dt.date]) -> list[Fact]:
        """Visible facts that happened on any of these days (day counts, countdowns)."""
        if not days:
            return []
        rows = await self.db.fetchall(
            FACT_SELECT + " WHERE f.hidden = 0" + HAPPENED + " AND (f.year, f.month, f.day) IN"
            " (SELECT value / 10000, value / 100 % 100, value % 100 FROM json_each(?))"
            " ORDER BY f.year, f.month, f.day, f.id",
            (json.dumps([ymd(d) for d in days]),),
        )
        return self._rows.facts(rows)

    async def statuses_until(self, days: Sequence[dt.date]) -> list[Fact]:
        """Visible statuses expected to end on any of these days (an expected discharge)."""
        if not days:
            return []
        rows = await self.db.fetchall(
            FACT_SELECT + " WHERE f.kind = 'status' AND f.hidden = 0"
            " AND json_extract(f.details, '$.until') IN (SELECT value FROM json_each(?))"
            " ORDER BY f.id",
            (json.dumps([d.isoformat() for d in days]),),
        )
        return self._rows.facts(rows)

    async def dated_facts(self, limit: int = -1) -> list[Fact]:
        """Every visible fact known to the day (the first `limit` by id; -1: all): what
        anniversaries, countdowns and the website's all-artists feed are made of."""
        rows = await self.db.fetchall(
            FACT_SELECT + " WHERE f.day IS NOT NULL AND f.hidden = 0 ORDER BY f.id LIMIT ?",
            (limit,),
        )
        return self._rows.facts(rows)

    async def stale_refs(self) -> list[int]:
        """Facts whose derived data is out of step with the tables (none, ever): a kept copy
        of their subjects or sources (migration 0008's triggers keep those) or their search
        entry (storage.search). This is how tests and checks know."""
        rows = await self.db.fetchall(
            "SELECT f.id FROM facts f JOIN fact_subject_refs s ON s.fact_id = f.id"
            " JOIN fact_source_refs c ON c.fact_id = f.id"
            " WHERE f.subject_refs IS NOT s.refs OR f.source_refs IS NOT c.refs ORDER BY f.id"
        )
        return sorted({r[0] for r in rows} | set(await self._search.stale()))

    async def count_facts(self) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM facts")
        return int(row[0]) if row else 0

    async def is_empty(self) -> bool:
        row = await self.db.fetchone(
            "SELECT NOT EXISTS (SELECT 1 FROM facts) AND NOT EXISTS (SELECT 1 FROM subjects)"
        )
        return bool(row[0]) if row else True

    async def slugs(self) -> set[str]:
        return {r[0] for r in await self.db.fetchall("SELECT slug FROM subjects")}

    async def export_all(self) -> tuple[list[NewSubject], list[NewFact]]:
        """Everything, as the same objects import takes, so a round trip loses nothing."""
        subject_rows = await self.db.fetchall("SELECT id FROM subjects ORDER BY id")
        subjects = await self.subjects([r[0] for r in subject_rows])
        rows = await self.db.fetchall(FACT_SELECT + " ORDER BY f.id")
        facts = self._rows.facts(rows)
        return (
            [
                NewSubject(
                    slug=s.slug,
                    name=s.name,
                    kind=s.kind,
                    aliases=tuple(a for a in s.aliases if a != s.name),
                    groups=tuple(g.slug for g in s.groups),
                )
                for s in subjects
            ],
            [
                NewFact(
                    key=f.key,
                    kind=f.kind,
                    summary=f.summary,
                    date=f.date,
                    subjects=tuple(s.slug for s in f.subjects),
                    sources=f.sources,
                    details=f.details,
                    hidden=f.hidden,
                    id=f.id,
                )
                for f in facts
            ],
        )
