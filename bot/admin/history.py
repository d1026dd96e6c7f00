"""Audit entries as people read them: who, when, what changed from what to what."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.replies import Line, ReplyBuilder
from bot.text import shorten
from storage.audit import Actor, AuditEntry

_ACTION_WORDS = {
    "add": "added",
    "edit": "changed",
    "remove": "removed (hidden)",
    "restore": "restored",
    "add alias": "added an alias",
    "remove alias": "removed an alias",
    "undo": "undid",
}


def when_text(at: dt.datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    label = "KST" if zone.key == "Asia/Seoul" else (local.tzname() or zone.key)
    return f"{local:%Y-%m-%d %H:%M} {label}"


def who_text(actor: Actor) -> str:
    return f"{shorten(actor.name, 60)} ({actor.platform} {shorten(actor.user_id, 30)})"


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return shorten(", ".join(map(str, value)), 120)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return shorten(str(value), 120)


def fact_diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """'date: 2024-01-24 → 2024-01-25' for each field that differs between two snapshots."""
    out = []
    for name in ("summary", "date", "subjects", "hidden"):
        if before.get(name) != after.get(name):
            label = "removed" if name == "hidden" else name
            out.append(f"{label}: {_shown(before.get(name))} → {_shown(after.get(name))}")
    old, new = before.get("details") or {}, after.get("details") or {}
    for name in dict.fromkeys([*old, *new]):
        if old.get(name) != new.get(name):
            out.append(
                f"{name.replace('_', ' ')}: {_shown(old.get(name))} → {_shown(new.get(name))}"
            )
    old_titles = [s.get("title") for s in before.get("sources") or []]
    for s in after.get("sources") or []:
        if s.get("title") not in old_titles:
            out.append(f"source added: {shorten(str(s.get('title')), 80)}")
    return out


def describe(entry: AuditEntry) -> str:
    """What a change did, in a sentence fragment."""
    verb = _ACTION_WORDS.get(entry.action, entry.action)
    before, after = entry.before, entry.after
    if entry.target_kind == "fact":
        what = f"fact #{entry.target}"
        if entry.action == "add" and after:
            return f"added #{entry.target}: {shorten(str(after.get('summary')), 120)}"
        if entry.action == "undo":
            what = f"change {entry.undoes} to fact #{entry.target}"
        changes = fact_diff(before or {}, after or {}) if before and after else []
        if entry.action in ("remove", "restore"):
            changes = []
        return f"{verb} {what}" + (f" ({'; '.join(changes)})" if changes else "")
    if entry.target_kind == "subject":
        if "alias" in (after or before or {}):
            data = after or before or {}
            if entry.action == "undo":
                change = "added back" if after else "took away"
                return f"undid change {entry.undoes}: {change} the alias “{data['alias']}”"
            return f"{verb} “{data['alias']}” to {data.get('subject')}"
        data = after or before or {}
        if "group" in data:  # the catalogue's sync adds and removes members
            joined = "joined" if after else "left"
            return f"{data.get('subject')} {joined} the group {data['group']}"
        groups = ", ".join(data.get("group_names") or data.get("groups") or [])
        label = f"{data.get('name')} ({data.get('kind')}{' of ' + groups if groups else ''})"
        if entry.action == "undo":
            return f"undid change {entry.undoes}: removed the subject {label}"
        return f"{verb} the subject {label}"
    data = after or before or {}
    who = f"{data.get('name')} ({entry.target})"
    if entry.action == "undo":
        return f"undid change {entry.undoes}: {who} is {'an' if after else 'no longer an'} editor"
    if entry.action == "add editor":
        return f"made {who} an editor"
    return f"took the editor role from {who}"


def add_entry(b: ReplyBuilder, entry: AuditEntry, zone: ZoneInfo) -> None:
    """One entry as a line, its source cited, its undo noted."""
    text = f"change {entry.id} · {when_text(entry.at, zone)} · {who_text(entry.actor)}: "
    text += describe(entry)
    if entry.undone_by is not None:
        text += f" [undone by change {entry.undone_by}]"
    refs = b.cite((entry.source,)) if entry.source else ()
    b.lines.append(Line(text, refs=refs))
