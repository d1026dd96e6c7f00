"""An import: a bundle merged into the store in one transaction, all of it or none of it.

Every change it makes is recorded in the audit trail (as `import FILE`), and a value someone
changed after the bundle was exported (an admin's correction, a later import) is kept rather
than silently replaced, unless the operator asks to overwrite; the report says what was kept.
The audit trail decides what is newer, not facts.updated_at (SQLite's clock, not the injected
one): a bundle without an export time (a hand-written seed) is older than any recorded change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from storage.audit import (
    Actor,
    AuditEntry,
    NewEntry,
    fact_from_snapshot,
    fact_snapshot,
    new_fact_snapshot,
    subject_snapshot,
)
from storage.bundle import Bundle
from storage.models import Fact, NewFact, NewSubject, SubjectKind
from storage.unit import Transaction

_EVERYTHING = "*"  # a change that made the thing (an add): all of it is newer than the bundle
_FACT_FIELDS = ("kind", "date", "summary", "subjects", "sources", "hidden")


@dataclass(frozen=True)
class Kept:
    """A fact or subject whose newer values the import left as they were."""

    what: str  # "#1", "subject IU"
    fields: tuple[str, ...]


@dataclass
class ImportReport:
    subjects_added: int = 0
    subjects_changed: int = 0
    facts_added: int = 0
    facts_changed: int = 0
    audit_added: int = 0
    kept: list[Kept] = field(default_factory=list)


def import_actor(origin: str) -> Actor:
    """Who an import's changes are recorded as: `import FILE` (the path in full as its id)."""
    return Actor("import", origin, f"import {PurePath(origin).name}")


@dataclass
class _Plan:
    subjects: list[NewSubject] = field(default_factory=list)
    facts: list[NewFact] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)  # subjects' now, facts' once written
    fact_before: dict[str, Fact] = field(default_factory=dict)  # by key, for the changed ones
    report: ImportReport = field(default_factory=ImportReport)


async def plan_and_write(
    tx: Transaction,
    bundle: Bundle,
    audit_rows: Sequence[dict[str, Any]],
    *,
    actor: Actor | None,
    at: dt.datetime | None,
    overwrite: bool,
) -> ImportReport:
    """Compare the bundle with the store and its audit trail, then write what changes, in the
    caller's transaction: subjects, the bundle's own audit entries, facts, then this import's
    entries (after the bundle's, so the history it brings keeps its ids where they are free)."""
    plan = _Plan()
    current_subjects = await tx.names.as_written()
    current = {f.key: f for f in await tx.facts.facts_by_keys([f.key for f in bundle.facts])}
    # Only what the bundle would change needs its history read (a re-import reads none).
    differing = [
        ("subject", s.slug)
        for s in bundle.subjects
        if s.slug in current_subjects and _shape(s) != _shape(current_subjects[s.slug])
    ] + [
        ("fact", str(old.id))
        for f in bundle.facts
        if (old := current.get(f.key)) is not None
        and _flat(fact_snapshot(old)) != _flat(new_fact_snapshot(f, old.id, old.version))
    ]
    newer = {}
    if differing and not overwrite:
        newer = _newer_fields(await tx.audit.changes_since(bundle.exported_at, differing))
    names = {slug: s.name for slug, s in current_subjects.items()}
    names.update({s.slug: s.name for s in bundle.subjects})
    for new in bundle.subjects:
        _plan_subject(plan, new, current_subjects.get(new.slug), newer, names)
    for new in bundle.facts:
        _plan_fact(plan, new, current.get(new.key), newer)

    # Set-based (storage.bulk): the per-row triggers aside, copies and search entries at the end.
    async with tx.bulk():
        if plan.subjects:  # groups first, as ever: a store's ids do not depend on the file's order
            await tx.names.upsert_subjects(
                sorted(plan.subjects, key=lambda s: s.kind != SubjectKind.GROUP)
            )
        plan.report.audit_added = await tx.audit.import_rows(audit_rows)
        ids = await tx.facts.upsert_facts(plan.facts)
    if actor is None or at is None:  # seeding an empty store: nothing is recorded
        return plan.report
    for new in plan.facts:
        before = plan.fact_before.get(new.key)
        after = new_fact_snapshot(new, ids[new.key], before.version + 1 if before else 1)
        plan.entries.append(
            NewEntry(
                "edit" if before else "add",
                "fact",
                str(ids[new.key]),
                fact_snapshot(before) if before else None,
                after,
            )
        )
    if plan.entries:
        await tx.audit.record_many(at=at, actor=actor, entries=plan.entries)
    return plan.report


