"""Following an artist and keeping it fresh: read MusicBrainz, then write one transaction.

Everything about an artist is read first and written after, in one transaction with its
audit entries, so a sync that fails or is killed halfway leaves each artist either fully
updated or as it was. Names already known are matched, not duplicated; an admin's correction
of an imported fact stands over a resync, and the difference is reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.admin.changes import subject_snapshot
from bot.admin.input import slugify
from bot.catalog.plan import Plan, PlannedFact, PlannedSubject, plan
from bot.catalog.records import Artist, CatalogSource
from bot.dates import human
from bot.errors import FanbotError
from bot.i18n import N_, Translator, translator
from storage.audit import NewEntry, fact_snapshot
from storage.catalog import SYNC_ACTOR
from storage.models import (
    Fact,
    NewFact,
    NewSubject,
    PartialDate,
    Source,
    SubjectKind,
    normalize_name,
)
from storage.store import Store
from storage.unit import Transaction

log = logging.getLogger(__name__)


class Note(str):
    """Something an operator should know about a sync: the English text as a str (the CLI
    prints it, logs read it), and the msgid with its params to say it in a chat's language."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Note:
        note = super().__new__(cls, _said(translator("en"), template, params))
        note.template, note.params = template, params
        return note

    def text(self, tr: Translator) -> str:
        return _said(tr, self.template, self.params)


def _said(tr: Translator, template: str, params: dict[str, Any]) -> str:
    return tr.fill(template, **{k: v(tr) if callable(v) else v for k, v in params.items()})


def _date(date: PartialDate) -> Any:
    """A date as the reader's language writes it; English keeps "31 December 1995"."""
    return lambda tr: human(date) if tr.language == "en" else tr.date(date)


@dataclass
class SyncReport:
    """What one artist's sync did: the progress line and what an operator should know."""

    mbid: str
    name: str = ""
    requests: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    subjects_added: int = 0
    skipped: int = 0
    notes: list[Note] = field(default_factory=list)

    def line(self, tr: Translator | None = None) -> str:
        """'BTS: 11 requests, 300 facts added, 0 updated, 0 unchanged' in the reader's language."""
        tr = tr or translator("en")
        text = tr._(
            "{name}: {requests} requests, {added} facts added, {updated} updated, "
            "{unchanged} unchanged"
        ).format(
            name=self.name,
            requests=tr.number(self.requests),
            added=tr.number(self.added),
            updated=tr.number(self.updated),
            unchanged=tr.number(self.unchanged),
        )
        if self.subjects_added:
            more = tr._(", {count} new subjects").format(count=tr.number(self.subjects_added))
            text += more
        return text


async def read_artist(source: CatalogSource, mbid: str) -> tuple[Artist, dict[str, Artist], list]:
    """The artist, each member's own lookup (a group), and every release group."""
    artist = await source.artist(mbid)
    members: dict[str, Artist] = {}
    if artist.is_group:
        for m in artist.members():
            if m.member_mbid not in members:
                members[m.member_mbid] = await source.artist(m.member_mbid)
    return artist, members, await source.release_groups(artist.mbid)


async def sync_artist(
    store: Store,
    source: CatalogSource,
    mbid: str,
    now: dt.datetime,
    zone: ZoneInfo,
    secondary: frozenset[str] = frozenset(),
) -> SyncReport:
    """Read one artist from MusicBrainz and write it (following it if not yet followed)."""
    before = source.requests
    artist, members, release_groups = await read_artist(source, mbid)
    read_on = now.astimezone(zone).date()
    planned = plan(
        artist, members, release_groups, site=source.site, read_on=read_on, secondary=secondary
    )
    report = SyncReport(mbid=artist.mbid, name=artist.name, skipped=planned.skipped)
    report.requests = source.requests - before
    async with store.transaction() as tx:
        await _Writer(tx, now, report).write(planned)
    return report


