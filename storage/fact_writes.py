"""Writing facts inside a transaction: create, update by key, replace at a version.

Every write here leaves the fact's search entry in step (storage.search) and its JSON copies
of subjects and sources too (migration 0008's triggers, or storage.bulk at a bulk write's end).
Reads here see the transaction's own writes: what a change checks before it writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from storage import search
from storage.backend import Executor
from storage.errors import ConflictError, StaleVersion
from storage.fact_rows import FACT_SELECT, FactRows, details_json, placeholders
from storage.models import Fact, FactKind, NewFact, PartialDate


async def subject_ids(ex: Executor, slugs: Iterable[str]) -> dict[str, int]:
    """The ids of these subjects by slug; a slug the store does not hold is a conflict."""
    wanted = list(dict.fromkeys(slugs))
    rows = await ex.fetchall(
        "SELECT slug, id FROM subjects WHERE slug IN (SELECT value FROM json_each(?))",
        (json.dumps(wanted),),
    )
    ids = {r[0]: r[1] for r in rows}
    missing = [s for s in wanted if s not in ids]
    if missing:
        raise ConflictError(f"no subject with slug {missing[0]!r}")
    return ids


class FactWrites:
    """Facts as one transaction writes and sees them. Inside a bulk write, `touched` collects
    the facts written, indexed once at its end."""

    def __init__(self, ex: Executor, rows: FactRows, touched: set[int] | None = None):
        self._ex = ex
        self._rows = rows
        self.touched = touched

    async def _index(self, fact_ids: Sequence[int]) -> None:
        if self.touched is not None:
            self.touched.update(fact_ids)
        else:
            await search.index_facts(self._ex, fact_ids)

    async def upsert_fact(self, new: NewFact) -> int:
        """Create or update a fact by key; its subjects and sources become exactly these."""
        return (await self.upsert_facts([new]))[new.key]

    async def upsert_facts(self, facts: Sequence[NewFact]) -> dict[str, int]:
        """Create or update facts by key, a few statements for any number of them (an import
        of 100,000 takes seconds, not a round trip per row); their subjects and sources become
        exactly these. A new fact keeps its id when that is free. Returns the ids by key."""
        if not facts:
            return {}
        await self._ex.executemany(
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
                    details_json(f.details),
                    int(f.hidden),
                )
                for f in facts
            ],
        )
        rows = await self._ex.fetchall(
            "SELECT key, id FROM facts WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps([f.key for f in facts]),),
        )
        ids = {r[0]: r[1] for r in rows}
        await self._set_links([(ids[f.key], f) for f in facts])
        return ids

    async def _set_links(self, facts: Sequence[tuple[int, NewFact]]) -> None:
        """Each fact's subjects and sources become exactly these; its search entry follows."""
        for _, new in facts:
            if not new.subjects:
                raise ConflictError(f"fact {new.key!r} concerns no subject")
        ids = [(fact_id,) for fact_id, _ in facts]
        by_slug = await subject_ids(self._ex, {s for _, f in facts for s in f.subjects})
        await self._ex.executemany("DELETE FROM fact_subjects WHERE fact_id = ?", ids)
        await self._ex.executemany(
            "INSERT INTO fact_subjects(fact_id, subject_id, position) VALUES (?, ?, ?)",
            [
                (fact_id, by_slug[slug], position)
                for fact_id, new in facts
                for position, slug in enumerate(dict.fromkeys(new.subjects))
            ],
        )
        await self._ex.executemany("DELETE FROM fact_sources WHERE fact_id = ?", ids)
        await self._ex.executemany(
            "INSERT INTO fact_sources(fact_id, position, title, url, publisher, published)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (fact_id, i, s.title, s.url, s.publisher, s.published)
                for fact_id, new in facts
                for i, s in enumerate(new.sources)
            ],
        )
        await self._index([fact_id for fact_id, _ in facts])

    async def fact(self, fact_id: int) -> Fact | None:
        """A fact, hidden or not, as the transaction sees it."""
        row = await self._ex.fetchone(FACT_SELECT + " WHERE f.id = ?", (fact_id,))
        return self._rows.fact(row) if row else None

    async def key_taken(self, key: str) -> bool:
        return await self._ex.fetchone("SELECT 1 FROM facts WHERE key = ?", (key,)) is not None

    async def add_fact(self, new: NewFact) -> int:
        """Create a new fact; a key already in use is a conflict, never an overwrite."""
        if await self.key_taken(new.key):
            raise ConflictError(f"a fact with key {new.key!r} exists")
        return await self.upsert_fact(new)

    async def replace_fact(self, fact_id: int, new: NewFact, expected_version: int) -> int:
        """Write a fact's fields only if it is still at `expected_version`; the new version."""
        d = new.date
        changed = await self._ex.execute(
            "UPDATE facts SET kind = ?, summary = ?, year = ?, month = ?, day = ?, details = ?,"
            " hidden = ?, version = version + 1,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ? AND version = ?",
            (
                new.kind.value,
                new.summary,
                d.year,
                d.month,
                d.day,
                details_json(new.details),
                int(new.hidden),
                fact_id,
                expected_version,
            ),
        )
        if changed != 1:
            row = await self._ex.fetchone("SELECT version FROM facts WHERE id = ?", (fact_id,))
            raise StaleVersion(fact_id, expected_version, row[0] if row else None)
        await self._set_links([(fact_id, new)])
        return expected_version + 1

    async def similar_facts(
        self, kind: FactKind, date: PartialDate, subject_ids: Sequence[int]
    ) -> list[Fact]:
        """Facts of this kind and date about any of these subjects, hidden ones included:
        what a new fact is compared with before it is added twice."""
        if not subject_ids:
            return []
        rows = await self._ex.fetchall(
            FACT_SELECT + " WHERE f.kind = ? AND f.year = ? AND f.month IS ? AND f.day IS ?"
            " AND f.id IN (SELECT fact_id FROM fact_subjects WHERE subject_id IN"
            f" ({placeholders(len(subject_ids))})) ORDER BY f.id",
            (kind.value, date.year, date.month, date.day, *subject_ids),
        )
        return self._rows.facts(rows)

    async def facts_by_keys(self, keys: Sequence[str]) -> list[Fact]:
        """The facts (hidden ones too) with these keys, as the transaction sees them."""
        rows = await self._ex.fetchall(
            FACT_SELECT + " WHERE f.key IN (SELECT value FROM json_each(?))", (json.dumps(keys),)
        )
        return self._rows.facts(rows)
