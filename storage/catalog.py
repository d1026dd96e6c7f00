"""The catalogue's own rows: followed artists and the MusicBrainz id of each subject.

Writes take the caller's connection, so a sync lands an artist with its facts in one
transaction (all of it or none of it). All SQL here is parameterized.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.audit import Actor
from storage.bundle import BundleError, section_entries
from storage.db import Database
from storage.errors import ConflictError
from storage.models import normalize_name

SYNC_PLATFORM = "musicbrainz"  # the audit trail's name for the sync's changes
SYNC_ACTOR = Actor(SYNC_PLATFORM, SYNC_PLATFORM, "MusicBrainz")
_MBID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Followed:
    mbid: str
    subject_id: int
    name: str
    added_at: dt.datetime
    synced_at: dt.datetime | None


def _when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


class CatalogStore:
    def __init__(self, db: Database):
        self.db = db

    async def followed(self) -> list[Followed]:
        rows = await self.db.fetchall(
            "SELECT mbid, subject_id, name, added_at, synced_at FROM catalog_followed"
            " ORDER BY name COLLATE NOCASE, mbid"
        )
        return [
            Followed(r[0], r[1], r[2], _when(r[3]) or dt.datetime.min, _when(r[4])) for r in rows
        ]

    async def find(self, text: str) -> list[Followed]:
        """The followed artists `text` names: an MBID, or a name in any case or spacing."""
        wanted = text.strip()
        return [
            f
            for f in await self.followed()
            if f.mbid == wanted.lower() or normalize_name(f.name) == normalize_name(wanted)
        ]

    async def follow(
        self, conn: aiosqlite.Connection, mbid: str, subject_id: int, name: str, at: dt.datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO catalog_followed(mbid, subject_id, name, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(mbid) DO UPDATE SET subject_id = excluded.subject_id,"
            " name = excluded.name",
            (mbid, subject_id, name, _iso(at)),
        )

    async def synced(self, conn: aiosqlite.Connection, mbid: str, at: dt.datetime) -> None:
        await conn.execute(
            "UPDATE catalog_followed SET synced_at = ? WHERE mbid = ?", (_iso(at), mbid)
        )

    async def unfollow(self, mbid: str) -> bool:
        """Stop following; what was imported stays (it is the store's now, with its sources)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute("DELETE FROM catalog_followed WHERE mbid = ?", (mbid,))
            return cur.rowcount == 1

    # ---- MusicBrainz ids of subjects ----------------------------------------------------

    async def subject_ids(self, conn: aiosqlite.Connection, mbids: Sequence[str]) -> dict[str, int]:
        """The subject each of these MBIDs is linked to (those linked)."""
        if not mbids:
            return {}
        cur = await conn.execute(
            "SELECT mbid, subject_id FROM subject_mbids WHERE mbid IN"
            f" ({','.join('?' * len(mbids))})",
            list(mbids),
        )
        return {r[0]: r[1] for r in await cur.fetchall()}

    async def linked_subjects(self, conn: aiosqlite.Connection) -> set[int]:
        cur = await conn.execute("SELECT subject_id FROM subject_mbids")
        return {r[0] for r in await cur.fetchall()}

    async def link(self, conn: aiosqlite.Connection, mbid: str, subject_id: int) -> None:
        await conn.execute(
            "INSERT INTO subject_mbids(mbid, subject_id) VALUES (?, ?)", (mbid, subject_id)
        )

    async def subject_label(self, conn: aiosqlite.Connection, subject_id: int) -> tuple[str, str]:
        """A subject's (slug, name) as the transaction sees it."""
        cur = await conn.execute("SELECT slug, name FROM subjects WHERE id = ?", (subject_id,))
        row = await cur.fetchone()
        if row is None:
            raise ConflictError(f"no subject {subject_id}")
        return str(row[0]), str(row[1])

    async def subjects_named(
        self, conn: aiosqlite.Connection, names: Iterable[str]
    ) -> dict[int, tuple[str, str, set[str]]]:
        """Subjects whose name or an alias folds like any of `names`:
        id -> (name, kind, every folded alias)."""
        norms = sorted({n for n in map(normalize_name, names) if n})
        if not norms:
            return {}
        cur = await conn.execute(
            "SELECT s.id, s.name, s.kind, a.norm FROM subjects s JOIN aliases a"
            " ON a.subject_id = s.id WHERE s.id IN (SELECT subject_id FROM aliases WHERE norm IN"
            f" ({','.join('?' * len(norms))}))",
            norms,
        )
        found: dict[int, tuple[str, str, set[str]]] = {}
        for sid, name, kind, norm in await cur.fetchall():
            found.setdefault(sid, (name, kind, set()))[2].add(norm)
        return found

    # ---- aliases and memberships, added without replacing what admins wrote ---------------

    async def add_aliases(
        self, conn: aiosqlite.Connection, subject_id: int, aliases: Iterable[str]
    ) -> list[str]:
        """Add the aliases the subject lacks (by folded form); returns those added."""
        cur = await conn.execute("SELECT norm FROM aliases WHERE subject_id = ?", (subject_id,))
        have = {r[0] for r in await cur.fetchall()}
        added = []
        for alias in aliases:
            norm = normalize_name(alias)
            if norm and norm not in have:
                await conn.execute(
                    "INSERT OR IGNORE INTO aliases(subject_id, alias, norm) VALUES (?, ?, ?)",
                    (subject_id, alias, norm),
                )
                have.add(norm)
                added.append(alias)
        return added

    async def members(self, conn: aiosqlite.Connection, group_id: int) -> set[int]:
        cur = await conn.execute(
            "SELECT member_id FROM memberships WHERE group_id = ?", (group_id,)
        )
        return {r[0] for r in await cur.fetchall()}

    async def add_member(self, conn: aiosqlite.Connection, group_id: int, member_id: int) -> None:
        await conn.execute(
            "INSERT OR IGNORE INTO memberships(group_id, member_id) VALUES (?, ?)",
            (group_id, member_id),
        )

    async def remove_member(
        self, conn: aiosqlite.Connection, group_id: int, member_id: int
    ) -> None:
        await conn.execute(
            "DELETE FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id)
        )

    async def corrected(self, conn: aiosqlite.Connection, fact_ids: Sequence[int]) -> set[int]:
        """Facts someone other than the sync changed after it added them (and did not undo):
        an admin's correction, which a resync leaves standing. An admin's undo of one of the
        sync's own changes is such a correction too; undoing one's own correction is not."""
        if not fact_ids:
            return set()
        cur = await conn.execute(
            "SELECT DISTINCT CAST(target AS INTEGER) FROM audit_log WHERE target_kind = 'fact'"
            " AND platform <> ? AND undone_by IS NULL"
            " AND (action <> 'undo' OR undoes IN (SELECT id FROM audit_log WHERE platform = ?))"
            f" AND target IN ({','.join('?' * len(fact_ids))})",
            [SYNC_PLATFORM, SYNC_PLATFORM, *map(str, fact_ids)],
        )
        return {r[0] for r in await cur.fetchall()}

    async def fact_ids(self, conn: aiosqlite.Connection, keys: Sequence[str]) -> dict[str, int]:
        """The facts with these keys (those that exist), by key."""
        found: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            cur = await conn.execute(
                f"SELECT key, id FROM facts WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update({r[0]: r[1] for r in await cur.fetchall()})
        return found

    # ---- export and import ------------------------------------------------------------------

    async def export_rows(self) -> list[dict[str, Any]]:
        """Each MusicBrainz link by subject key, with the follow where the artist is followed:
        what lets a resync after `fanbot import` update subjects instead of adding twins."""
        rows = await self.db.fetchall(
            "SELECT m.mbid, s.slug, f.name, f.added_at, f.synced_at FROM subject_mbids m"
            " JOIN subjects s ON s.id = m.subject_id"
            " LEFT JOIN catalog_followed f ON f.mbid = m.mbid ORDER BY s.slug, m.mbid"
        )
        out: list[dict[str, Any]] = []
        for mbid, slug, name, added_at, synced_at in rows:
            row: dict[str, Any] = {"mbid": mbid, "subject": slug}
            if name is not None:
                row["followed"] = {"name": name, "added_at": added_at, "synced_at": synced_at}
            out.append(row)
        return out

    async def import_rows(self, conn: aiosqlite.Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Link and follow what the store does not link yet; a link the store holds already
        (for that id or that subject) stays as it is. Returns how many links were added."""
        added = 0
        for row in rows:
            cur = await conn.execute("SELECT id FROM subjects WHERE slug = ?", (row["subject"],))
            found = await cur.fetchone()
            if found is None:
                raise BundleError(
                    f"{row['where']}: no subject '{row['subject']}' in the store or the bundle"
                )
            cur = await conn.execute(
                "INSERT OR IGNORE INTO subject_mbids(mbid, subject_id) VALUES (?, ?)",
                (row["mbid"], found[0]),
            )
            added += cur.rowcount
            follow = row.get("followed")
            if follow is not None:
                await conn.execute(
                    "INSERT OR IGNORE INTO catalog_followed(mbid, subject_id, name, added_at,"
                    " synced_at) SELECT mbid, subject_id, ?, ?, ? FROM subject_mbids"
                    " WHERE mbid = ?",
                    (follow["name"], follow["added_at"], follow["synced_at"], row["mbid"]),
                )
        return added


def parse_rows(raw: Any, origin: str) -> list[dict[str, Any]]:
    """Check the 'catalog' section of a bundle before anything is written."""
    out = []
    for where, row in section_entries(raw, origin, "catalog", "catalog entry"):
        mbid, subject = row.get("mbid"), row.get("subject")
        if not isinstance(mbid, str) or not _MBID.fullmatch(mbid):
            raise BundleError(f"{where}: 'mbid' should be a MusicBrainz id (36 characters)")
        if not isinstance(subject, str) or not subject.strip():
            raise BundleError(f"{where}: 'subject' should be a subject's key")
        checked: dict[str, Any] = {"mbid": mbid, "subject": subject, "where": where}
        follow = row.get("followed")
        if follow is not None:
            if not isinstance(follow, dict) or not isinstance(follow.get("name"), str):
                raise BundleError(f"{where}: 'followed' should have the artist's 'name'")
            checked["followed"] = {
                "name": follow["name"],
                "added_at": _time(follow.get("added_at"), where, "added_at"),
                "synced_at": _time(follow.get("synced_at"), where, "synced_at", optional=True),
            }
        out.append(checked)
    return out


def _time(value: Any, where: str, name: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    try:
        return _iso(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        raise BundleError(
            f"{where}: '{name}' should be a time like 2025-01-24T00:00:00+00:00"
        ) from None