class _Writer:
    """One artist's writes inside one transaction, each recorded under the sync's name."""

    def __init__(self, tx: Transaction, now: dt.datetime, report: SyncReport):
        self.tx, self.now, self.report = tx, now, report
        self.slugs: dict[str, str] = {}  # mbid -> slug

    async def record(self, action, kind, target, before, after, source) -> None:
        entry = NewEntry(action, kind, target, before, after)
        await self.tx.audit.record(entry, at=self.now, actor=SYNC_ACTOR, source=source)

    async def write(self, planned: Plan) -> None:
        catalog = self.tx.catalog
        source = planned.source
        group_id = await self.subject(planned.artist, None, source)
        if planned.artist.is_group:
            await self.memberships(group_id, planned, source)
        for person in planned.former:
            await self.subject(person, group_id, source)
        await self.facts(planned.facts)
        await catalog.follow(planned.artist.mbid, group_id, planned.artist.name, self.now)
        await catalog.synced(planned.artist.mbid, self.now)

    # ---- subjects ------------------------------------------------------------------------

    async def subject(self, new: PlannedSubject, group_id: int | None, source: Source) -> int:
        """The subject this MusicBrainz artist is: linked before, matched by name, or new."""
        catalog, names = self.tx.catalog, self.tx.names
        subject_id = (await catalog.subject_ids([new.mbid])).get(new.mbid)
        if subject_id is None:
            subject_id = await self.match(new, group_id)
            if subject_id is not None:
                await catalog.link(new.mbid, subject_id)
        if subject_id is None:
            subject_id = await self.create(new, source)
        else:
            added = await names.add_aliases(subject_id, [new.name, *new.aliases])
            subject = await self._slug(subject_id)
            for alias in added:
                after = {"subject": new.name, "alias": alias}
                await self.record("add alias", "subject", subject, None, after, source)
        self.slugs[new.mbid] = await self._slug(subject_id)
        return subject_id

    async def _slug(self, subject_id: int) -> str:
        return (await self.tx.names.subject_label(subject_id))[0]

    async def match(self, new: PlannedSubject, group_id: int | None) -> int | None:
        """A known subject that is this artist: its own name is one of the artist's names,
        of the same sort (group or person), not another artist's already; in the group when
        several qualify. An alias alone (IU's "Jieun") is not enough to be someone."""
        catalog = self.tx.catalog
        names = {normalize_name(n) for n in (new.name, *new.aliases)}
        linked = await catalog.linked_subjects()
        candidates = [
            sid
            for sid, (name, kind, _) in (
                await self.tx.names.subjects_named([new.name, *new.aliases])
            ).items()
            if sid not in linked
            and normalize_name(name) in names
            and (kind == SubjectKind.GROUP.value) == new.is_group
        ]
        if len(candidates) > 1 and group_id is not None:
            members = await self.tx.names.members(group_id)
            candidates = [c for c in candidates if c in members] or candidates
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            self.report.notes.append(
                Note(
                    N_("{name}: several known subjects could be this artist; added as new"),
                    name=new.name,
                )
            )
        return None

    async def create(self, new: PlannedSubject, source: Source) -> int:
        names = self.tx.names
        base = slugify(new.name, "artist")
        slug, n = base, 1
        while await names.slug_taken(slug):
            n += 1
            slug = f"{base}-{n}"
        subject = NewSubject(slug=slug, name=new.name, kind=new.kind, aliases=new.aliases)
        subject_id = await names.upsert_subject(subject)
        await self.tx.catalog.link(new.mbid, subject_id)
        await self.record("add", "subject", slug, None, subject_snapshot(subject, []), source)
        self.report.subjects_added += 1
        shared = await names.subjects_named([new.name, *new.aliases])
        for other, (name, _, norms) in shared.items():
            if other != subject_id:
                both = [a for a in (new.name, *new.aliases) if normalize_name(a) in norms]
                self.report.notes.append(
                    Note(
                        N_(
                            "{name} shares the name “{shared}” with {other}: asking by it asks "
                            "which one is meant"
                        ),
                        name=new.name,
                        shared=both[0],
                        other=name,
                    )
                )
        return subject_id

    async def memberships(self, group_id: int, planned: Plan, source: Source) -> None:
        catalog, names = self.tx.catalog, self.tx.names
        current = await names.members(group_id)
        wanted: set[int] = set()
        for member in planned.members:
            member_id = await self.subject(member, group_id, source)
            wanted.add(member_id)
            if member_id not in current:
                await names.add_member(group_id, member_id)
                after = {"subject": member.name, "group": planned.artist.name}
                await self.record(
                    "add member", "subject", self.slugs[member.mbid], None, after, source
                )
        # Members MusicBrainz no longer lists (or lists as having left) leave the group; members
        # an admin added by hand (no MusicBrainz id) stay.
        linked = await catalog.linked_subjects()
        for member_id in sorted((current & linked) - wanted):
            await names.remove_member(group_id, member_id)
            slug, name = await names.subject_label(member_id)
            before = {"subject": name, "group": planned.artist.name}
            await self.record("remove member", "subject", slug, before, None, source)

    # ---- facts ---------------------------------------------------------------------------

    async def facts(self, planned: tuple[PlannedFact, ...]) -> None:
        facts, catalog = self.tx.facts, self.tx.catalog
        existing = await catalog.fact_ids([p.key for p in planned])
        corrected = await catalog.corrected(list(existing.values()))
        for p in planned:
            new = NewFact(
                key=p.key,
                kind=p.kind,
                summary=p.summary,
                date=p.date,
                subjects=tuple(self.slugs[m] for m in p.subject_mbids if m in self.slugs),
                sources=(p.source,),
                details=p.details,
            )
            fact_id = existing.get(p.key)
            if fact_id is None:
                fact_id = await facts.add_fact(new)
                after = await facts.fact(fact_id)
                assert after is not None
                await self.record("add", "fact", str(fact_id), None, fact_snapshot(after), p.source)
                self.report.added += 1
                continue
            current = await facts.fact(fact_id)
            assert current is not None
            if _same(current, new):
                self.report.unchanged += 1
                continue
            if fact_id in corrected:
                self.report.unchanged += 1
                self.report.notes.append(
                    Note(
                        N_(
                            "#{id} kept as an admin corrected it: “{summary}” ({date}); "
                            "MusicBrainz says “{theirs}” ({their_date})"
                        ),
                        id=fact_id,
                        summary=current.summary,
                        date=_date(current.date),
                        theirs=new.summary,
                        their_date=_date(new.date),
                    )
                )
                continue
            new = dataclasses.replace(new, hidden=current.hidden, id=fact_id)
            await facts.replace_fact(fact_id, new, current.version)
            after = await facts.fact(fact_id)
            assert after is not None
            await self.record(
                "edit", "fact", str(fact_id), fact_snapshot(current), fact_snapshot(after), p.source
            )
            self.report.updated += 1


def _same(fact: Fact, new: NewFact) -> bool:
    """Whether a resync would change nothing a reader sees (the date a source was read aside)."""
    return (
        fact.kind == new.kind
        and fact.summary == new.summary
        and fact.date == new.date
        and fact.details == new.details
        and tuple(s.slug for s in fact.subjects) == new.subjects
        and [s.url for s in fact.sources] == [s.url for s in new.sources]
    )


async def sync_all(
    store: Store,
    source: CatalogSource,
    now: dt.datetime,
    zone: ZoneInfo,
    secondary: frozenset[str] = frozenset(),
) -> list[tuple[str, SyncReport | FanbotError]]:
    """Every followed artist, one after another; one artist's failure leaves it as it was and
    the others go on. Returns (name, report or the error) per artist."""
    results: list[tuple[str, SyncReport | FanbotError]] = []
    for followed in await store.catalog.followed():
        try:
            report = await sync_artist(store, source, followed.mbid, now, zone, secondary)
        except FanbotError as exc:
            log.warning("catalogue: %s was not synced: %s", followed.name, exc.message)
            results.append((followed.name, exc))
            continue
        log.info("catalogue: %s", report.line())
        results.append((followed.name, report))
    return results
