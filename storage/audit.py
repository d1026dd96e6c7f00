"""The audit trail: who changed what, when, from what to what, citing which source.

Every admin change writes one entry inside the same transaction as the change itself, so
the trail and the data never disagree. Entries hold JSON snapshots of the thing before and
after, which is what /history shows and what /undo puts back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from storage.backend import Database
from storage.bundle import BundleError
from storage.models import Fact, FactKind, NewFact, NewSubject, PartialDate, Source

TARGET_KINDS = ("fact", "subject", "editor")
COLUMNS = (
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


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def entry_of(row: Any) -> AuditEntry:
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
    """Reads entries for /history, /audit and export (writes: storage.audit_writes)."""

    def __init__(self, db: Database):
        self.db = db

    async def for_target(self, target_kind: str, target: str, limit: int = 50) -> list[AuditEntry]:
        """A thing's entries, oldest first (the last `limit` of them)."""
        rows = await self.db.fetchall(
            f"SELECT {COLUMNS} FROM audit_log WHERE target_kind = ? AND target = ?"
            " ORDER BY id DESC LIMIT ?",
            (target_kind, target, limit),
        )
        return [entry_of(r) for r in reversed(list(rows))]

    async def count_for_target(self, target_kind: str, target: str) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM audit_log WHERE target_kind = ? AND target = ?",
            (target_kind, target),
        )
        return int(row[0]) if row else 0

    async def recent(self, limit: int = 10) -> list[AuditEntry]:
        """The latest entries, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {COLUMNS} FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [entry_of(r) for r in rows]

    async def count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) FROM audit_log")
        return int(row[0]) if row else 0

    # ---- export and import ------------------------------------------------------------------

    async def export_rows(self) -> list[dict[str, Any]]:
        """Every entry as plain data for the YAML bundle, oldest first."""
        rows = await self.db.fetchall(f"SELECT {COLUMNS} FROM audit_log ORDER BY id")
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
