"""Editors: people a bot admin allowed to change facts, subjects and aliases.

Every command asks whether its caller is an editor, straight from the table (one indexed
lookup): `fanbot admin editor remove …` in another process takes effect at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.backend import Database, Executor
from storage.bundle import BundleError, section_entries

_FIELDS = ("platform", "user_id", "name", "granted_by", "granted_at")


@dataclass(frozen=True)
class Editor:
    platform: str
    user_id: str
    name: str
    granted_by: str  # platform:user_id of the bot admin who granted it
    granted_at: str  # ISO 8601 UTC

    def to_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _FIELDS}


class EditorStore:
    """Who may change facts: asked by every command, outside any transaction."""

    def __init__(self, db: Database):
        self.db = db

    async def is_editor(self, platform: str, user_id: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM editors WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return row is not None

    async def all(self) -> list[Editor]:
        rows = await self.db.fetchall(
            f"SELECT {', '.join(_FIELDS)} FROM editors ORDER BY platform, user_id"
        )
        return [Editor(*r) for r in rows]

    async def export_rows(self) -> list[dict[str, str]]:
        return [e.to_dict() for e in await self.all()]


class EditorWrites:
    """Editors as one transaction writes and sees them (granting is audited with it)."""

    def __init__(self, ex: Executor):
        self._ex = ex

    async def get(self, platform: str, user_id: str) -> Editor | None:
        row = await self._ex.fetchone(
            f"SELECT {', '.join(_FIELDS)} FROM editors WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return Editor(*row) if row else None

    async def put(self, editor: Editor) -> None:
        await self._ex.execute(
            "INSERT INTO editors(platform, user_id, name, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(platform, user_id) DO UPDATE SET"
            " name = excluded.name, granted_by = excluded.granted_by,"
            " granted_at = excluded.granted_at",
            (editor.platform, editor.user_id, editor.name, editor.granted_by, editor.granted_at),
        )

    async def remove(self, platform: str, user_id: str) -> None:
        await self._ex.execute(
            "DELETE FROM editors WHERE platform = ? AND user_id = ?", (platform, user_id)
        )

    async def import_rows(self, rows: Sequence[Editor]) -> None:
        for editor in rows:
            await self.put(editor)


def parse_rows(raw: Any, origin: str) -> list[Editor]:
    """Check the 'editors' section of a bundle before anything is written."""
    out = []
    for where, row in section_entries(raw, origin, "editors", "editor"):
        values = []
        for name in _FIELDS:
            value = row.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                raise BundleError(f"{where}: '{name}' should be text")
            values.append(value)
        out.append(Editor(*values))
    return out
