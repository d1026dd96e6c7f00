"""Queries and writes for subjects, aliases and facts. All SQL here is parameterized."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import aiosqlite
import orjson

from storage import bulk
from storage.db import Database
from storage.errors import ConflictError
from storage.models import (
    Fact,
    FactKind,
    NewFact,
    NewSubject,
    PartialDate,
    Source,
    Subject,
    SubjectKind,
    SubjectRef,
    normalize_name,
)

# One query builds whole facts, subjects and sources included, so a command costs one round trip.
# The row keeps its subjects and sources as JSON (migration 0008's triggers keep them right).
# _fact reads the columns by position: keep this order.
_FACT_SELECT = """
SELECT f.id, f.key, f.kind, f.summary, f.year, f.month, f.day, f.hidden, f.version,
  '[' || f.details || ',' || f.subject_refs || ',' || f.source_refs || ']' AS body
FROM facts f
"""
# A date worth celebrating: when the fact happened. A status counts only when its date is when
# it began (`since`); a status seen by a source on a day ("as of") is shown, never celebrated.
_HAPPENED = (
    " AND (f.kind <> 'status' OR json_extract(f.details, '$.since')"
    " = printf('%04d-%02d-%02d', f.year, f.month, f.day))"
)
_NEWEST_FIRST = " ORDER BY f.year DESC, f.month DESC NULLS LAST, f.day DESC NULLS LAST, f.id DESC"


def _page(where: str, order: str) -> str:
    """Facts matching `where`, in `order`, at most `?` of them (the last parameter).

    The page is picked on the narrow columns first, so only the facts shown build their JSON
    body: sorting whole rows built every match's body and then threw most of them away.
    """
    return (
        _FACT_SELECT
        + f" JOIN (SELECT f.id AS page_id FROM facts f{where}{order} LIMIT ?) ON f.id = page_id"
        + order
    )


class StaleVersion(ConflictError):
    """The fact changed since the caller read it: the optimistic version check failed."""

    def __init__(self, fact_id: int, expected: int, current: int | None):
        super().__init__(f"fact {fact_id} is at version {current}, not {expected}")
        self.fact_id = fact_id
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class AliasEntry:
    """One alias of one subject, for the name resolver's in-memory index."""

    subject_id: int
    alias: str
    norm: str


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


# Subjects, sources and dates repeat across facts (one article backs many); all frozen, so one
# object each, and a fact costs a few dictionary hits instead of three constructors.
_subject_ref = lru_cache(maxsize=65_536)(SubjectRef)
_source = lru_cache(maxsize=65_536)(Source)
_date = lru_cache(maxsize=65_536)(PartialDate.stored)
_KINDS = {kind.value: kind for kind in FactKind}


def _fact(row: aiosqlite.Row) -> Fact:
    # Columns by position, in _FACT_SELECT's order (by name costs a search per column). One
    # JSON text per row, [details, subjects, sources]: one decode instead of three. The date
    # was checked when it was written.
    details, subjects, sources = orjson.loads(row[9])
    return Fact(
        row[0],  # id
        row[1],  # key
        _KINDS[row[2]],
        row[3],  # summary
        _date(row[4], row[5], row[6]),
        tuple([_subject_ref(*s) for s in subjects]),
        tuple([_source(*s) for s in sources]),
        details,
        bool(row[7]),  # hidden
        row[8],  # version
    )


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
    ):
        self.rows: dict[int, tuple[str, str, str]] = {r[0]: tuple(r[1:4]) for r in subject_rows}
        self._aliases: dict[int, list[str]] = defaultdict(list)
        for row in alias_rows:
            self._aliases[row[0]].append(row[1])
        self.groups: dict[int, list[SubjectRef]] = defaultdict(list)
        self._members: dict[int, list[SubjectRef]] = defaultdict(list)
        for gid, gslug, gname, mid, mslug, mname in membership_rows:
            self.groups[mid].append(_subject_ref(gid, gslug, gname))
            self._members[gid].append(_subject_ref(mid, mslug, mname))
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


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query: every word quoted, all must match."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words[:16])


