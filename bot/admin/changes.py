"""Every admin change as one transaction: check, write, and record it in the audit trail.

A change either lands with its audit entry or not at all (one `store.transaction()`). Fact
writes carry the version the caller saw; if someone changed the fact meanwhile the write is
refused instead of silently overwriting their change.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.commands import Role
from bot.context import Context
from bot.errors import FanbotError
from bot.i18n import N_
from storage.audit import (
    Actor,
    AuditEntry,
    NewEntry,
    fact_from_snapshot,
    fact_snapshot,
    subject_snapshot,
)
from storage.catalog import SYNC_ACTOR, SYNC_PLATFORM
from storage.editors import Editor
from storage.errors import ConflictError, StaleVersion
from storage.models import Fact, NewFact, NewSubject, Source, Subject, normalize_name
from storage.unit import Transaction

# Identifying details per kind: two facts of one kind, date and subject that give every one
# of these, and agree on all of them, are the same fact whatever their wording.
_IDENTITY = {
    "release": ("title", "type"),
    "milestone": ("platform", "metric", "value"),
    "status": ("state",),
    "event": ("what",),
}


def actor_of(ctx: Context) -> Actor:
    return Actor(ctx.caller.platform, ctx.caller.user_id, ctx.caller.name)


def changed_meanwhile(fact_id: int) -> FanbotError:
    return FanbotError(
        N_(
            "Fact #{id} was changed meanwhile by someone else; nothing was changed. "
            "See /history #{id}, then try again."
        ),
        id=fact_id,
    )


def _same_fact(a: NewFact, b: Fact) -> bool:
    """The same fact told twice: the same summary, or every identifying detail given on both
    and equal (two milestones on one platform with no metric may be different records)."""
    if normalize_name(a.summary) == normalize_name(b.summary):
        return True
    fields = _IDENTITY[a.kind.value]
    mine = [a.details.get(f) for f in fields]
    theirs = [b.details.get(f) for f in fields]
    if any(v is None or v == "" for v in (*mine, *theirs)):
        return False
    return [normalize_name(str(v)) for v in mine] == [normalize_name(str(v)) for v in theirs]


async def _record(
    ctx: Context, tx: Transaction, entry: NewEntry, source: Source | None, undoes: int | None = None
) -> int:
    """The change's audit entry, in its own transaction, by the caller, at the clock's now."""
    return await tx.audit.record(
        entry, at=ctx.clock.now(), actor=actor_of(ctx), source=source, undoes=undoes
    )


# ---- facts -----------------------------------------------------------------------------------


async def add_fact(ctx: Context, new: NewFact, subject_ids: list[int], source: Source) -> Fact:
    """Create a fact unless the same one is recorded already (hidden ones included)."""
    async with ctx.store.transaction() as tx:
        facts = tx.facts
        for other in await facts.similar_facts(new.kind, new.date, subject_ids):
            if _same_fact(new, other):
                if other.hidden:
                    raise FanbotError(
                        N_(
                            "That is already recorded as #{id} (removed; /restore #{id} brings "
                            "it back): {summary}. To correct it, use /edit #{id}."
                        ),
                        id=other.id,
                        summary=other.summary,
                    )
                raise FanbotError(
                    N_(
                        "That is already recorded as #{id}: {summary}. "
                        "To correct it, use /edit #{id}."
                    ),
                    id=other.id,
                    summary=other.summary,
                )
        base, key, n = new.key, new.key, 1
        while await facts.key_taken(key):
            n += 1
            key = f"{base}-{n}"
        fact_id = await facts.add_fact(dataclasses.replace(new, key=key))
        fact = await facts.fact(fact_id)
        assert fact is not None
        added = NewEntry("add", "fact", str(fact_id), None, fact_snapshot(fact))
        await _record(ctx, tx, added, source)
    return fact


async def change_fact(
    ctx: Context, seen: Fact, new: NewFact, action: str, source: Source | None
) -> Fact:
    """Write `new` over a fact the caller saw at `seen.version`, or refuse if it moved on."""
    async with ctx.store.transaction() as tx:
        facts = tx.facts
        current = await facts.fact(seen.id)
        if current is None:
            raise FanbotError(N_("There is no fact #{id}."), id=seen.id)
        if current.version != seen.version:
            raise changed_meanwhile(seen.id)
        try:
            await facts.replace_fact(seen.id, new, seen.version)
        except StaleVersion:
            raise changed_meanwhile(seen.id) from None
        after = await facts.fact(seen.id)
        assert after is not None
        snapshots = fact_snapshot(current), fact_snapshot(after)
        await _record(ctx, tx, NewEntry(action, "fact", str(seen.id), *snapshots), source)
    return after


def as_new(fact: Fact, **changes: Any) -> NewFact:
    """A fact as the object writes take, with some fields changed."""
    new = NewFact(
        key=fact.key,
        kind=fact.kind,
        summary=fact.summary,
        date=fact.date,
        subjects=tuple(s.slug for s in fact.subjects),
        sources=fact.sources,
        details=dict(fact.details),
        hidden=fact.hidden,
        id=fact.id,
    )
    return dataclasses.replace(new, **changes)


# ---- subjects and aliases --------------------------------------------------------------------


async def add_subject(
    ctx: Context, new: NewSubject, group_names: list[str], source: Source
) -> NewSubject:
    async with ctx.store.transaction() as tx:
        base, slug, n = new.slug, new.slug, 1
        while await tx.names.slug_taken(slug):
            n += 1
            slug = f"{base}-{n}"
        new = dataclasses.replace(new, slug=slug)
        await tx.names.upsert_subject(new)
        after = subject_snapshot(new, group_names)
        await _record(ctx, tx, NewEntry("add", "subject", slug, None, after), source)
    return new


async def change_alias(
    ctx: Context, subject: Subject, alias: str, add: bool, source: Source
) -> str:
    """Add or remove one alias; returns the alias as stored."""
    async with ctx.store.transaction() as tx:
        current = await tx.names.aliases_of(subject.id)
        same = [a for a in current if normalize_name(a) == normalize_name(alias)]
        if add:
            if alias in current or same:
                raise FanbotError(
                    N_("{name} already has the alias “{alias}”."),
                    name=subject.name,
                    alias=same[0],
                )
            await tx.names.add_alias(subject.id, alias)
            before, after = None, {"subject": subject.name, "alias": alias}
        else:
            exact = alias if alias in current else (same[0] if len(same) == 1 else None)
            if exact is None:
                raise FanbotError(
                    N_("{name} has no alias “{alias}”. Their aliases: {aliases}"),
                    name=subject.name,
                    alias=alias,
                    aliases=lambda tr: tr._(", ").join(a for a in current if a != subject.name),
                )
            if exact == subject.name:
                raise FanbotError(
                    N_("“{alias}” is {name}'s own name, not an alias to remove."),
                    alias=exact,
                    name=subject.name,
                )
            alias = exact
            await tx.names.remove_alias(subject.id, alias)
            before, after = {"subject": subject.name, "alias": alias}, None
        action = "add alias" if add else "remove alias"
        await _record(ctx, tx, NewEntry(action, "subject", subject.slug, before, after), source)
    return alias


# ---- editors ---------------------------------------------------------------------------------


async def set_editor(
    ctx: Context, platform: str, user_id: str, name: str | None, grant: bool
) -> Editor | None:
    """Grant or revoke the editor role; returns the editor record before the change."""
    target = f"{platform}:{user_id}"
    async with ctx.store.transaction() as tx:
        editors = tx.editors
        before = await editors.get(platform, user_id)
        if grant:
            if before is not None:
                raise FanbotError(
                    N_("{name} ({user}) is an editor already."), name=before.name, user=target
                )
            editor = Editor(
                platform=platform,
                user_id=user_id,
                name=name or target,
                granted_by=f"{ctx.caller.platform}:{ctx.caller.user_id}",
                granted_at=ctx.clock.now().isoformat(timespec="seconds"),
            )
            await editors.put(editor)
            granted = NewEntry("add editor", "editor", target, None, editor.to_dict())
            await _record(ctx, tx, granted, None)
        else:
            if before is None:
                raise FanbotError(N_("{user} is not an editor."), user=target)
            await editors.remove(platform, user_id)
            await _record(
                ctx, tx, NewEntry("remove editor", "editor", target, before.to_dict(), None), None
            )
    return before


# ---- undo ------------------------------------------------------------------------------------


SYNC_NAME = SYNC_PLATFORM  # `/undo musicbrainz`: the catalogue sync's latest change


async def _chosen(ctx: Context, tx: Transaction, which: str | None) -> AuditEntry:
    """The change `/undo [which]` means: the caller's latest; the sync's latest
    (`musicbrainz`); or change N from /history. Only bot admins undo someone else's change."""
    mine = actor_of(ctx)
    text = (which or "").strip().lower().removeprefix("change").strip().lstrip("#")
    if not text:
        entry = await tx.audit.last_undoable(mine)
        if entry is None:
            raise FanbotError(N_("You have no change left to undo."))
        return entry
    if text == SYNC_NAME:
        entry = await tx.audit.last_undoable(SYNC_ACTOR)
        if entry is None:
            raise FanbotError(N_("The MusicBrainz sync has no change left to undo."))
    elif text.isdigit() and len(text) < 12:
        entry = await tx.audit.entry(int(text))
        if entry is None:
            raise FanbotError(
                N_("There is no change {number}. /audit lists the latest changes."), number=text
            )
    else:
        raise FanbotError(
            N_(
                "Say which change: /undo (your latest), /undo N (change N from /history or "
                "/audit) or /undo musicbrainz (the catalogue sync's latest)."
            )
        )
    own = (entry.actor.platform, entry.actor.user_id) == (mine.platform, mine.user_id)
    if not own and Role.BOT_ADMIN not in ctx.roles:
        raise FanbotError(
            N_("Only bot admins can undo someone else's change; /undo takes back yours.")
        )
    if entry.undoes is not None:
        raise FanbotError(
            N_("Change {id} is an undo itself; undo change {undoes} is back already."),
            id=entry.id,
            undoes=entry.undoes,
        )
    if entry.undone_by is not None:
        raise FanbotError(
            N_("Change {id} was undone already, by change {by}."),
            id=entry.id,
            by=entry.undone_by,
        )
    return entry


