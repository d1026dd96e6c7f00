"""What the catalogue reads from a music database, free of any JSON shape.

The MusicBrainz adapter turns the web service's answers into these; the catalogue core
(matching, merging with corrections) works on them alone, so it never sees HTTP or JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.errors import FanbotError
from bot.i18n import N_
from storage.models import PartialDate

MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Alias:
    name: str
    locale: str | None = None
    type: str | None = None  # "Artist name", "Legal name", "Search hint", or None


@dataclass(frozen=True)
class Membership:
    """One "member of band" relation: `member` was in `group` from `begin` to `end`."""

    group_mbid: str
    group_name: str
    member_mbid: str
    member_name: str
    begin: PartialDate | None = None
    end: PartialDate | None = None
    ended: bool = False
    original: bool = False


@dataclass(frozen=True)
class Artist:
    mbid: str
    name: str
    type: str | None  # "Group", "Person", ... as MusicBrainz names it
    country: str | None = None
    disambiguation: str = ""
    begin: PartialDate | None = None  # born (a Person) or began (a Group)
    aliases: tuple[Alias, ...] = ()
    memberships: tuple[Membership, ...] = ()

    @property
    def is_group(self) -> bool:
        return self.type in ("Group", "Orchestra", "Choir")

    def members(self) -> tuple[Membership, ...]:
        return tuple(m for m in self.memberships if m.group_mbid == self.mbid)


@dataclass(frozen=True)
class ArtistHit:
    """A search candidate: enough to tell two artists of one name apart."""

    mbid: str
    name: str
    type: str | None
    country: str | None
    disambiguation: str
    score: int


@dataclass(frozen=True)
class ReleaseGroup:
    mbid: str
    title: str
    primary_type: str | None
    secondary_types: tuple[str, ...]
    first_release: PartialDate | None


class CatalogSource(Protocol):
    """Where the catalogue reads from (the MusicBrainz client; a test's emulator behind it)."""

    requests: int  # how many requests this source has made so far
    site: str  # the web site whose pages facts cite, e.g. https://musicbrainz.org

    async def search_artists(self, name: str) -> list[ArtistHit]: ...

    async def artist(self, mbid: str) -> Artist: ...

    async def release_groups(self, artist_mbid: str) -> list[ReleaseGroup]: ...


@dataclass(frozen=True)
class CatalogSetup:
    """What the chat's /catalog needs: where to read, and which extra release types to take."""

    source: CatalogSource
    secondary_types: frozenset[str] = frozenset()


def check_mbid(text: str) -> str:
    """A MusicBrainz id as MusicBrainz writes it, or a clear error."""
    mbid = text.strip().lower()
    if not MBID.match(mbid):
        raise FanbotError(
            N_(
                "“{text}” is not a MusicBrainz id; it looks like "
                "0d79fe8e-ba27-4859-bb8c-2f255f346853 (the end of the artist's page address)."
            ),
            text=text.strip()[:60],
        )
    return mbid
