"""From what MusicBrainz says to the subjects and facts fanbot would hold: no I/O here.

Each planned fact's key carries the MusicBrainz id it comes from (mb-rg-<id>, mb-birth-<id>,
mb-debut-<id>, mb-joined-<group>-<member>, mb-left-<group>-<member>), so a resync finds and
updates it instead of adding a twin. Every fact cites the MusicBrainz page it was read from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.catalog.records import Artist, Membership, ReleaseGroup
from storage.models import BIRTH, DEBUT, FactKind, PartialDate, Source, SubjectKind

PRIMARY_TYPES = ("Album", "Single", "EP")
# Left out unless FANBOT_CATALOG_SECONDARY_TYPES names them.
SECONDARY_LEFT_OUT = ("Compilation", "Live", "Remix")


@dataclass(frozen=True)
class PlannedSubject:
    mbid: str
    name: str
    kind: SubjectKind  # for a subject made new; a known subject keeps its own
    aliases: tuple[str, ...]
    is_group: bool


@dataclass(frozen=True)
class PlannedFact:
    key: str
    kind: FactKind
    summary: str
    date: PartialDate
    subject_mbids: tuple[str, ...]
    source: Source
    details: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Plan:
    """One followed artist as fanbot would hold it after a sync."""

    artist: PlannedSubject
    source: Source  # the artist's MusicBrainz page, read on the sync's day
    members: tuple[PlannedSubject, ...]  # current members (a group)
    former: tuple[PlannedSubject, ...]  # members who left (a group)
    facts: tuple[PlannedFact, ...]
    skipped: int  # release groups left out (type, or no date)


def artist_source(site: str, artist: Artist, read_on: dt.date) -> Source:
    return Source(
        title=f"MusicBrainz: {artist.name} (read {read_on.isoformat()})",
        url=f"{site}/artist/{artist.mbid}",
        publisher="MusicBrainz",
    )


def _names(artist: Artist) -> tuple[str, ...]:
    return tuple(dict.fromkeys([artist.name, *(a.name for a in artist.aliases)]))


def _subject(artist: Artist, kind: SubjectKind) -> PlannedSubject:
    return PlannedSubject(artist.mbid, artist.name, kind, _names(artist)[1:], artist.is_group)


def _event(
    key: str, summary: str, date: PartialDate, who: tuple[str, ...], source: Source, **details: str
) -> PlannedFact:
    """A dated event of the catalogue: `what` says which (birth, debut, joined, left)."""
    return PlannedFact(key, FactKind.EVENT, summary, date, who, source, details)


def _born(person: Artist, source: Source) -> PlannedFact | None:
    if person.begin is None:
        return None
    key, who = f"mb-birth-{person.mbid}", (person.mbid,)
    return _event(key, f"{person.name} was born", person.begin, who, source, what=BIRTH)


def _membership_facts(
    m: Membership, source: Source, group_began: PartialDate | None
) -> list[PlannedFact]:
    """When a member joined (unless they are an original member who joined the day the group
    began: the debut says that, once, not once per member) and when they left."""
    out = []
    pair, who = f"{m.group_mbid}-{m.member_mbid}", (m.member_mbid, m.group_mbid)
    if m.begin is not None and not (m.original and m.begin == group_began):
        original = " as an original member" if m.original else ""
        summary = f"{m.member_name} joined {m.group_name}{original}"
        notes = {"note": "original member"} if m.original else {}
        out.append(
            _event(f"mb-joined-{pair}", summary, m.begin, who, source, what="joined", **notes)
        )
    if m.end is not None:
        summary = f"{m.member_name} left {m.group_name}"
        out.append(_event(f"mb-left-{pair}", summary, m.end, who, source, what="left"))
    return out


def _release(
    artist: Artist, rg: ReleaseGroup, site: str, read_on: dt.date, secondary: frozenset[str]
) -> PlannedFact | None:
    if rg.first_release is None or rg.primary_type not in PRIMARY_TYPES:
        return None
    left_out = {t for t in rg.secondary_types if t in SECONDARY_LEFT_OUT}
    if left_out - secondary:
        return None
    kind = rg.primary_type if rg.primary_type == "EP" else rg.primary_type.lower()
    extra = [t.lower() for t in rg.secondary_types]
    label = " ".join([*extra, kind])
    return PlannedFact(
        key=f"mb-rg-{rg.mbid}",
        kind=FactKind.RELEASE,
        summary=f"{artist.name} released the {label} {rg.title}",
        date=rg.first_release,
        subject_mbids=(artist.mbid,),
        source=Source(
            title=f"MusicBrainz: {rg.title} (read {read_on.isoformat()})",
            url=f"{site}/release-group/{rg.mbid}",
            publisher="MusicBrainz",
        ),
        details={"title": rg.title, "type": label},
    )


def plan(
    artist: Artist,
    members: dict[str, Artist],
    release_groups: list[ReleaseGroup],
    *,
    site: str,
    read_on: dt.date,
    secondary: frozenset[str] = frozenset(),
) -> Plan:
    """The artist (a group with its members, or a person) and every fact MusicBrainz gives.

    `members` holds each member's own lookup (birth date, aliases), by MBID.
    """
    source = artist_source(site, artist, read_on)
    facts: list[PlannedFact] = []
    current: list[PlannedSubject] = []
    former: list[PlannedSubject] = []
    if artist.is_group:
        kind = SubjectKind.GROUP
        originals = [
            m.member_name for m in artist.members() if m.original and m.begin == artist.begin
        ]
        if artist.begin is not None:
            notes = {"note": "original members: " + ", ".join(dict.fromkeys(originals))}
            facts.append(
                _event(
                    f"mb-debut-{artist.mbid}",
                    f"{artist.name} debuted",
                    artist.begin,
                    (artist.mbid,),
                    source,
                    what=DEBUT,
                    **(notes if originals else {}),
                )
            )
        for m in artist.members():
            person = members.get(m.member_mbid) or Artist(m.member_mbid, m.member_name, "Person")
            subject = _subject(person, SubjectKind.MEMBER)
            (former if m.ended or m.end is not None else current).append(subject)
            own = artist_source(site, person, read_on)
            born = _born(person, own)
            facts.extend([born] if born else [])
            facts.extend(_membership_facts(m, source, artist.begin))
    else:
        kind = SubjectKind.SOLOIST
        born = _born(artist, source) if artist.type == "Person" else None
        facts.extend([born] if born else [])
    releases = [_release(artist, rg, site, read_on, secondary) for rg in release_groups]
    facts.extend(r for r in releases if r is not None)
    unique: dict[str, PlannedFact] = {}  # a member who came back: one fact per key, the first
    for fact in facts:
        unique.setdefault(fact.key, fact)
    return Plan(
        artist=_subject(artist, kind),
        source=source,
        members=tuple(dict((s.mbid, s) for s in current).values()),
        former=tuple(
            s
            for s in dict((s.mbid, s) for s in former).values()
            if s.mbid not in {c.mbid for c in current}
        ),
        facts=tuple(unique.values()),
        skipped=sum(r is None for r in releases),
    )
