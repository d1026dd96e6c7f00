"""An httpx client for MusicBrainz ws/2 that keeps its rules: who we are, how fast, how often.

- every request says who sends it: `fanbot/VERSION ( FANBOT_CONTACT )` (MusicBrainz refuses
  anonymous clients and asks for a way to reach the operator);
- at most one request per `interval` (1 s for musicbrainz.org), paced by one leaky-bucket
  limiter per client, so whatever runs at once shares the same budget;
- a 503 (over the rate) or a network error is retried a bounded number of times with growing
  pauses, then reported as one clear error;
- browses are paged (limit 100, offset) until the count MusicBrainz gives is reached;
- only core data is asked for (no tags, ratings, genres or annotations).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar

import httpx
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from adapters.musicbrainz import shapes
from bot.catalog.records import Artist, ArtistHit, ReleaseGroup, check_mbid
from bot.errors import FanbotError
from bot.i18n import N_, P_
from bot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
PUBLIC_URL = "https://musicbrainz.org/ws/2/"
PAGE = 100  # the most a browse returns per request
ARTIST_INC = "aliases+artist-rels"


ENTITIES = {  # what MusicBrainz has none of, as a refusal names it
    "artist": P_("musicbrainz entity", "artist"),
    "release-group": P_("musicbrainz entity", "release-group"),
}
UNEXPECTED_SHAPE = N_("MusicBrainz answered with JSON of an unexpected shape.")


class MusicBrainzError(FanbotError):
    """MusicBrainz could not be asked, or refused; the message says which and what to do."""


class NotFound(MusicBrainzError):
    """MusicBrainz has no such entity."""


class _Transient(Exception):
    """A 503 or a network error: worth another try after a pause."""


def user_agent(contact: str) -> str:
    try:
        version = metadata.version("fanbot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"fanbot/{version} ( {contact} )"


class MusicBrainzClient:
    """One per process: every request of every task goes through its one limiter."""

    def __init__(
        self,
        base_url: str,
        contact: str,
        *,
        interval: float = 1.0,
        attempts: int = 5,
        timeout: float = 30.0,
    ):
        if not contact.strip():
            raise FanbotError(
                N_(
                    "FANBOT_CONTACT is not set: MusicBrainz asks every client for a way to reach "
                    "its operator (an e-mail address or a web page). Set it in .env, e.g. "
                    "FANBOT_CONTACT=you@example.org."
                )
            )
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # The pages facts cite: the service's site, without /ws/2/.
        self.site = re.sub(r"/ws/2/?$", "", self.base_url.rstrip("/") + "/").rstrip("/")
        self.interval = interval
        self.attempts = attempts
        self.requests = 0
        self._limiter = AsyncLimiter(1, interval)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"User-Agent": user_agent(contact.strip()), "Accept": "application/json"},
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> MusicBrainzClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- the three questions the catalogue asks ------------------------------------------

    async def search_artists(self, name: str, limit: int = 10) -> list[ArtistHit]:
        # Lucene syntax is escaped: a name is a phrase, never a query language.
        phrase = re.sub(r'([+\-&|!(){}\[\]^"~*?:\\/])', r"\\\1", name.strip())
        data = await self._get("artist", {"query": f'artist:"{phrase}"', "limit": str(limit)})
        return _read(shapes.hits, data)

    async def artist(self, mbid: str) -> Artist:
        mbid = check_mbid(mbid)
        return _read(shapes.artist, await self._get(f"artist/{mbid}", {"inc": ARTIST_INC}))

    async def release_groups(self, artist_mbid: str) -> list[ReleaseGroup]:
        """Every release group of the artist, page by page until the count is reached."""
        artist_mbid = check_mbid(artist_mbid)
        found: list[ReleaseGroup] = []
        offset = 0
        while True:
            data = await self._get(
                "release-group",
                {"artist": artist_mbid, "limit": str(PAGE), "offset": str(offset)},
            )
            page = _read(shapes.release_groups, data)
            found.extend(page)
            offset += len(page)
            total = _read(lambda d: int(d.get("release-group-count") or 0), data)
            if not page or offset >= total:
                return found

    # ---- one request: paced, identified, retried ----------------------------------------

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        params = {**params, "fmt": "json"}
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(
                    multiplier=self.interval, min=self.interval, max=32 * self.interval
                ),
                retry=retry_if_exception_type(_Transient),
                reraise=True,
            ):
                with attempt:
                    return await self._once(path, params)
        except _Transient as exc:
            raise MusicBrainzError(
                N_(
                    "MusicBrainz did not answer after {tries} tries ({reason}); "
                    "nothing was changed. Try again later."
                ),
                tries=self.attempts,
                reason=str(exc),
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        async with self._limiter:
            self.requests += 1
            try:
                response = await self._http.get(path, params=params)
            except httpx.TransportError as exc:
                log.warning("MusicBrainz request failed (%s); trying again", type(exc).__name__)
                raise _Transient(f"network error: {type(exc).__name__}") from None
        if response.status_code == 503:
            log.warning("MusicBrainz answered 503 (over its rate or busy); trying again")
            raise _Transient("503 Service Unavailable")
        if response.status_code >= 500:
            raise _Transient(f"{response.status_code} {response.reason_phrase}")
        message = _error_text(response)
        if response.status_code == 404:
            entity = path.split("/")[0]
            raise NotFound(
                N_("MusicBrainz has no {entity} {id}."),
                entity=lambda tr: tr.pgettext(*ENTITIES[entity]) if entity in ENTITIES else entity,
                id=path.split("/")[-1],
            )
        if response.status_code == 403:
            raise MusicBrainzError(
                N_("MusicBrainz refused fanbot ({reason}); check FANBOT_CONTACT and the URL."),
                reason=message,
            )
        if response.status_code != 200:
            raise MusicBrainzError(N_("MusicBrainz refused the request: {reason}"), reason=message)
        try:
            data = response.json()
        except ValueError:
            raise MusicBrainzError(
                N_("MusicBrainz answered with something that is not JSON.")
            ) from None
        if not isinstance(data, dict):
            raise MusicBrainzError(UNEXPECTED_SHAPE)
        return data


def _read(shape: Callable[[dict[str, Any]], T], data: dict[str, Any]) -> T:
    """Read an answer into records; one that is not in MusicBrainz's shape is one clear error."""
    try:
        return shape(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise MusicBrainzError(UNEXPECTED_SHAPE) from None


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"{response.status_code} {response.reason_phrase}"
    error = data.get("error") if isinstance(data, dict) else None
    return str(error)[:200] if error else f"{response.status_code} {response.reason_phrase}"


def client_for(settings: Settings) -> MusicBrainzClient:
    """The one client of a process, as the settings say (refuses without FANBOT_CONTACT)."""
    return MusicBrainzClient(
        settings.fanbot_musicbrainz_url,
        settings.fanbot_contact,
        interval=settings.fanbot_musicbrainz_interval,
    )
