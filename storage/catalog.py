"""The catalogue's own rows: followed artists and the MusicBrainz id of each subject.

Writes happen in the caller's transaction (CatalogWrites), so a sync lands an artist with its
facts all at once or not at all; its names go through storage.name_writes like any other.
All SQL here is parameterized.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.audit import Actor
from storage.backend import Executor
from storage.bundle import BundleError, section_entries
from storage.db import Database
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
    """The followed artists, read outside any transaction (`/catalog`, the sync's schedule)."""

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

    async def unfollow(self, mbid: str) -> bool:
        """Stop following; what was imported stays (it is the store's now, with its sources)."""
        async with self.db.transaction() as ex:
            return await ex.execute("DELETE FROM catalog_followed WHERE mbid = ?", (mbid,)) == 1

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


class CatalogWrites:
    """Follows and MusicBrainz links as one transaction writes and sees them, so a sync lands
    an artist with its facts all at once or not at all."""

    def __init__(self, ex: Executor):
        self._ex = ex

    async def follow(self, mbid: str, subject_id: int, name: str, at: dt.datetime) -> None:
        await self._ex.execute(
            "INSERT INTO catalog_followed(mbid, subject_id, name, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(mbid) DO UPDATE SET subject_id = excluded.subject_id,"
            " name = excluded.name",
            (mbid, subject_id, name, _iso(at)),
        )

    async def synced(self, mbid: str, at: dt.datetime) -> None:
        await self._ex.execute(
            "UPDATE catalog_followed SET synced_at = ? WHERE mbid = ?", (_iso(at), mbid)
        )

    async def subject_ids(self, mbids: Sequence[str]) -> dict[str, int]:
        """The subject each of these MBIDs is linked to (those linked)."""
        if not mbids:
            return {}
        rows = await self._ex.fetchall(
            "SELECT mbid, subject_id FROM subject_mbids WHERE mbid IN"
            " (SELECT value FROM json_each(?))",
            (json.dumps(list(mbids)),),
        )
        return {r[0]: r[1] for r in rows}

    async def linked_subjects(self) -> set[int]:
        return {r[0] for r in await self._ex.fetchall("SELECT subject_id FROM subject_mbids")}

    async def link(self, mbid: str, subject_id: int) -> None:
        await self._ex.execute(
            "INSERT INTO subject_mbids(mbid, subject_id) VALUES (?, ?)", (mbid, subject_id)
        )

    async def corrected(self, fact_ids: Sequence[int]) -> set[int]:
        """Facts someone other than the sync changed after it added them (and did not undo):
        an admin's correction, which a resync leaves standing. An admin's undo of one of the
        sync's own changes is such a correction too; undoing one's own correction is not."""
        if not fact_ids:
            return set()
        rows = await self._ex.fetchall(
            "SELECT DISTINCT CAST(target AS INTEGER) FROM audit_log WHERE target_kind = 'fact'"
            " AND platform <> ? AND undone_by IS NULL"
            " AND (action <> 'undo' OR undoes IN (SELECT id FROM audit_log WHERE platform = ?))"
            " AND target IN (SELECT value FROM json_each(?))",
            (SYNC_PLATFORM, SYNC_PLATFORM, json.dumps([str(i) for i in fact_ids])),
        )
        return {r[0] for r in rows}

    async def fact_ids(self, keys: Sequence[str]) -> dict[str, int]:
        """The facts with these keys (those that exist), by key."""
        rows = await self._ex.fetchall(
            "SELECT key, id FROM facts WHERE key IN (SELECT value FROM json_each(?))",
            (json.dumps(list(keys)),),
        )
        return {r[0]: r[1] for r in rows}

    async def import_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        """Link and follow what the store does not link yet; a link the store holds already
        (for that id or that subject) stays as it is. Returns how many links were added."""
        added = 0
        for row in rows:
            found = await self._ex.fetchone(
                "SELECT id FROM subjects WHERE slug = ?", (row["subject"],)
            )
            if found is None:
                raise BundleError(
                    f"{row['where']}: no subject '{row['subject']}' in the store or the bundle"
                )
            added += await self._ex.execute(
                "INSERT OR IGNORE INTO subject_mbids(mbid, subject_id) VALUES (?, ?)",
                (row["mbid"], found[0]),
            )
            follow = row.get("followed")
            if follow is not None:
                await self._ex.execute(
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