class FactStore:
    """Subjects, aliases and facts over the shared Database."""

    def __init__(self, db: Database):
        self.db = db

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
        ph = _placeholders(len(ids)) if ids is not None else ""
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
        return SubjectBook(subject_rows, alias_rows, membership_rows)

    async def subject(self, subject_id: int) -> Subject | None:
        found = await self.subjects([subject_id])
        return found[0] if found else None

    async def subject_by_slug(self, slug: str) -> Subject | None:
        row = await self.db.fetchone("SELECT id FROM subjects WHERE slug = ?", (slug,))
        return await self.subject(row[0]) if row else None

    # ---- reading facts --------------------------------------------------------------------

    async def fact(self, fact_id: int, *, include_hidden: bool = False) -> Fact | None:
        row = await self.db.fetchone(
            _FACT_SELECT + " WHERE f.id = ? AND (f.hidden = 0 OR ?)", (fact_id, include_hidden)
        )
        return _fact(row) if row else None

    async def facts_about(
        self, subject_ids: Sequence[int], kind: FactKind | None = None, limit: int = 200
    ) -> list[Fact]:
        """Facts that concern any of the subjects, newest first."""
        if not subject_ids:
            return []
        ph = _placeholders(len(subject_ids))
        where = (
            f" WHERE f.id IN (SELECT fact_id FROM fact_subjects WHERE subject_id IN ({ph}))"
            " AND f.hidden = 0"
        )
        params: list[Any] = list(subject_ids)
        if kind is not None:
            where += " AND f.kind = ?"
            params.append(kind.value)
        rows = await self.db.fetchall(_page(where, _NEWEST_FIRST), [*params, limit])
        return [_fact(r) for r in rows]

    async def latest_about(self, subject_ids: Sequence[int], kind: FactKind) -> list[Fact]:
        """Each subject's newest visible fact of a kind (a status now), newest first.

        Picked in SQL, so a group with long histories builds one fact per member, not all.
        """
        if not subject_ids:
            return []
        ph = _placeholders(len(subject_ids))
        newest = _NEWEST_FIRST.removeprefix(" ORDER BY ")
        rows = await self.db.fetchall(
            _FACT_SELECT + " WHERE f.id IN (SELECT fact_id FROM ("
            f"  SELECT fs.fact_id, row_number() OVER (PARTITION BY fs.subject_id ORDER BY {newest})"
            "    AS rank FROM fact_subjects fs JOIN facts f ON f.id = fs.fact_id"
            f"  WHERE fs.subject_id IN ({ph}) AND f.kind = ? AND f.hidden = 0)"
            " WHERE rank = 1)" + _NEWEST_FIRST,
            [*subject_ids, kind.value],
        )
        return [_fact(r) for r in rows]

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
        where += " AND f.year < ? AND f.hidden = 0" + _HAPPENED
        # The count rides along as a scalar subquery (computed once): one trip, not two.
        counted = _page(where, " ORDER BY f.year, f.id").replace(
            " AS body", f" AS body, (SELECT count(*) FROM facts f{where}) AS total", 1
        )
        rows = list(await self.db.fetchall(counted, (*args, *args, limit)))
        return [_fact(r) for r in rows], int(rows[0][10]) if rows else 0

    async def facts_dated_between(
        self, start: dt.date, end: dt.date, limit: int = 200
    ) -> list[Fact]:
        """Facts that happened on a day from `start` to `end` inclusive, soonest first."""
        rows = await self.db.fetchall(
            _FACT_SELECT
            + " WHERE f.day IS NOT NULL AND f.hidden = 0"
            + _HAPPENED
            + " AND f.year * 10000 + f.month * 100 + f.day BETWEEN ? AND ?"
            " ORDER BY f.year, f.month, f.day, f.id LIMIT ?",
            (_ymd(start), _ymd(end), limit),
        )
        return [_fact(r) for r in rows]

    async def facts_on_dates(self, days: Sequence[dt.date]) -> list[Fact]:
        """Visible facts that happened on any of these days (day counts, countdowns)."""
        if not days:
            return []
        rows = await self.db.fetchall(
            _FACT_SELECT + " WHERE f.hidden = 0" + _HAPPENED + " AND (f.year, f.month, f.day) IN"
            " (SELECT value / 10000, value / 100 % 100, value % 100 FROM json_each(?))"
            " ORDER BY f.year, f.month, f.day, f.id",
            (json.dumps([_ymd(d) for d in days]),),
        )
        return [_fact(r) for r in rows]

    async def statuses_until(self, days: Sequence[dt.date]) -> list[Fact]:
        """Visible statuses expected to end on any of these days (an expected discharge)."""
        if not days:
            return []
        rows = await self.db.fetchall(
            _FACT_SELECT + " WHERE f.kind = 'status' AND f.hidden = 0"
            " AND json_extract(f.details, '$.until') IN (SELECT value FROM json_each(?))"
            " ORDER BY f.id",
            (json.dumps([d.isoformat() for d in days]),),
        )
        return [_fact(r) for r in rows]

    async def dated_facts(self, limit: int = -1) -> list[Fact]:
        """Every visible fact known to the day (the first `limit` by id; -1: all): what
        anniversaries, countdowns and the website's all-artists feed are made of."""
        rows = await self.db.fetchall(
            _FACT_SELECT + " WHERE f.day IS NOT NULL AND f.hidden = 0 ORDER BY f.id LIMIT ?",
            (limit,),
        )
        return [_fact(r) for r in rows]

    async def facts_with_release_title(self, text: str, limit: int = 50) -> list[Fact]:
        """Releases whose title folds to the same letters as `text`, or contains them."""
        norm = normalize_name(text)
        if not norm:
            return []
        rows = await self.db.fetchall(
            _FACT_SELECT + " WHERE f.kind = 'release' AND f.hidden = 0"
            " AND f.id IN (SELECT rowid FROM facts_fts WHERE facts_fts MATCH ?)" + _NEWEST_FIRST,
            (fts_query(text) or '""',),
        )
        facts = [_fact(r) for r in rows]
        exact = [f for f in facts if normalize_name(str(f.detail("title", ""))) == norm]
        return (exact or facts)[:limit]

    async def release_titles(self) -> list[str]:
        """Every visible release's title, each once: what a misspelt title is matched against."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT json_extract(details, '$.title') FROM facts"
            " WHERE kind = 'release' AND hidden = 0"
        )
        return [str(r[0]) for r in rows if r[0] is not None]

    async def search(self, text: str, limit: int = 25) -> list[Fact]:
        """Full-text search over summaries, details and subject names, best match first."""
        query = fts_query(text)
        if query is None:
            return []
        rows = await self.db.fetchall(
            _FACT_SELECT + " JOIN (SELECT rowid AS rid, rank FROM facts_fts WHERE facts_fts MATCH ?"
            " ORDER BY rank LIMIT ?) hit ON hit.rid = f.id WHERE f.hidden = 0 ORDER BY hit.rank",
            (query, limit),
        )
        return [_fact(r) for r in rows]

    async def stale_refs(self) -> list[int]:
        """Facts whose kept copy of their subjects or sources differs from the tables (none, ever).

        The triggers of migration 0008 keep the copies; this is how tests and checks know.
        """
        rows = await self.db.fetchall(
            "SELECT f.id FROM facts f JOIN fact_subject_refs s ON s.fact_id = f.id"
            " JOIN fact_source_refs c ON c.fact_id = f.id"
            " WHERE f.subject_refs IS NOT s.refs OR f.source_refs IS NOT c.refs ORDER BY f.id"
        )
        return [r[0] for r in rows]

    async def count_facts(self) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM facts")
        return int(row[0]) if row else 0

    async def is_empty(self) -> bool:
        row = await self.db.fetchone(
            "SELECT NOT EXISTS (SELECT 1 FROM facts) AND NOT EXISTS (SELECT 1 FROM subjects)"
        )
        return bool(row[0]) if row else True

    # ---- writing --------------------------------------------------------------------------

    async def upsert_subject(self, conn: aiosqlite.Connection, new: NewSubject) -> int:
        """Create or update a subject by slug; its aliases and groups become exactly these."""
        return (await self.upsert_subjects(conn, [new]))[new.slug]

    async def upsert_subjects(
        self,
        conn: aiosqlite.Connection,
        subjects: Sequence[NewSubject],
        touched: set[int] | None = None,
    ) -> dict[str, int]:
        """Create or update subjects by slug, a few statements for any number of them; their
        aliases and groups become exactly these. Returns each one's id by slug. Inside a bulk
        write (`touched`), the facts to reindex are added to it instead of reindexed now."""
        await conn.executemany(
            "INSERT INTO subjects(slug, name, kind) VALUES (?, ?, ?)"
            " ON CONFLICT(slug) DO UPDATE SET name = excluded.name, kind = excluded.kind",
            [(s.slug, s.name, s.kind.value) for s in subjects],
        )
        groups = {g for s in subjects for g in s.groups}
        ids = await self._subject_ids(conn, [*(s.slug for s in subjects), *groups])
        rows = [(ids[s.slug],) for s in subjects]
        await conn.executemany("DELETE FROM aliases WHERE subject_id = ?", rows)
        await conn.executemany(
            "INSERT OR IGNORE INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
            [
                (ids[s.slug], a, normalize_name(a))
                for s in subjects
                for a in dict.fromkeys([s.name, *s.aliases])  # keeps order, drops repeats
                if normalize_name(a)
            ],
        )
        await conn.executemany("DELETE FROM memberships WHERE member_id = ?", rows)
        await conn.executemany(
            "INSERT INTO memberships(group_id, member_id) VALUES (?, ?)",
            [(ids[g], ids[s.slug]) for s in subjects for g in s.groups],
        )
        # Facts about them are found by their names too.
        cur = await conn.execute(
            "SELECT DISTINCT fact_id FROM fact_subjects WHERE subject_id IN"
            " (SELECT value FROM json_each(?))",
            (json.dumps([r[0] for r in rows]),),
        )
        await self._index_facts(conn, [r[0] for r in await cur.fetchall()], touched)
        return ids

    async def _subject_ids(
        self, conn: aiosqlite.Connection, slugs: Iterable[str]
    ) -> dict[str, int]:
        """The ids of these subjects by slug; a slug the store does not hold is a conflict."""
        wanted = list(dict.fromkeys(slugs))
        cur = await conn.execute(
            "SELECT slug, id FROM subjects WHERE slug IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
        ids = {r[0]: r[1] for r in await cur.fetchall()}
        missing = [s for s in wanted if s not in ids]
        if missing:
            raise ConflictError(f"no subject with slug {missing[0]!r}")
        return ids

    async def upsert_fact(self, conn: aiosqlite.Connection, new: NewFact) -> int:
        """Create or update a fact by key; its subjects and sources become exactly these."""
        return (await self.upsert_facts(conn, [new]))[new.key]

    async def upsert_facts(
        self,
        conn: aiosqlite.Connection,
        facts: Sequence[NewFact],
        touched: set[int] | None = None,
    ) -> dict[str, int]:
        """Create or update facts by key, a few statements for any number of them (an import
        of 100,000 takes seconds, not a round trip per row); their subjects and sources become
        exactly these. A new fact keeps its id when that is free. Returns the ids by key.
        Inside a bulk write (storage.bulk), their ids go to `touched`, indexed at its end."""
        if not facts:
            return {}
        await conn.executemany(
            "INSERT INTO facts(id, key, kind, summary, year, month, day, details, hidden)"
            " VALUES ((SELECT CASE WHEN ? IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM facts WHERE id = ?) THEN ? END), ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, summary = excluded.summary,"
            " year = excluded.year, month = excluded.month, day = excluded.day,"
            " details = excluded.details, hidden = excluded.hidden, version = version + 1,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
            " WHERE (kind, summary, year, month, day, details, hidden) IS NOT"
            " (excluded.kind, excluded.summary, excluded.year, excluded.month, excluded.day,"
            " excluded.details, excluded.hidden)",
            [
                (
                    f.id,
                    f.id,
                    f.id,
                    f.key,
                    f.kind.value,
                    f.summary,
                    f.date.year,
                    f.date.month,
                    f.date.day,
                    _details_json(f.details),
                    int(f.hidden),
                )
                for f in facts
            ],
        )
        cur = await conn.execute(
            "SELECT key, id FROM facts WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps([f.key for f in facts]),),
        )
        ids = {r[0]: r[1] for r in await cur.fetchall()}
        await self._set_links(conn, [(ids[f.key], f) for f in facts], touched)
        return ids

    async def _set_links(
        self,
        conn: aiosqlite.Connection,
        facts: Sequence[tuple[int, NewFact]],
        touched: set[int] | None = None,
    ) -> None:
        """Each fact's subjects and sources become exactly these; its search entry follows."""
        for _, new in facts:
            if not new.subjects:
                raise ConflictError(f"fact {new.key!r} concerns no subject")
        ids = [(fact_id,) for fact_id, _ in facts]
        subject_ids = await self._subject_ids(conn, {s for _, f in facts for s in f.subjects})
        await conn.executemany("DELETE FROM fact_subjects WHERE fact_id = ?", ids)
        await conn.executemany(
            "INSERT INTO fact_subjects(fact_id, subject_id, position) VALUES (?, ?, ?)",
            [
                (fact_id, subject_ids[slug], position)
                for fact_id, new in facts
                for position, slug in enumerate(dict.fromkeys(new.subjects))
            ],
        )
        await conn.executemany("DELETE FROM fact_sources WHERE fact_id = ?", ids)
        await conn.executemany(
            "INSERT INTO fact_sources(fact_id, position, title, url, publisher, published)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (fact_id, i, s.title, s.url, s.publisher, s.published)
                for fact_id, new in facts
                for i, s in enumerate(new.sources)
            ],
        )
        await self._index_facts(conn, [fact_id for fact_id, _ in facts], touched)

    async def _index_facts(
        self, conn: aiosqlite.Connection, fact_ids: Sequence[int], touched: set[int] | None = None
    ) -> None:
        """Keep facts_fts in step with these facts: summary, detail values, subjects' aliases;
        inside a bulk write, at its end (`touched` collects them)."""
        if touched is not None:
            touched.update(fact_ids)
        else:
            await bulk.index_facts(conn, fact_ids)

    # ---- admin changes: each inside the caller's transaction, checked before written --------

    async def fact_in(self, conn: aiosqlite.Connection, fact_id: int) -> Fact | None:
        """A fact, hidden or not, as the transaction sees it."""
        cur = await conn.execute(_FACT_SELECT + " WHERE f.id = ?", (fact_id,))
        row = await cur.fetchone()
        return _fact(row) if row else None

    async def fact_any(self, fact_id: int) -> Fact | None:
        """A fact even when hidden (history, restore)."""
        return await self.fact(fact_id, include_hidden=True)

    async def key_taken(self, conn: aiosqlite.Connection, key: str) -> bool:
        cur = await conn.execute("SELECT 1 FROM facts WHERE key = ?", (key,))
        return await cur.fetchone() is not None

    async def add_fact(self, conn: aiosqlite.Connection, new: NewFact) -> int:
        """Create a new fact; a key already in use is a conflict, never an overwrite."""
        if await self.key_taken(conn, new.key):
            raise ConflictError(f"a fact with key {new.key!r} exists")
        return await self.upsert_fact(conn, new)

    async def replace_fact(
        self, conn: aiosqlite.Connection, fact_id: int, new: NewFact, expected_version: int
    ) -> int:
        """Write a fact's fields only if it is still at `expected_version`; the new version."""
        details = _details_json(new.details)
        d = new.date
        cur = await conn.execute(
            "UPDATE facts SET kind = ?, summary = ?, year = ?, month = ?, day = ?, details = ?,"
            " hidden = ?, version = version + 1,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND version = ?",
            (
                new.kind.value,
                new.summary,
                d.year,
                d.month,
                d.day,
                details,
                int(new.hidden),
                fact_id,
                expected_version,
            ),
        )
        if cur.rowcount != 1:
            row = await (
                await conn.execute("SELECT version FROM facts WHERE id = ?", (fact_id,))
            ).fetchone()
            raise StaleVersion(fact_id, expected_version, row[0] if row else None)
        await self._set_links(conn, [(fact_id, new)])
        return expected_version + 1

    async def similar_facts(
        self,
        conn: aiosqlite.Connection,
        kind: FactKind,
        date: PartialDate,
        subject_ids: Sequence[int],
    ) -> list[Fact]:
        """Facts of this kind and date about any of these subjects, hidden ones included:
        what a new fact is compared with before it is added twice."""
        if not subject_ids:
            return []
        cur = await conn.execute(
            _FACT_SELECT + " WHERE f.kind = ? AND f.year = ? AND f.month IS ? AND f.day IS ?"
            f" AND f.id IN (SELECT fact_id FROM fact_subjects WHERE subject_id IN"
            f" ({_placeholders(len(subject_ids))})) ORDER BY f.id",
            (kind.value, date.year, date.month, date.day, *subject_ids),
        )
        return [_fact(r) for r in await cur.fetchall()]

    async def slug_taken(self, conn: aiosqlite.Connection, slug: str) -> bool:
        cur = await conn.execute("SELECT 1 FROM subjects WHERE slug = ?", (slug,))
        return await cur.fetchone() is not None

    async def aliases_in(self, conn: aiosqlite.Connection, subject_id: int) -> list[str]:
        """A subject's aliases (its name included) as the transaction sees them."""
        cur = await conn.execute(
            "SELECT alias FROM aliases WHERE subject_id = ? ORDER BY rowid", (subject_id,)
        )
        return [r[0] for r in await cur.fetchall()]

    async def add_alias(self, conn: aiosqlite.Connection, subject_id: int, alias: str) -> None:
        await conn.execute(
            "INSERT INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
            (subject_id, alias, normalize_name(alias)),
        )
        await self._reindex_subject(conn, subject_id)

    async def remove_alias(self, conn: aiosqlite.Connection, subject_id: int, alias: str) -> None:
        cur = await conn.execute(
            "DELETE FROM aliases WHERE subject_id = ? AND alias = ?", (subject_id, alias)
        )
        if cur.rowcount != 1:
            raise ConflictError(f"subject {subject_id} has no alias {alias!r}")
        await self._reindex_subject(conn, subject_id)

    async def delete_subject(self, conn: aiosqlite.Connection, slug: str) -> None:
        """Remove a subject nothing refers to (undoing its creation)."""
        subject_id = await _id_of(conn, "subjects", "slug", slug)
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM fact_subjects WHERE subject_id = ?)"
            " + (SELECT count(*) FROM memberships WHERE group_id = ?)",
            (subject_id, subject_id),
        )
        row = await cur.fetchone()
        if row and row[0]:
            raise ConflictError(f"facts or members refer to subject {slug!r}")
        await conn.execute("DELETE FROM subjects WHERE id = ?", (subject_id,))

    async def _reindex_subject(self, conn: aiosqlite.Connection, subject_id: int) -> None:
        cur = await conn.execute(
            "SELECT fact_id FROM fact_subjects WHERE subject_id = ?", (subject_id,)
        )
        await self._index_facts(conn, [row[0] for row in await cur.fetchall()])

    async def facts_by_keys(self, conn: aiosqlite.Connection, keys: Sequence[str]) -> list[Fact]:
        """The facts (hidden ones too) with these keys, as the transaction sees them."""
        cur = await conn.execute(
            _FACT_SELECT + " WHERE f.key IN (SELECT value FROM json_each(?))", (json.dumps(keys),)
        )
        return [_fact(r) for r in await cur.fetchall()]

    async def subjects_as_written(self, conn: aiosqlite.Connection) -> dict[str, NewSubject]:
        """Every subject as a bundle gives it (aliases without its name, groups by slug)."""
        cur = await conn.execute("SELECT id, slug, name, kind FROM subjects")
        subjects = {r[0]: (r[1], r[2], r[3]) for r in await cur.fetchall()}
        aliases: dict[int, list[str]] = defaultdict(list)
        for subject_id, alias in await (
            await conn.execute("SELECT subject_id, alias FROM aliases ORDER BY rowid")
        ).fetchall():
            aliases[subject_id].append(alias)
        groups: dict[int, list[str]] = defaultdict(list)
        for member_id, group_id in await (
            await conn.execute("SELECT member_id, group_id FROM memberships ORDER BY rowid")
        ).fetchall():
            groups[member_id].append(subjects[group_id][0])
        return {
            slug: NewSubject(
                slug=slug,
                name=name,
                kind=SubjectKind(kind),
                aliases=tuple(a for a in aliases[subject_id] if a != name),
                groups=tuple(groups[subject_id]),
            )
            for subject_id, (slug, name, kind) in subjects.items()
        }

    async def slugs(self) -> set[str]:
        return {r[0] for r in await self.db.fetchall("SELECT slug FROM subjects")}

    async def export_all(self) -> tuple[list[NewSubject], list[NewFact]]:
        """Everything, as the same objects import takes, so a round trip loses nothing."""
        subject_rows = await self.db.fetchall("SELECT id FROM subjects ORDER BY id")
        subjects = await self.subjects([r[0] for r in subject_rows])
        rows = await self.db.fetchall(_FACT_SELECT + " ORDER BY f.id")
        facts = [_fact(r) for r in rows]
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


def _details_json(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def _ymd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


async def _id_of(conn: aiosqlite.Connection, table: str, column: str, value: Any) -> int:
    # table and column are constants from this module, never user input.
    row = await (
        await conn.execute(f"SELECT id FROM {table} WHERE {column} = ?", (value,))
    ).fetchone()
    if row is None:
        raise ConflictError(f"no {table[:-1]} with {column} {value!r}")
    return int(row[0])
