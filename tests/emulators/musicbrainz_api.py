"""A MusicBrainz web service (ws/2) emulator on 127.0.0.1, in the shapes the real one answers.

Shapes follow MusicBrainz's JSON serializer and its web-service tests
(metabrainz/musicbrainz-server: lib/MusicBrainz/Server/WebService/Serializer/JSON/2/,
t/lib/t/MusicBrainz/Server/Controller/WS/2/JSON/): artist lookup with `inc=aliases+artist-rels`
(aliases with locale/type/primary, relations with type/direction/attributes/artist), artist
search (`created`, `count`, `offset`, `artists[]` with `score`), release-group browse by
artist (`release-group-count`, `release-group-offset`, `release-groups[]`, limit ≤ 100).

It refuses what the real one refuses: a request less than `min_interval` after the previous
one → 503 (the rate limit), no User-Agent → 403, an unknown `inc` → 400, a malformed MBID →
400, an unknown one → 404. It records every request, so tests measure pacing here, not in
fanbot.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import re
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
_MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The inc values MusicBrainz accepts on an artist lookup.
ARTIST_INCS = frozenset(
    "recordings releases release-groups works various-artists discids media isrcs aliases"
    " annotation tags user-tags genres user-genres ratings user-ratings area-rels artist-rels"
    " event-rels genre-rels instrument-rels label-rels place-rels recording-rels release-rels"
    " release-group-rels series-rels url-rels work-rels".split()
)
MEMBER_OF_BAND_TYPE_ID = "5be4c609-9afa-4ea0-910b-12ffb71e3821"
TYPE_IDS = {
    "Group": "e431f5f6-b5d2-343d-8b36-72607fffb74b",
    "Person": "b6e035f4-3ce9-331c-97df-83397230b0df",
}
PRIMARY_TYPE_IDS = {
    "Album": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
    "Single": "d6038452-8ee0-3f68-affc-2de9a1ede0b9",
    "EP": "6d0c5bf6-7a33-3420-a519-44fc63eedebf",
}
ALIAS_TYPE_IDS = {
    "Artist name": "894afba6-2816-3c24-8072-eadb66bd04bc",
    "Legal name": "d4dcd0c0-b341-3612-a332-c0ce797b25cf",
    "Search hint": "1937e404-b981-3cb7-8151-4c86ebfc8d8e",
}


def mbid(name: str) -> str:
    """A stable, well-formed MBID for a fixture entity."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fanbot-fixture:{name}"))


@dataclass(frozen=True)
class Seen:
    """One request as the emulator received it."""

    at: float  # time.monotonic() on arrival
    path: str
    query: dict[str, str]
    status: int
    user_agent: str | None


def _alias(name: str, locale: str | None, kind: str | None, primary: bool = False) -> dict:
    return {
        "name": name,
        "sort-name": name,
        "locale": locale,
        "type": kind,
        "type-id": ALIAS_TYPE_IDS.get(kind or ""),
        "primary": primary or None,
        "begin": None,
        "end": None,
        "ended": False,
    }


