"""Writing subjects, their names and their groups inside a transaction.

A name written here is searchable at once: every path that changes aliases or a subject's
facts' names reindexes those facts (storage.search) in the same transaction. The name
index's signal (the `names` change counter) is kept by triggers (migration 0031), so nothing
here bumps it by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from storage import search
from storage.backend import Executor
from storage.errors import ConflictError
from storage.fact_writes import subject_ids
from storage.models import NewSubject, SubjectKind, normalize_name


class NameWrites:
    """Subjects and names as one transaction writes and sees them. Inside a bulk write,
    `touched` collects the facts whose search entries are rebuilt at its end."""

    def __init__(self, ex: Executor, touched: set[int] | None = None):
        self._ex = ex
        self.touched = touched

    async def _reindex(self, subject_ids: Sequence[int]) -> None:
        if self.touched is not None:
            self.touched.update(await search.facts_of_subjects(self._ex, subject_ids))
        else:
            await search.reindex_subjects(self._ex, subject_ids)

    async def upsert_subject(self, new: NewSubject) -> int:
        """Create or update a subject by slug; its aliases and groups become exactly these."""
        return (await self.upsert_subjects([new]))[new.slug]

    async def upsert_subjects(self, subjects: Sequence[NewSubject]) -> dict[str, int]:
        """Create or update subjects by slug, a few statements for any number of them; their
        aliases and groups become exactly these. Returns each one's id by slug."""
        await self._ex.executemany(
            "INSERT INTO subjects(slug, name, kind) VALUES (?, ?, ?)"
            " ON CONFLICT(slug) DO UPDATE SET name = excluded.name, kind = excluded.kind",
            [(s.slug, s.name, s.kind.value) for s in subjects],
        )
        groups = {g for s in subjects for g in s.groups}
        ids = await subject_ids(self._ex, [*(s.slug for s in subjects), *groups])
        rows = [(ids[s.slug],) for s in subjects]
        await self._ex.executemany("DELETE FROM aliases WHERE subject_id = ?", rows)
        await self._ex.executemany(
            "INSERT OR IGNORE INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
            [
                (ids[s.slug], a, normalize_name(a))
                for s in subjects
                for a in dict.fromkeys([s.name, *s.aliases])  # keeps order, drops repeats
                if normalize_name(a)
            ],
        )
        await self._ex.executemany("DELETE FROM memberships WHERE member_id = ?", rows)
        await self._ex.executemany(
            "INSERT INTO memberships(group_id, member_id) VALUES (?, ?)",
            [(ids[g], ids[s.slug]) for s in subjects for g in s.groups],
        )
        await self._reindex([r[0] for r in rows])  # facts about them are found by their names
        return {s.slug: ids[s.slug] for s in subjects}

    async def slug_taken(self, slug: str) -> bool:
        return await self._ex.fetchone("SELECT 1 FROM subjects WHERE slug = ?", (slug,)) is not None

    async def subject_label(self, subject_id: int) -> tuple[str, str]:
        """A subject's (slug, name) as the transaction sees it."""
        row = await self._ex.fetchone("SELECT slug, name FROM subjects WHERE id = ?", (subject_id,))
        if row is None:
            raise ConflictError(f"no subject {subject_id}")
        return str(row[0]), str(row[1])

    async def aliases_of(self, subject_id: int) -> list[str]:
        """A subject's aliases (its name included) as the transaction sees them."""
        rows = await self._ex.fetchall(
            "SELECT alias FROM aliases WHERE subject_id = ? ORDER BY rowid", (subject_id,)
        )
        return [r[0] for r in rows]

    async def add_alias(self, subject_id: int, alias: str) -> None:
        """One more name, as an admin wrote it (the caller checked it is new)."""
        await self._ex.execute(
            "INSERT INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
            (subject_id, alias, normalize_name(alias)),
        )
        await self._reindex([subject_id])

    async def add_aliases(self, subject_id: int, aliases: Iterable[str]) -> list[str]:
        """Add the aliases the subject lacks (by folded form); returns those added."""
        rows = await self._ex.fetchall(
            "SELECT norm FROM aliases WHERE subject_id = ?", (subject_id,)
        )
        have = {r[0] for r in rows}
        added = []
        for alias in aliases:
            norm = normalize_name(alias)
            if norm and norm not in have:
                await self._ex.execute(
                    "INSERT OR IGNORE INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
                    (subject_id, alias, norm),
                )
                have.add(norm)
                added.append(alias)
        if added:
            await self._reindex([subject_id])
        return added

    async def remove_alias(self, subject_id: int, alias: str) -> None:
        removed = await self._ex.execute(
            "DELETE FROM aliases WHERE subject_id = ? AND alias = ?", (subject_id, alias)
        )
        if removed != 1:
            raise ConflictError(f"subject {subject_id} has no alias {alias!r}")
        await self._reindex([subject_id])

    async def delete_subject(self, slug: str) -> None:
        """Remove a subject nothing refers to (undoing its creation)."""
        subject_id = (await subject_ids(self._ex, [slug]))[slug]
        row = await self._ex.fetchone(
            "SELECT (SELECT count(*) FROM fact_subjects WHERE subject_id = ?)"
            " + (SELECT count(*) FROM memberships WHERE group_id = ?)",
            (subject_id, subject_id),
        )
        if row and row[0]:
            raise ConflictError(f"facts or members refer to subject {slug!r}")
        await self._ex.execute("DELETE FROM subjects WHERE id = ?", (subject_id,))

    async def subjects_named(self, names: Iterable[str]) -> dict[int, tuple[str, str, set[str]]]:
        """Subjects whose name or an alias folds like any of `names`:
        id -> (name, kind, every folded alias)."""
        norms = sorted({n for n in map(normalize_name, names) if n})
        if not norms:
            return {}
        rows = await self._ex.fetchall(
            "SELECT s.id, s.name, s.kind, a.norm FROM subjects s JOIN aliases a"
            " ON a.subject_id = s.id WHERE s.id IN (SELECT subject_id FROM aliases WHERE norm IN"
            " (SELECT value FROM json_each(?)))",
            (json.dumps(norms),),
        )
        found: dict[int, tuple[str, str, set[str]]] = {}
        for sid, name, kind, norm in rows:
            found.setdefault(sid, (name, kind, set()))[2].add(norm)
        return found

    # ---- groups -----------------------------------------------------------------------------

    async def members(self, group_id: int) -> set[int]:
        rows = await self._ex.fetchall(
            "SELECT member_id FROM memberships WHERE group_id = ?", (group_id,)
        )
        return {r[0] for r in rows}

    async def add_member(self, group_id: int, member_id: int) -> None:
        await self._ex.execute(
            "INSERT OR IGNORE INTO memberships(group_id, member_id) VALUES (?, ?)",
            (group_id, member_id),
        )

    async def remove_member(self, group_id: int, member_id: int) -> None:
        await self._ex.execute(
            "DELETE FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id)
        )

    async def as_written(self) -> dict[str, NewSubject]:
        """Every subject as a bundle gives it (aliases without its name, groups by slug)."""
        rows = await self._ex.fetchall("SELECT id, slug, name, kind FROM subjects")
        subjects = {r[0]: (r[1], r[2], r[3]) for r in rows}
        aliases: dict[int, list[str]] = defaultdict(list)
        for subject_id, alias in await self._ex.fetchall(
            "SELECT subject_id, alias FROM aliases ORDER BY rowid"
        ):
            aliases[subject_id].append(alias)
        groups: dict[int, list[str]] = defaultdict(list)
        for member_id, group_id in await self._ex.fetchall(
            "SELECT member_id, group_id FROM memberships ORDER BY rowid"
        ):
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