def _newer_fields(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], set[str]]:
    """What each change recorded since the export touched, by (target kind, target): fact
    fields (details by name), a subject's aliases, or everything for an add."""
    touched: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in entries:
        fields = touched[(entry.target_kind, entry.target)]
        before, after = entry.before, entry.after
        if entry.target_kind == "subject":
            alias = (after or before or {}).get("alias")
            fields.add(f"alias:{alias}" if alias is not None else _EVERYTHING)
        elif before is None or after is None:
            fields.add(_EVERYTHING)
        else:
            old, new = _flat(before), _flat(after)
            fields.update(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return touched


def _flat(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A fact snapshot as the values an import compares one by one (details by name)."""
    out = {name: snapshot.get(name) for name in _FACT_FIELDS}
    for name, value in (snapshot.get("details") or {}).items():
        if value is not None:
            out[f"details.{name}"] = value
    return out


def _unflat(values: dict[str, Any], like: dict[str, Any]) -> NewFact:
    snapshot = {**like, **{k: v for k, v in values.items() if not k.startswith("details.")}}
    snapshot["details"] = {
        k.removeprefix("details."): v
        for k, v in values.items()
        if k.startswith("details.") and v is not None
    }
    return fact_from_snapshot(snapshot)


def _plan_fact(
    plan: _Plan, new: NewFact, current: Fact | None, newer: dict[tuple[str, str], set[str]]
) -> None:
    if current is None:
        plan.facts.append(new)
        plan.report.facts_added += 1
        return
    mine = fact_snapshot(current)
    theirs = new_fact_snapshot(new, current.id, current.version)
    have, offered = _flat(mine), _flat(theirs)
    differ = {k for k in have.keys() | offered.keys() if have.get(k) != offered.get(k)}
    if not differ:
        return
    guarded = newer.get(("fact", str(current.id)), set())
    keep = differ if _EVERYTHING in guarded else differ & guarded
    if keep:
        shown = sorted(k.removeprefix("details.").replace("_", " ") for k in keep)
        plan.report.kept.append(Kept(f"#{current.id}", tuple(shown)))
    if differ - keep:
        values = {**have, **{k: offered.get(k) for k in differ - keep}}
        plan.facts.append(replace(_unflat(values, mine), id=current.id, key=current.key))
        plan.fact_before[current.key] = current
        plan.report.facts_changed += 1


def _plan_subject(
    plan: _Plan,
    new: NewSubject,
    current: NewSubject | None,
    newer: dict[tuple[str, str], set[str]],
    names: dict[str, str],
) -> None:
    def snapshot(s: NewSubject) -> dict[str, Any]:
        return subject_snapshot(s, [names.get(g, g) for g in s.groups])

    if current is None:
        plan.subjects.append(new)
        plan.entries.append(NewEntry("add", "subject", new.slug, None, snapshot(new)))
        plan.report.subjects_added += 1
        return
    guarded = newer.get(("subject", new.slug), set())
    offered = [a for a in dict.fromkeys(new.aliases) if a != new.name]
    if _EVERYTHING in guarded:
        if _shape(current) != _shape(replace(new, aliases=tuple(offered))):
            plan.report.kept.append(Kept(f"subject {current.name}", ("everything",)))
        return
    touched = {g.removeprefix("alias:") for g in guarded}
    have = set(current.aliases)
    aliases = [a for a in offered if a not in touched]
    aliases += [a for a in current.aliases if a in touched and a not in aliases]
    kept = sorted(a for a in touched if (a in have) != (a in offered))
    if kept:
        plan.report.kept.append(Kept(f"subject {current.name}", tuple(f"alias {a}" for a in kept)))
    merged = replace(new, aliases=tuple(aliases))
    if _shape(merged) != _shape(current):
        plan.subjects.append(merged)
        plan.entries.append(
            NewEntry("edit", "subject", new.slug, snapshot(current), snapshot(merged))
        )
        plan.report.subjects_changed += 1


def _shape(s: NewSubject) -> tuple[str, SubjectKind, frozenset[str], tuple[str, ...]]:
    """What a subject is, for comparing: aliases in any order, its own name not one of them."""
    return (s.name, s.kind, frozenset(a for a in s.aliases if a != s.name), s.groups)