def _artist(
    name: str,
    kind: str,
    begin: str | None,
    *,
    country: str | None = "KR",
    disambiguation: str = "",
    aliases: list[dict] | None = None,
    gender: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    return {
        "id": mbid(key or name),
        "name": name,
        "sort-name": name,
        "type": kind,
        "type-id": TYPE_IDS.get(kind),
        "country": country,
        "disambiguation": disambiguation,
        "gender": gender,
        "gender-id": None,
        "life-span": {"begin": begin, "end": None, "ended": False},
        "isnis": [],
        "ipis": [],
        "aliases": aliases or [],
        "relations": [],
    }


def _brief(artist: dict[str, Any]) -> dict[str, Any]:
    """An artist as a relation embeds it."""
    keys = ("id", "name", "sort-name", "type", "type-id", "disambiguation", "country")
    return {k: artist.get(k) for k in keys}


def _release_group(title: str, primary: str, date: str, secondary: tuple[str, ...] = ()) -> dict:
    return {
        "id": mbid(f"rg:{title}:{date}"),
        "title": title,
        "primary-type": primary,
        "primary-type-id": PRIMARY_TYPE_IDS.get(primary),
        "secondary-types": list(secondary),
        "secondary-type-ids": [mbid(f"secondary:{s}") for s in secondary],
        "first-release-date": date,
        "disambiguation": "",
    }


# (name, Korean name, legal name, hangul legal name, birth date)
BTS_MEMBERS = [
    ("RM", "알엠", "Kim Namjoon", "김남준", "1994-09-12"),
    ("Jin", "진", "Kim Seokjin", "김석진", "1992-12-04"),
    ("SUGA", "슈가", "Min Yoongi", "민윤기", "1993-03-09"),
    ("j-hope", "제이홉", "Jung Hoseok", "정호석", "1994-02-18"),
    ("Jimin", "지민", "Park Jimin", "박지민", "1995-10-13"),
    ("V", "뷔", "Kim Taehyung", "김태형", "1995-12-30"),
    ("Jung Kook", "정국", "Jeon Jungkook", "전정국", "1997-09-01"),
]
BTS = mbid("BTS")
HANEUL = mbid("Haneul")
MINA = mbid("Mina")
SORA = mbid("Sora")
V = mbid("V")
JIN = mbid("Jin")
JIEUN = mbid("Jieun")
RELEASE_GROUPS = 120  # BTS's fixture: more than one page of 100
BUCKET = 1.5  # requests the limiter holds: one, and half a request of jitter


class MusicBrainzEmulator:
    """The service and its data; tests change the data between syncs to see fanbot follow."""

    def __init__(self, min_interval: float = 1.0):
        self.min_interval = min_interval
        self.artists: dict[str, dict[str, Any]] = {}
        self.release_groups: dict[str, list[dict[str, Any]]] = {}
        self.seen: list[Seen] = []
        self.fail_next: list[int] = []  # statuses to answer the next requests with, in order
        self.hold: asyncio.Event | None = None  # when set: requests wait until it is set
        self.holding = asyncio.Event()  # set when a request waits on `hold`
        self.hold_path: str | None = None  # only requests whose path contains this wait
        self._last: float | None = None
        self._level = 0.0  # the rate limiter's bucket, in requests
        self.rate_refusals = 0  # 503s answered for going faster than min_interval
        self._runner: web.AppRunner | None = None
        self._port = 0
        self.load_fixtures()

    # ---- the fixtures --------------------------------------------------------------------

    def load_fixtures(self) -> None:
        """A 7-member group with Korean aliases and day-precise birthdays and 120 release groups;
        a group known only to the year with a member who left and a member who is also a
        soloist; a member whose name is an alias of the seeds' IU; a second artist named BTS."""
        bts = _artist(
            "BTS",
            "Group",
            "2013-06-13",
            disambiguation="South Korean boy band",
            aliases=[
                _alias("방탄소년단", "ko", "Artist name", primary=True),
                _alias("Bangtan Boys", "en", "Artist name"),
                _alias("防弾少年団", "ja", "Artist name", primary=True),
                _alias("Bangtan Sonyeondan", None, "Search hint"),
            ],
        )
        self.add(bts)
        for name, korean, legal, legal_ko, born in BTS_MEMBERS:
            aliases = [
                _alias(korean, "ko", "Artist name", primary=True),
                _alias(legal, "en", "Legal name"),
                _alias(legal_ko, "ko", "Legal name"),
            ]
            if name == "Jung Kook":
                aliases.append(_alias("Jungkook", None, "Search hint"))
            member = _artist(name, "Person", born, aliases=aliases, gender="male")
            self.add(member)
            self.link(BTS, member["id"], "2013-06-13", original=True)
        self.release_groups[BTS] = self._bts_release_groups()

        haneul = _artist("Haneul", "Group", "2015", disambiguation="fixture girl group")
        self.add(haneul)
        for name, born in (("Mina", "1998-03-21"), ("Jieun", "1997-05-19"), ("Sora", "1996-11")):
            person = _artist(name, "Person", born, aliases=[_alias(name, "en", "Artist name")])
            self.add(person)
        self.link(HANEUL, MINA, "2015", original=True)
        self.link(HANEUL, JIEUN, "2016-02-01")
        self.link(HANEUL, SORA, "2015", end="2019-08-31", original=True)
        self.release_groups[HANEUL] = [
            _release_group("Blue Hour", "EP", "2016-04-05"),
            _release_group("Haneul Live 2018", "Album", "2018-10-01", ("Live",)),
        ]
        self.release_groups[MINA] = [_release_group("Alone", "Single", "2021-07-07")]
        self.release_groups[JIEUN] = []
        self.release_groups[SORA] = []
        other = _artist(
            "BTS", "Person", "1990", country="US", disambiguation="US rapper", key="BTS (US)"
        )
        self.add(other)
        self.release_groups[other["id"]] = []

    @staticmethod
    def _bts_release_groups() -> list[dict[str, Any]]:
        groups = [
            _release_group("2 Cool 4 Skool", "Single", "2013-06-12"),
            _release_group("BE", "Album", "2020-11-20"),
            _release_group("Dynamite", "Single", "2020-08-21"),
            _release_group("Proof", "Album", "2022-06-10", ("Compilation",)),
            _release_group("Love Yourself in Seoul", "Album", "2019-02-13", ("Live",)),
            _release_group("Butter (remixes)", "Single", "2021-06-04", ("Remix",)),
            _release_group("Skool Luv Affair", "EP", "2014-02-12"),
        ]
        day = dt.date(2014, 3, 1)
        while len(groups) < RELEASE_GROUPS:
            n = len(groups)
            groups.append(_release_group(f"Fixture Single {n}", "Single", day.isoformat()))
            day += dt.timedelta(days=29)
        return groups

    def add(self, artist: dict[str, Any]) -> None:
        self.artists[artist["id"]] = artist

    def link(
        self,
        group: str,
        member: str,
        begin: str | None,
        *,
        end: str | None = None,
        original: bool = False,
    ) -> None:
        """A "member of band" relation, seen from both ends as MusicBrainz shows it."""
        attributes = ["original"] if original else []
        base = {
            "type": "member of band",
            "type-id": MEMBER_OF_BAND_TYPE_ID,
            "target-type": "artist",
            "begin": begin,
            "end": end,
            "ended": end is not None,
            "attributes": attributes,
            "attribute-ids": {a: mbid(f"attr:{a}") for a in attributes},
            "attribute-values": {},
            "source-credit": "",
            "target-credit": "",
        }
        g, m = self.artists[group], self.artists[member]
        g["relations"].append({**base, "direction": "backward", "artist": _brief(m)})
        m["relations"].append({**base, "direction": "forward", "artist": _brief(g)})

    def unlink(self, group: str, member: str) -> None:
        g, m = self.artists[group], self.artists[member]
        g["relations"] = [r for r in g["relations"] if r["artist"]["id"] != member]
        m["relations"] = [r for r in m["relations"] if r["artist"]["id"] != group]

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws/2/artist", self._search)
        app.router.add_get("/ws/2/artist/{mbid}", self._lookup)
        app.router.add_get("/ws/2/release-group", self._browse)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self._port = sock.getsockname()[1]

    async def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> MusicBrainzEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """FANBOT_MUSICBRAINZ_URL for this emulator."""
        return f"http://127.0.0.1:{self._port}/ws/2/"

    # ---- what tests measure --------------------------------------------------------------

    def reset_rate(self) -> None:
        """Empty the rate limiter's bucket, as a long pause would."""
        self._level, self._last = 0.0, None

    def accepted(self) -> list[Seen]:
        return [s for s in self.seen if s.status == 200]

    def smallest_gap(self) -> float | None:
        """The shortest time between two requests that arrived here (any status)."""
        times = [s.at for s in self.seen]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        return min(gaps) if gaps else None

    # ---- the service ---------------------------------------------------------------------

    async def _gate(self, request: web.Request) -> web.Response | None:
        """The checks every request passes first: identity, rate, faults."""
        now = time.monotonic()
        agent = request.headers.get("User-Agent")
        status = 0
        response: web.Response | None = None
        # MusicBrainz's limiter is a leaky bucket: one request per interval drains out, and a
        # little jitter (half a request) is let through; a client that keeps coming faster
        # fills it and gets 503 for each request over. Refused requests do not count.
        if self._last is not None:
            self._level = max(0.0, self._level - (now - self._last) / self.min_interval)
        self._last = now
        too_soon = self._level + 1 > BUCKET
        if not agent or not agent.strip():
            status, response = 403, _error(403, "Missing or empty User-Agent header.")
        elif too_soon:
            status = 503
            response = web.Response(
                status=503,
                text="Your requests are exceeding the allowable rate limit. Please see "
                "https://wiki.musicbrainz.org/XMLWebService for more information.",
            )
        elif self.fail_next:
            self._level += 1
            status = self.fail_next.pop(0)
            response = _error(status, "Service temporarily unavailable.")
        if status == 0:
            self._level += 1
        if too_soon and status == 503:
            self.rate_refusals += 1
        self.seen.append(Seen(now, request.path, dict(request.query), status or 200, agent))
        if response is None and self.hold is not None:
            if self.hold_path is None or self.hold_path in request.path_qs:
                self.holding.set()
                await self.hold.wait()
        return response

    def _fix_status(self, status: int) -> None:
        last = self.seen[-1]
        self.seen[-1] = Seen(last.at, last.path, last.query, status, last.user_agent)

    async def _search(self, request: web.Request) -> web.Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        query = request.query.get("query", "")
        m = re.match(r'^\s*(?:artist:)?"?(.*?)"?\s*$', query)
        wanted = re.sub(r"\\(.)", r"\1", m.group(1) if m else query).casefold()
        found = []
        for artist in self.artists.values():
            names = [artist["name"], *(a["name"] for a in artist["aliases"])]
            folded = [n.casefold() for n in names]
            if wanted == folded[0]:
                score = 100
            elif wanted in folded:
                score = 90
            elif any(wanted and wanted in n for n in folded):
                score = 60
            else:
                continue
            hit = {k: v for k, v in artist.items() if k not in ("relations",)}
            found.append({**copy.deepcopy(hit), "score": score})
        found.sort(key=lambda a: -a["score"])
        limit, offset = _paging(request, default=25)
        return web.json_response(
            {
                "created": "2026-01-01T00:00:00.000Z",
                "count": len(found),
                "offset": offset,
                "artists": found[offset : offset + limit],
            }
        )

    async def _lookup(self, request: web.Request) -> web.Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        key = request.match_info["mbid"]
        # "+" separates incs; a literal + in a URL reads as a space, so both do.
        incs = re.split(r"[+ ]+", request.query.get("inc", "").strip())
        incs = [i for i in incs if i]
        for inc in incs:
            if inc not in ARTIST_INCS:
                self._fix_status(400)
                return _error(400, f"{inc} is not a valid inc parameter for the artist resource.")
        if not _MBID.match(key):
            self._fix_status(400)
            return _error(400, "Invalid mbid.")
        artist = self.artists.get(key)
        if artist is None:
            self._fix_status(404)
            return _error(404, "Not Found")
        body = copy.deepcopy(artist)
        if "aliases" not in incs:
            body.pop("aliases")
        if "artist-rels" not in incs:
            body.pop("relations")
        return web.json_response(body)

    async def _browse(self, request: web.Request) -> web.Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        key = request.query.get("artist", "")
        if not _MBID.match(key):
            self._fix_status(400)
            return _error(400, "Invalid artist parameter.")
        if key not in self.artists:
            self._fix_status(404)
            return _error(404, "Not Found")
        groups = self.release_groups.get(key, [])
        limit, offset = _paging(request, default=25)
        return web.json_response(
            {
                "release-group-count": len(groups),
                "release-group-offset": offset,
                "release-groups": copy.deepcopy(groups[offset : offset + limit]),
            }
        )


def _paging(request: web.Request, default: int) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", default))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        return default, 0
    return max(1, min(limit, 100)), max(0, offset)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message, "help": HELP}, status=status)
