"""The audit trail: who changed what, when, from what to what, citing which source.

Every admin change writes one entry inside the same transaction as the change itself, so
the trail and the data never disagree. Entries hold JSON snapshots of the thing before and
after, which is what /history shows and what /undo puts back.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.bundle import BundleError
from storage.db import Database
from storage.models import Fact, FactKind, NewFact, NewSubject, PartialDate, Source

TARGET_KINDS = ("fact", "subject", "editor")
_COLUMNS = (
    "id, at, platform, user_id, user_name, action, target_kind, target, before, after, source,"
    " undoes, undone_by"
)


@dataclass(frozen=True)
class Actor:
    """Who made a change: a platform, the user's id there, and the name they showed."""

    platform: str
    user_id: str
    name: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: Actor
    action: str
    target_kind: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: Source | None
    undoes: int | None = None
    undone_by: int | None = None


def fact_snapshot(fact: Fact) -> dict[str, Any]:
    """A fact as plain data: what an audit entry keeps and what /undo restores."""
    return {
        "id": fact.id,
        "key": fact.key,
        "kind": fact.kind.value,
        "date": fact.date.iso(),
        "summary": fact.summary,
        "subjects": [s.slug for s in fact.subjects],
        "details": dict(fact.details),
        "sources": [s.to_dict() for s in fact.sources],
        "hidden": fact.hidden,
        "version": fact.version,
    }


def new_fact_snapshot(new: NewFact, fact_id: int, version: int) -> dict[str, Any]:
    """The snapshot of a fact as written from a NewFact (an import writes no Fact first)."""
    return {
        "id": fact_id,
        "key": new.key,
        "kind": new.kind.value,
        "date": new.date.iso(),
        "summary": new.summary,
        "subjects": list(dict.fromkeys(new.subjects)),
        "details": dict(new.details),
        "sources": [s.to_dict() for s in new.sources],
        "hidden": new.hidden,
        "version": version,
    }


def subject_snapshot(new: NewSubject, group_names: list[str]) -> dict[str, Any]:
    return {
        "slug": new.slug,
        "name": new.name,
        "kind": new.kind.value,
        "aliases": list(new.aliases),
        "groups": list(new.groups),
        "group_names": group_names,
    }


