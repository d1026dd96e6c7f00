"""The JSON shapes of MusicBrainz ws/2 (as its serializer writes them), read into records.

Field names follow MusicBrainz's JSON serializer: `life-span.begin`, `aliases[].locale`,
`relations[]` with `type`, `direction`, `attributes`, `artist`; release groups with
`primary-type`, `secondary-types` and `first-release-date`. Anything missing or malformed
is read as unknown rather than failing the whole artist.
"""

from __future__ import annotations

from typing import Any

from bot.catalog.records import Alias, Artist, ArtistHit, Membership, ReleaseGroup
from storage.models import InvalidDate, PartialDate

MEMBER_OF_BAND = "member of band"


def partial_date(value: Any) -> PartialDate | None:
    """ "1995-12-30", "2015-06" or "2015" as precise as given; empty or odd: unknown."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return PartialDate.parse(value)
    except InvalidDate:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _membership(owner: dict[str, Any], rel: dict[str, Any]) -> Membership | None:
    other = rel.get("artist")
    if rel.get("type") != MEMBER_OF_BAND or not isinstance(other, dict) or "id" not in other:
        return None
    # Seen from the group the relation points backward (the member is its source).
    if rel.get("direction") == "backward":
        group, member = owner, other
    else:
        group, member = other, owner
    attributes = rel.get("attributes") or []
    return Membership(
        group_mbid=str(group["id"]),
        group_name=str(group.get("name") or ""),
        member_mbid=str(member["id"]),
        member_name=str(member.get("name") or ""),
        begin=partial_date(rel.get("begin")),
        end=partial_date(rel.get("end")),
        ended=bool(rel.get("ended")),
        original="original" in attributes,
    )


def artist(data: dict[str, Any]) -> Artist:
    """An artist lookup with inc=aliases+artist-rels."""
    aliases = tuple(
        Alias(str(a["name"]), _text(a.get("locale")), _text(a.get("type")))
        for a in data.get("aliases") or []
        if isinstance(a, dict) and _text(a.get("name"))
    )
    memberships = tuple(
        m
        for rel in data.get("relations") or []
        if isinstance(rel, dict) and (m := _membership(data, rel)) is not None
    )
    return Artist(
        mbid=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        type=_text(data.get("type")),
        country=_text(data.get("country")),
        disambiguation=str(data.get("disambiguation") or ""),
        begin=partial_date((data.get("life-span") or {}).get("begin")),
        aliases=aliases,
        memberships=memberships,
    )


def hits(data: dict[str, Any]) -> list[ArtistHit]:
    """An artist search: {"count", "offset", "artists": [... with "score"]}."""
    return [
        ArtistHit(
            mbid=str(a["id"]),
            name=str(a.get("name") or ""),
            type=_text(a.get("type")),
            country=_text(a.get("country")),
            disambiguation=str(a.get("disambiguation") or ""),
            score=int(a.get("score") or 0),
        )
        for a in data.get("artists") or []
        if isinstance(a, dict) and "id" in a
    ]


def release_groups(data: dict[str, Any]) -> list[ReleaseGroup]:
    """One page of a release-group browse: {"release-group-count", "release-groups": [...]}."""
    return [
        ReleaseGroup(
            mbid=str(rg["id"]),
            title=str(rg.get("title") or ""),
            primary_type=_text(rg.get("primary-type")),
            secondary_types=tuple(str(t) for t in rg.get("secondary-types") or []),
            first_release=partial_date(rg.get("first-release-date")),
        )
        for rg in data.get("release-groups") or []
        if isinstance(rg, dict) and "id" in rg
    ]