async def undo_last(ctx: Context, which: str | None = None) -> tuple[AuditEntry, int]:
    """Put back what a change replaced (by default the caller's latest); returns (that
    change, undo entry id)."""
    store = ctx.store
    async with store.transaction() as tx:
        entry = await _chosen(ctx, tx, which)
        undo_id = await _undo(ctx, tx, entry)
    return entry, undo_id


async def _since(
    ctx: Context, tx: Transaction, entry: AuditEntry
) -> tuple[AuditEntry | None, int | None]:
    """What came after a fact change: the first later change still standing (anyone's, not
    undone), or None when every later change was undone again; and the version the fact has
    if nothing but those recorded changes touched it.

    A person's own later changes that they undid cancel out, so /undo walks back their
    changes in order; someone else's change in between still stops it.
    """
    later = await tx.audit.later_on_target(entry)
    ids = {e.id for e in later}
    standing = next((e for e in later if e.undone_by is None and e.undoes not in ids), None)
    last = later[-1] if later else entry
    return standing, (last.after or {}).get("version")


def _changed_again(
    fact_id: int, entry: AuditEntry, standing: AuditEntry | None, own: bool
) -> FanbotError:
    """The refusal of an undo whose fact moved on: whose change it was, and what came after."""
    whose = (
        (lambda tr: tr._("your change"))
        if own
        else (lambda tr: tr._("change {id}").format(id=entry.id))
    )
    if standing is None:
        return FanbotError(
            N_(
                "Fact #{fact} was changed again after {whose} (see /history #{fact}), so I "
                "can't simply undo it; nothing was changed."
            ),
            fact=fact_id,
            whose=whose,
        )
    return FanbotError(
        N_(
            "Fact #{fact} was changed again after {whose} by {name} (change {change}) (see "
            "/history #{fact}), so I can't simply undo it; nothing was changed."
        ),
        fact=fact_id,
        whose=whose,
        name=standing.actor.name,
        change=standing.id,
    )