@dataclass(frozen=True)
class NewEntry:
    """An entry to record, for record_many (an import records one per change)."""

    action: str
    target_kind: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def fact_from_snapshot(snap: dict[str, Any]) -> NewFact:
    return NewFact(
        key=snap["key"],
        kind=FactKind(snap["kind"]),
        summary=snap["summary"],
        date=PartialDate.parse(snap["date"]),
        subjects=tuple(snap["subjects"]),
        sources=tuple(Source(**s) for s in snap["sources"]),
        details=dict(snap.get("details") or {}),
        hidden=bool(snap.get("hidden")),
        id=snap.get("id"),
    )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _entry(row: Any) -> AuditEntry:
    source = json.loads(row["source"]) if row["source"] else None
    return AuditEntry(
        id=row["id"],
        at=dt.datetime.fromisoformat(row["at"]),
        actor=Actor(row["platform"], row["user_id"], row["user_name"]),
        action=row["action"],
        target_kind=row["target_kind"],
        target=row["target"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        source=Source(**source) if source else None,
        undoes=row["undoes"],
        undone_by=row["undone_by"],
    )


class AuditStore:
    """Writes entries inside the caller's transaction; reads them for /history and /audit."""

    def __init__(self, db: Database):
        self.db = db

    async def record(
        self,
        conn: aiosqlite.Connection,
        *,
        at: dt.datetime,
        actor: Actor,
        action: str,
        target_kind: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        source: Source | None,
        undoes: int | None = None,
    ) -> int:
        if target_kind not in TARGET_KINDS:
            raise ValueError(f"unknown audit target kind {target_kind!r}")
        cur = await conn.execute(
            "INSERT INTO audit_log(at, platform, user_id, user_name, action, target_kind, target,"
            " before, after, source, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                actor.platform,
                actor.user_id,
                actor.name,
                action,
                target_kind,
                target,
                _json(before),
                _json(after),
                _json(source.to_dict() if source else None),
                undoes,
            ),
        )
        entry_id = int(cur.lastrowid or 0)
        if undoes is not None:
            await conn.execute(
                "UPDATE audit_log SET undone_by = ? WHERE id = ?", (entry_id, undoes)
            )
        return entry_id

    async def record_many(
        self,
        conn: aiosqlite.Connection,
        *,
        at: dt.datetime,
        actor: Actor,
        entries: Sequence[NewEntry],
    ) -> None:
        """Record many entries by one actor at one time in one statement (an import's)."""
        if any(e.target_kind not in TARGET_KINDS for e in entries):
            raise ValueError("unknown audit target kind")
        when = at.astimezone(dt.UTC).isoformat(timespec="seconds")
        await conn.executemany(
            "INSERT INTO audit_log(at, platform, user_id, user_name, action, target_kind, target,"
            " before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    when,
                    actor.platform,
                    actor.user_id,
                    actor.name,
                    e.action,
                    e.target_kind,
                    e.target,
                    _json(e.before),
                    _json(e.after),
                )
                for e in entries
            ],
        )

    async def changes_since(
        self,
        conn: aiosqlite.Connection,
        since: dt.datetime | None,
        targets: Sequence[tuple[str, str]],
    ) -> list[AuditEntry]:
        """Entries on these (target kind, target) made at or after `since` (all when None),
        oldest first: what an import must not overwrite. The same second counts as after."""
        when = "" if since is None else since.astimezone(dt.UTC).isoformat(timespec="seconds")
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE at >= ? AND (target_kind, target) IN"
            " (SELECT value ->> 0, value ->> 1 FROM json_each(?)) ORDER BY id",
            (when, json.dumps(targets)),
        )
        return [_entry(r) for r in await cur.fetchall()]

    async def last_undoable(self, conn: aiosqlite.Connection, actor: Actor) -> AuditEntry | None:
        """The actor's latest change that is not an undo and was not undone (in the transaction,
        so two /undo at once never pick the same entry)."""
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE platform = ? AND user_id = ?"
            " AND undoes IS NULL AND undone_by IS NULL ORDER BY id DESC LIMIT 1",
            (actor.platform, actor.user_id),
        )
        row = await cur.fetchone()
        return _entry(row) if row else None

    async def entry_in(self, conn: aiosqlite.Connection, entry_id: int) -> AuditEntry | None:
        """One entry by its number, read in the caller's transaction (what /undo N undoes)."""
        cur = await conn.execute(f"SELECT {_COLUMNS} FROM audit_log WHERE id = ?", (entry_id,))
        row = await cur.fetchone()
        return _entry(row) if row else None

    async def later_on_target(
        self, conn: aiosqlite.Connection, entry: AuditEntry
    ) -> list[AuditEntry]:
        """Every entry on the same thing made after `entry`, oldest first (in the caller's
        transaction, so what /undo checks is what it writes over)."""
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM audit_log WHERE target_kind = ? AND target = ? AND id > ?"
            " ORDER BY id",
            (entry.target_kind, entry.target, entry.id),
        )
        return [_entry(r) for r in await cur.fetchall()]

    async def for_target(self, target_kind: str, target: str, limit: int = 50) -> list[AuditEntry]:
        """A thing's entries, oldest first (the last `limit` of them)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM audit_log WHERE target_kind = ? AND target = ?"
            " ORDER BY id DESC LIMIT ?",
            (target_kind, target, limit),
        )
        return [_entry(r) for r in reversed(list(rows))]

    async def count_for_target(self, target_kind: str, target: str) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM audit_log WHERE target_kind = ? AND target = ?",
            (target_kind, target),
        )
        return int(row[0]) if row else 0

    async def recent(self, limit: int = 10) -> list[AuditEntry]:
        """The latest entries, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [_entry(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM audit_log")
        return int(row[0]) if row else 0

    # ---- export and import ------------------------------------------------------------------

    async def export_rows(self) -> list[dict[str, Any]]:
        """Every entry as plain data for the YAML bundle, oldest first."""
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM audit_log ORDER BY id")
        out = []
        for r in rows:
            row: dict[str, Any] = {
                "id": r["id"],
                "at": r["at"],
                "platform": r["platform"],
                "user_id": r["user_id"],
                "user_name": r["user_name"],
                "action": r["action"],
                "target_kind": r["target_kind"],
                "target": r["target"],
            }
            for name in ("before", "after", "source"):
                if r[name]:
                    row[name] = json.loads(r[name])
            for name in ("undoes", "undone_by"):
                if r[name] is not None:
                    row[name] = r[name]
            out.append(row)
        return out

    async def import_rows(self, conn: aiosqlite.Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Add entries the store does not hold yet (same time, person, action, target and
        values); ids are renumbered where taken and references between entries follow.
        A few statements for any number of entries. Returns how many were added."""
        if not rows:
            return 0
        cur = await conn.execute(
            "SELECT id, at, platform, user_id, action, target_kind, target, before, after"
            " FROM audit_log WHERE at BETWEEN ? AND ?",
            (min(r["at"] for r in rows), max(r["at"] for r in rows)),
        )
        held = {tuple(r[1:]): r[0] for r in await cur.fetchall()}
        cur = await conn.execute("SELECT id FROM audit_log")
        taken = {r[0] for r in await cur.fetchall()}
        next_id = max(taken, default=0) + 1
        new_ids: dict[int, int] = {}
        added: list[tuple[Any, ...]] = []
        links: list[tuple[int, int | None, int | None]] = []
        for row in sorted(rows, key=lambda r: r["id"]):
            before, after = _json(row.get("before")), _json(row.get("after"))
            same = (row["at"], row["platform"], row["user_id"], row["action"])
            found = held.get((*same, row["target_kind"], row["target"], before, after))
            if found is not None:
                new_ids[row["id"]] = found
                continue
            entry_id = row["id"]
            if entry_id in taken:
                entry_id, next_id = next_id, next_id + 1
            taken.add(entry_id)
            next_id = max(next_id, entry_id + 1)
            new_ids[row["id"]] = entry_id
            added.append(
                (
                    entry_id,
                    row["at"],
                    row["platform"],
                    row["user_id"],
                    row["user_name"],
                    row["action"],
                    row["target_kind"],
                    row["target"],
                    before,
                    after,
                    _json(row.get("source")),
                )
            )
            links.append((entry_id, row.get("undoes"), row.get("undone_by")))
        await conn.executemany(
            "INSERT INTO audit_log(id, at, platform, user_id, user_name, action, target_kind,"
            " target, before, after, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            added,
        )
        await conn.executemany(
            "UPDATE audit_log SET undoes = ?, undone_by = ? WHERE id = ?",
            [
                (new_ids.get(undoes or -1), new_ids.get(undone_by or -1), entry_id)
                for entry_id, undoes, undone_by in links
                if undoes is not None or undone_by is not None
            ],
        )
        return len(added)


def parse_rows(raw: Any, origin: str) -> list[dict[str, Any]]:
    """Check the 'audit' section of a bundle before anything is written."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BundleError(f"{origin}: 'audit' should be a list of entries")
    rows: list[dict[str, Any]] = []
    ids: set[int] = set()
    for i, row in enumerate(raw):
        where = f"{origin}: audit entry #{i + 1}"
        if not isinstance(row, dict):
            raise BundleError(f"{where} is not a mapping")
        entry_id = row.get("id")
        if not isinstance(entry_id, int) or isinstance(entry_id, bool) or entry_id < 1:
            raise BundleError(f"{where}: id must be a positive whole number")
        if entry_id in ids:
            raise BundleError(f"{where}: id {entry_id} is listed twice")
        ids.add(entry_id)
        for name in ("at", "platform", "user_id", "user_name", "action", "target"):
            value = row.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                row = {**row, name: str(value)}
            elif not isinstance(value, str) or not value.strip():
                raise BundleError(f"{where}: '{name}' should be text")
        try:
            dt.datetime.fromisoformat(row["at"])
        except ValueError:
            raise BundleError(
                f"{where}: 'at' is not a time like 2025-01-24T09:00:00+00:00"
            ) from None
        if row.get("target_kind") not in TARGET_KINDS:
            raise BundleError(f"{where}: target_kind is one of {', '.join(TARGET_KINDS)}")
        for name in ("before", "after"):
            if row.get(name) is not None and not isinstance(row[name], dict):
                raise BundleError(f"{where}: '{name}' should be a mapping")
        source = row.get("source")
        if source is not None and (
            not isinstance(source, dict)
            or not isinstance(source.get("title"), str)
            or not set(source) <= {"title", "url", "publisher", "published"}
        ):
            raise BundleError(f"{where}: 'source' should be a mapping with a title (and a url)")
        for name in ("undoes", "undone_by"):
            value = row.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise BundleError(f"{where}: '{name}' should be an entry id")
        rows.append(row)
    return rows
