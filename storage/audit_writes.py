"""Writing the audit trail inside the change's own transaction, and what a change reads of it
there (so two /undo at once never pick the same entry, and an import sees what it keeps)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from storage.audit import COLUMNS, TARGET_KINDS, Actor, AuditEntry, NewEntry, entry_of, to_json
from storage.backend import Executor
from storage.dialect import sql_for
from storage.models import Source


class AuditWrites:
    """The audit trail as one transaction writes and sees it."""

    def __init__(self, ex: Executor):
        self._ex = ex
        self._sql = sql_for(ex)

    async def record(
        self,
        entry: NewEntry,
        *,
        at: dt.datetime,
        actor: Actor,
        source: Source | None = None,
        undoes: int | None = None,
    ) -> int:
        """One change's entry (an undo names the entry it undoes, which is marked undone)."""
        action, target_kind, target = entry.action, entry.target_kind, entry.target
        before, after = entry.before, entry.after
        if target_kind not in TARGET_KINDS:
            raise ValueError(f"unknown audit target kind {target_kind!r}")
        row = await self._ex.fetchone(
            "INSERT INTO audit_log(at, platform, user_id, user_name, action, target_kind, target,"
            " before, after, source, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                at.astimezone(dt.UTC).isoformat(timespec="seconds"),
                actor.platform,
                actor.user_id,
                actor.name,
                action,
                target_kind,
                target,
                to_json(before),
                to_json(after),
                to_json(source.to_dict() if source else None),
                undoes,
            ),
        )
        assert row is not None  # RETURNING gives the one row inserted
        entry_id = int(row[0])
        if undoes is not None:
            await self._ex.execute(
                "UPDATE audit_log SET undone_by = ? WHERE id = ?", (entry_id, undoes)
            )
        return entry_id

    async def record_many(
        self,
        *,
        at: dt.datetime,
        actor: Actor,
        entries: Sequence[NewEntry],
    ) -> None:
        """Record many entries by one actor at one time in one statement (an import's)."""
        if any(e.target_kind not in TARGET_KINDS for e in entries):
            raise ValueError("unknown audit target kind")
        when = at.astimezone(dt.UTC).isoformat(timespec="seconds")
        await self._ex.executemany(
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
                    to_json(e.before),
                    to_json(e.after),
                )
                for e in entries
            ],
        )

    async def changes_since(
        self,
        since: dt.datetime | None,
        targets: Sequence[tuple[str, str]],
    ) -> list[AuditEntry]:
        """Entries on these (target kind, target) made at or after `since` (all when None),
        oldest first: what an import must not overwrite. The same second counts as after."""
        when = "" if since is None else since.astimezone(dt.UTC).isoformat(timespec="seconds")
        rows = await self._ex.fetchall(
            f"SELECT {COLUMNS} FROM audit_log WHERE at >= ? AND (target_kind, target) IN"
            f" (SELECT value ->> 0, value ->> 1 FROM {self._sql.json_rows}) ORDER BY id",
            (when, json.dumps(targets)),
        )
        return [entry_of(r) for r in rows]

    async def last_undoable(self, actor: Actor) -> AuditEntry | None:
        """The actor's latest change that is not an undo and was not undone (in the transaction,
        so two /undo at once never pick the same entry)."""
        row = await self._ex.fetchone(
            f"SELECT {COLUMNS} FROM audit_log WHERE platform = ? AND user_id = ?"
            " AND undoes IS NULL AND undone_by IS NULL ORDER BY id DESC LIMIT 1",
            (actor.platform, actor.user_id),
        )
        return entry_of(row) if row else None

    async def entry(self, entry_id: int) -> AuditEntry | None:
        """One entry by its number, read in the caller's transaction (what /undo N undoes)."""
        row = await self._ex.fetchone(f"SELECT {COLUMNS} FROM audit_log WHERE id = ?", (entry_id,))
        return entry_of(row) if row else None

    async def later_on_target(self, entry: AuditEntry) -> list[AuditEntry]:
        """Every entry on the same thing made after `entry`, oldest first (in the caller's
        transaction, so what /undo checks is what it writes over)."""
        rows = await self._ex.fetchall(
            f"SELECT {COLUMNS} FROM audit_log WHERE target_kind = ? AND target = ? AND id > ?"
            " ORDER BY id",
            (entry.target_kind, entry.target, entry.id),
        )
        return [entry_of(r) for r in rows]

    async def import_rows(self, rows: Sequence[dict[str, Any]]) -> int:
        """Add entries the store does not hold yet (same time, person, action, target and
        values); ids are renumbered where taken and references between entries follow.
        A few statements for any number of entries. Returns how many were added."""
        if not rows:
            return 0
        rows_held = await self._ex.fetchall(
            "SELECT id, at, platform, user_id, action, target_kind, target, before, after"
            " FROM audit_log WHERE at BETWEEN ? AND ?",
            (min(r["at"] for r in rows), max(r["at"] for r in rows)),
        )
        held = {tuple(r[1:]): r[0] for r in rows_held}
        taken = {r[0] for r in await self._ex.fetchall("SELECT id FROM audit_log")}
        next_id = max(taken, default=0) + 1
        new_ids: dict[int, int] = {}
        added: list[tuple[Any, ...]] = []
        links: list[tuple[int, int | None, int | None]] = []
        for row in sorted(rows, key=lambda r: r["id"]):
            before, after = to_json(row.get("before")), to_json(row.get("after"))
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
                    to_json(row.get("source")),
                )
            )
            links.append((entry_id, row.get("undoes"), row.get("undone_by")))
        await self._ex.executemany(
            "INSERT INTO audit_log(id, at, platform, user_id, user_name, action, target_kind,"
            " target, before, after, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            added,
        )
        await self._ex.executemany(
            "UPDATE audit_log SET undoes = ?, undone_by = ? WHERE id = ?",
            [
                (new_ids.get(undoes or -1), new_ids.get(undone_by or -1), entry_id)
                for entry_id, undoes, undone_by in links
                if undoes is not None or undone_by is not None
            ],
        )
        if added and (move_ids := self._sql.after_explicit_ids("audit_log")):
            await self._ex.execute(move_ids)  # the next record() gets a free id
        return len(added)