async def _undo(ctx: Context, tx: Transaction, entry: AuditEntry) -> int:
    store = ctx.store
    if entry.target_kind == "fact":
        fact_id = int(entry.target)
        current = await tx.facts.fact(fact_id)
        standing, expected = await _since(ctx, tx, entry)
        if current is None or standing is not None or current.version != expected:
            raise _changed_again(fact_id, entry, standing, entry.actor == actor_of(ctx))
        if entry.before is None:  # undoing an add: the fact is kept, hidden
            restored = as_new(current, hidden=True)
        else:
            restored = dataclasses.replace(fact_from_snapshot(entry.before), id=fact_id)
        try:
            await tx.facts.replace_fact(fact_id, restored, current.version)
        except StaleVersion:
            raise changed_meanwhile(fact_id) from None
        after = await tx.facts.fact(fact_id)
        assert after is not None
        before, after_snap = fact_snapshot(current), fact_snapshot(after)
    elif entry.target_kind == "subject" and entry.action == "add":
        try:
            await tx.names.delete_subject(entry.target)
        except ConflictError:
            name = (entry.after or {}).get("name", entry.target)
            raise FanbotError(
                N_(
                    "Facts or members now refer to {name}, so I can't remove it; "
                    "nothing was changed."
                ),
                name=name,
            ) from None
        before, after_snap = entry.after, None
    elif entry.target_kind == "subject" and entry.action in ("add member", "remove member"):
        raise FanbotError(
            N_(
                "Change {id} is the catalogue sync's membership change, which /undo can't "
                "take back; /catalog remove stops following the artist. Nothing was changed."
            ),
            id=entry.id,
        )
    elif entry.target_kind == "subject":
        subject = await store.facts.subject_by_slug(entry.target)
        if subject is None:
            raise FanbotError(N_("That subject is gone; nothing was changed."))
        alias = str((entry.after or entry.before or {}).get("alias"))
        present = alias in await tx.names.aliases_of(subject.id)
        if entry.before is None:  # an alias was added: take it away
            if not present:
                raise FanbotError(
                    N_("The alias “{alias}” was removed meanwhile; nothing to undo."), alias=alias
                )
            await tx.names.remove_alias(subject.id, alias)
        else:
            if present:
                raise FanbotError(
                    N_("The alias “{alias}” is back already; nothing to undo."), alias=alias
                )
            await tx.names.add_alias(subject.id, alias)
        before, after_snap = entry.after, entry.before
    else:  # an editor
        platform, _, user_id = entry.target.partition(":")
        current_editor = await tx.editors.get(platform, user_id)
        now = current_editor.to_dict() if current_editor else None
        if now != entry.after:
            raise FanbotError(
                N_("{user} was changed again meanwhile; nothing was changed."), user=entry.target
            )
        if entry.before is None:
            await tx.editors.remove(platform, user_id)
        else:
            await tx.editors.put(Editor(**entry.before))
        before, after_snap = entry.after, entry.before
    undo = NewEntry("undo", entry.target_kind, entry.target, before, after_snap)
    return await _record(ctx, tx, undo, None, undoes=entry.id)
