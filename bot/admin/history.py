"""Audit entries as people read them: who, when, what changed from what to what."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.input import field_label, kind_word
from bot.i18n import N_, Translator, translator
from bot.replies import Line, ReplyBuilder
from bot.text import shorten
from storage.audit import Actor, AuditEntry

_ACTION_WORDS = {
    "add": N_("added"),
    "edit": N_("changed"),
    "remove": N_("removed (hidden)"),
    "restore": N_("restored"),
    "add alias": N_("added an alias"),
    "remove alias": N_("removed an alias"),
    "undo": N_("undid"),
}
_ALIAS_CHANGES = {  # "added “뷔” to V"
    "add alias": N_("added an alias “{alias}” to {name}"),
    "remove alias": N_("removed an alias “{alias}” from {name}"),
}
_FIELDS = {
    "summary": N_("summary"),
    "date": N_("date"),
    "subjects": N_("subjects"),
    "hidden": N_("removed"),
}


def when_text(at: dt.datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    label = "KST" if zone.key == "Asia/Seoul" else (local.tzname() or zone.key)
    return f"{local:%Y-%m-%d %H:%M} {label}"


def who_text(actor: Actor) -> str:
    return f"{shorten(actor.name, 60)} ({actor.platform} {shorten(actor.user_id, 30)})"


def _shown(value: Any, tr: Translator) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return shorten(tr._(", ").join(map(str, value)), 120)
    if isinstance(value, bool):
        return tr._("yes") if value else tr._("no")
    return shorten(str(value), 120)


def fact_diff(
    before: dict[str, Any], after: dict[str, Any], tr: Translator | None = None
) -> list[str]:
    """'date: 2024-01-24 → 2024-01-25' for each field that differs between two snapshots."""
    tr = tr or translator("en")
    out = []
    for name in ("summary", "date", "subjects", "hidden"):
        if before.get(name) != after.get(name):
            label = tr._(_FIELDS[name])
            out.append(f"{label}: {_shown(before.get(name), tr)} → {_shown(after.get(name), tr)}")
    old, new = before.get("details") or {}, after.get("details") or {}
    for name in dict.fromkeys([*old, *new]):
        if old.get(name) != new.get(name):
            label = field_label(name)(tr)
            out.append(f"{label}: {_shown(old.get(name), tr)} → {_shown(new.get(name), tr)}")
    old_titles = [s.get("title") for s in before.get("sources") or []]
    for s in after.get("sources") or []:
        if s.get("title") not in old_titles:
            title = shorten(str(s.get("title")), 80)
            out.append(tr._("source added: {title}").format(title=title))
    return out


def describe(entry: AuditEntry, tr: Translator | None = None) -> str:
    """What a change did, in a sentence fragment, in the reader's language."""
    tr = tr or translator("en")
    verb = tr._(_ACTION_WORDS[entry.action]) if entry.action in _ACTION_WORDS else entry.action
    before, after = entry.before, entry.after
    if entry.target_kind == "fact":
        if entry.action == "add" and after:
            summary = shorten(str(after.get("summary")), 120)
            return tr._("added #{id}: {summary}").format(id=entry.target, summary=summary)
        if entry.action == "undo":
            what = tr._("change {change} to fact #{id}").format(
                change=entry.undoes, id=entry.target
            )
        else:
            what = tr._("fact #{id}").format(id=entry.target)
        changes = fact_diff(before or {}, after or {}, tr) if before and after else []
        if entry.action in ("remove", "restore"):
            changes = []
        text = tr._("{verb} {what}").format(verb=verb, what=what)
        return text + (f" ({'; '.join(changes)})" if changes else "")
    if entry.target_kind == "subject":
        if "alias" in (after or before or {}):
            data = after or before or {}
            if entry.action == "undo":
                said = (
                    N_("undid change {change}: added back the alias “{alias}”")
                    if after
                    else N_("undid change {change}: took away the alias “{alias}”")
                )
                return tr.fill(said, change=entry.undoes, alias=data["alias"])
            if entry.action in _ALIAS_CHANGES:
                return tr.fill(
                    _ALIAS_CHANGES[entry.action], alias=data["alias"], name=data.get("subject")
                )
            return f"{verb} “{data['alias']}” to {data.get('subject')}"
        data = after or before or {}
        if "group" in data:  # the catalogue's sync adds and removes members
            said = (
                N_("{name} joined the group {group}")
                if after
                else N_("{name} left the group {group}")
            )
            return tr.fill(said, name=data.get("subject"), group=data["group"])
        groups = tr._(", ").join(data.get("group_names") or data.get("groups") or [])
        kind = str(data.get("kind"))
        kind = kind_word(tr, kind)
        if groups:
            kind = tr.fill(N_("{kind} of {groups}"), kind=kind, groups=groups)
        label = f"{data.get('name')} ({kind})"
        if entry.action == "undo":
            return tr._("undid change {change}: removed the subject {label}").format(
                change=entry.undoes, label=label
            )
        return tr._("{verb} the subject {label}").format(verb=verb, label=label)
    data = after or before or {}
    who = f"{data.get('name')} ({entry.target})"
    if entry.action == "undo":
        said = (
            N_("undid change {change}: {who} is an editor")
            if after
            else N_("undid change {change}: {who} is no longer an editor")
        )
        return tr.fill(said, change=entry.undoes, who=who)
    if entry.action == "add editor":
        return tr.fill(N_("made {who} an editor"), who=who)
    return tr.fill(N_("took the editor role from {who}"), who=who)


def add_entry(
    b: ReplyBuilder, entry: AuditEntry, zone: ZoneInfo, tr: Translator | None = None
) -> None:
    """One entry as a line, its source cited, its undo noted."""
    tr = tr or translator("en")
    text = tr._("change {id}").format(id=entry.id)
    text += f" · {when_text(entry.at, zone)} · {who_text(entry.actor)}: "
    text += describe(entry, tr)
    if entry.undone_by is not None:
        text += tr._(" [undone by change {id}]").format(id=entry.undone_by)
    refs = b.cite((entry.source,)) if entry.source else ()
    b.lines.append(Line(text, refs=refs))
