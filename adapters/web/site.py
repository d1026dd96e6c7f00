"""The website's pages and feeds: read from the core's store, rendered by Jinja2.

Read-only: every handler reads through the store's read methods and the name resolver,
and the answer carries an ETag made of the site's content version (freshness.py: facts and
names, not every commit), the KST day, the language and the address, checked before any fact
is read, so an unchanged page or feed costs a 304.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web
from cachetools import LRUCache
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from adapters.web.feeds import MAX_EVENTS, build_feed
from adapters.web.freshness import SiteVersion
from adapters.web.i18n import N_, Language, choose, load_languages
from adapters.web.rows import anniversary_label, fact_lines, fact_row, source_links
from adapters.web.upcoming import soonest_dated
from bot.admin.history import when_text
from bot.core import Core
from bot.fan.calendar import ALL_FEED, feed_addresses, feed_path
from bot.fan.commands import coming_up, fact_text
from bot.replies import ReplyBuilder
from storage.audit import AuditEntry
from storage.models import BIRTH, DEBUT, KIND_FIELDS, Fact, FactKind, PartialDate, Subject

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
TIMELINE = 200  # facts on an artist page, newest first; the rest are a search away
LISTED = 100  # entries on the home page and search results
MAX_QUERY = 200  # characters of a search, as /search takes
MAX_NAME = 100  # characters of an artist's address
HISTORY = 50
KEPT_BYTES = 32 * 1024 * 1024  # rendered pages and feeds kept, in all
MAX_KEPT_ONE = 4 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KIND_WORDS = {
    FactKind.RELEASE: N_("release"),
    FactKind.MILESTONE: N_("milestone"),
    FactKind.STATUS: N_("status"),
    FactKind.EVENT: N_("event"),
}
SUBJECT_KIND_WORDS = {"group": N_("group"), "soloist": N_("soloist"), "member": N_("member")}
DETAIL_WORDS = {
    "title": N_("Title"),
    "type": N_("Type"),
    "featured": N_("Featuring"),
    "platform": N_("Platform"),
    "metric": N_("Metric"),
    "value": N_("Value"),
    "time_taken": N_("Time taken"),
    "scope": N_("Scope"),
    "state": N_("State"),
    "since": N_("Since"),
    "as_of": N_("As of"),
    "until": N_("Until"),
    "unit": N_("Unit"),
    "honours": N_("Honours"),
    "note": N_("Note"),
    "what": N_("What"),
}
ACTION_WORDS = {
    "add": N_("added"),
    "edit": N_("changed"),
    "remove": N_("removed"),
    "restore": N_("restored"),
    "undo": N_("undid a change"),
}
FIELD_WORDS = {"summary": N_("Summary"), "date": N_("Date"), "subjects": N_("About")}


@dataclass(frozen=True)
class Kept:
    """A rendered 200: what is needed to answer it again."""

    body: bytes
    headers: dict[str, str]  # Content-Type, Content-Language, Vary, …

    def size(self) -> int:
        return len(self.body) + 512


@dataclass(frozen=True)
class Status:
    """A current status, its dates apart: `since` is when it began, `as_of` when a source saw it."""

    fact: Fact
    state: str
    since: PartialDate | None
    as_of: PartialDate | None
    until: PartialDate | None
    back: bool  # the expected end has come


def _date_detail(fact: Fact, name: str) -> PartialDate | None:
    try:
        return PartialDate.parse(str(fact.detail(name) or ""))
    except ValueError:
        return None


def status_of(fact: Fact, today: dt.date) -> Status:
    until = _date_detail(fact, "until")
    end = until.as_date() if until else None
    return Status(
        fact,
        str(fact.detail("state") or fact.summary),
        _date_detail(fact, "since"),
        _date_detail(fact, "as_of"),
        until,
        end is not None and end <= today,
    )


def changed_fields(entry: AuditEntry) -> list[str]:
    """The names of what an edit changed, for the history (the values are on the page)."""
    before, after = entry.before or {}, entry.after or {}
    if not (before and after):
        return []
    names = [n for n in FIELD_WORDS if before.get(n) != after.get(n)]
    old, new = before.get("details") or {}, after.get("details") or {}
    names += [n for n in dict.fromkeys([*old, *new]) if old.get(n) != new.get(n)]
    if before.get("sources") != after.get("sources"):
        names.append("sources")
    return names


class Site:
    """The aiohttp handlers over one core; `public_url` is where links and feeds point."""

    def __init__(
        self, core: Core, *, public_url: str | None, boot: str, max_events: int = MAX_EVENTS
    ):
        self.core = core
        self.max_events = max_events  # events a feed carries at most
        self.public_url = public_url
        self.boot = boot  # a new process never matches an old ETag
        self.version = SiteVersion(core)
        # Rendered answers by (ETag, address): a page asked again before the store changes
        # costs no query and no template. Bounded by bytes; a new version or day misses.
        self._answers: LRUCache[tuple, Kept] = LRUCache(KEPT_BYTES, getsizeof=Kept.size)
        self.languages = load_languages()
        loader = FileSystemLoader(TEMPLATES)
        self.envs: dict[str, Environment] = {}
        for code, language in self.languages.items():
            env = Environment(
                loader=loader,
                autoescape=True,
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,  # no stat of the file per page: templates ship with the code
            )
            env.install_gettext_translations(language.words, newstyle=True)  # type: ignore[attr-defined]
            self.envs[code] = env
        # Compiled once at start, each language's (its words are bound into the environment).
        self.templates = {
            code: {t: env.get_template(t) for t in env.list_templates(extensions=["html"])}
            for code, env in self.envs.items()
        }

    # ---- the request's language, freshness and rendering ------------------------------

    def language(self, request: web.Request) -> tuple[Language, bool]:
        code, asked = choose(
            request.query.get("lang"),
            request.headers.get("Accept-Language"),
            set(self.languages),
        )
        return self.languages[code], asked

    def today(self) -> dt.date:
        return self.core.clock.now().astimezone(self.core.zone).date()

    async def etag(self, request: web.Request, what: str) -> str:
        """Per address and language; moves with the facts and names, not with any commit."""
        version = await self.version.current()  # no read of facts unless something committed
        language, _ = self.language(request)
        address = hashlib.blake2b(request.path_qs.encode(), digest_size=6).hexdigest()
        day = self.today()
        return f'W/"{self.boot}-{version}-{day:%Y%m%d}-{language.code}-{what}-{address}"'

    def not_modified(self, request: web.Request, etag: str, cache: str) -> None:
        """Raise 304 when the visitor's copy is the one we would send."""
        value = etag.removeprefix("W/").strip('"')
        if any(e.value == value for e in request.if_none_match or ()):
            raise web.HTTPNotModified(
                headers={"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Language"}
            )

    def site_url(self, request: web.Request) -> str:
        return self.public_url or f"{request.scheme}://{request.host}"

    def render(
        self, request: web.Request, template: str, http_status: int = 200, **values: Any
    ) -> web.Response:
        language, asked = self.language(request)

        def url(path: str, **query: Any) -> str:
            params = {k: v for k, v in query.items() if v is not None}
            if asked:
                params["lang"] = language.code
            return quote(path) + ("?" + urlencode(params) if params else "")

        def switch(code: str) -> str:
            params = dict(request.query)
            params["lang"] = code
            return quote(request.path) + "?" + urlencode(params)

        zone = self.core.zone.key
        lang_query = f"?lang={language.code}" if asked else ""  # url()'s, without a call per row
        html = self.templates[language.code][template].render(
            lang=language,
            languages=self.languages.values(),
            url=url,
            fact_lines=lambda rows, sources, links: fact_lines(rows, sources, links, lang_query),
            switch=switch,
            today=self.today(),
            zone="KST (Asia/Seoul)" if zone == "Asia/Seoul" else zone,
            kind_word=lambda kind: KIND_WORDS.get(kind, str(kind)),
            subject_kind_word=lambda kind: SUBJECT_KIND_WORDS.get(str(kind), str(kind)),
            detail_word=lambda name: DETAIL_WORDS.get(name, name.replace("_", " ")),
            fact_text=fact_text,
            safe_url=safe_url,
            **values,
        )
        response = web.Response(text=html, status=http_status, content_type="text/html")
        response.headers["Content-Language"] = language.code
        response.headers["Vary"] = "Accept-Language"
        return response

    def kept(self, what: str, handler: Handler, cache: str) -> Handler:
        """The handler behind an ETag: 304 when the visitor has the page, else the answer kept
        since the store last changed, else computed (and kept when it is a 200)."""

        async def answer(request: web.Request) -> web.StreamResponse:
            etag = await self.etag(request, what)
            self.not_modified(request, etag, cache)
            key = (etag, request.scheme, request.host, request.path_qs)
            kept = self._answers.get(key)
            if kept is None:
                response = await handler(request)
                if response.status != 200 or not isinstance(response, web.Response):
                    return response
                kept = Kept(response.body, dict(response.headers))
                # Kept only if the store did not move while it was computed, and only as
                # shipped (FANBOT_KEEP_ANSWERS=false: every page computed afresh, for bench.web).
                if (
                    self.core.watch.keeping
                    and len(kept.body) <= MAX_KEPT_ONE
                    and await self.etag(request, what) == etag
                ):
                    self._answers[key] = kept
            response = web.Response(body=kept.body, headers=kept.headers)
            response.headers["ETag"] = etag
            response.headers["Cache-Control"] = cache
            return response

        return answer

    # ---- pages ----------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.StreamResponse:
        today = self.today()
        facts = self.core.store.facts
        on_today = await coming_up(facts, today, today)
        ahead = await coming_up(facts, today + dt.timedelta(days=1), today + dt.timedelta(days=30))
        cited = ReplyBuilder(title="")
        language, _ = self.language(request)

        def rows(entries: list[tuple[dt.date, int, Fact]]) -> list:
            return [
                fact_row(
                    language,
                    f,
                    cited.cite(f.sources),
                    anniversary_label(language, w, y, today),
                    language.day(w),
                )
                for w, y, f in entries[:LISTED]
            ]

        response = self.render(
            request,
            "home.html",
            on_today=rows(on_today),
            ahead=rows(ahead),
            more=max(0, len(on_today) - LISTED) + max(0, len(ahead) - LISTED),
            sources=cited.sources,
            links=source_links(cited.sources, safe_url),
            feed=self.feeds(request, ALL_FEED),
        )
        return response

    def feeds(self, request: web.Request, slug: str) -> tuple[str, str]:
        return feed_addresses(self.site_url(request), slug)

    async def artist(self, request: web.Request) -> web.StreamResponse:
        asked = request.match_info["name"]
        subject = await self._subject(request, asked)
        if subject.slug != asked:
            raise web.HTTPMovedPermanently(quote(f"/artist/{subject.slug}") + _query(request))
        facts = self.core.store.facts
        ids = [subject.id, *(m.id for m in subject.members)]
        today = self.today()
        statuses: dict[int, Status] = {}
        for fact in await facts.latest_about(ids, FactKind.STATUS):
            for ref in fact.subjects:
                if ref.id in ids and ref.id not in statuses:
                    statuses[ref.id] = status_of(fact, today)
        found = await facts.facts_about(ids, None, TIMELINE + 1)
        timeline = [f for f in found if f.kind is not FactKind.STATUS]
        # Birthdays and debuts (the catalogue's `what: birth` / `debut` events), per subject.
        dates: dict[tuple[int, str], Fact] = {}
        for fact in found:
            if (what := fact.detail("what")) in (BIRTH, DEBUT):
                for ref in fact.subjects:
                    dates.setdefault((ref.id, what), fact)
        cited = ReplyBuilder(title="")
        language, _ = self.language(request)
        entries = [
            fact_row(language, f, cited.cite(f.sources), language._(KIND_WORDS[f.kind]))
            for f in timeline[:TIMELINE]
        ]
        response = self.render(
            request,
            "artist.html",
            subject=subject,
            status=statuses.get(subject.id),
            born=dates.get((subject.id, BIRTH)),
            debut=dates.get((subject.id, DEBUT)),
            members=[(m, statuses.get(m.id), dates.get((m.id, BIRTH))) for m in subject.members],
            timeline=entries,
            cut=len(found) > TIMELINE,
            sources=cited.sources,
            links=source_links(cited.sources, safe_url),
            feed=self.feeds(request, subject.slug),
        )
        return response

    async def _subject(self, request: web.Request, asked: str) -> Subject:
        """The subject an address names (its slug, or any of its names); else a helpful 404."""
        resolver = self.core.resolver
        ids = await resolver.find_ids(asked[:MAX_NAME])
        subject = await resolver.subject(next(iter(ids))) if len(ids) == 1 else None
        if subject is not None:
            return subject
        if len(ids) > 1:
            candidates = [s for s in await self.core.store.facts.subjects(sorted(ids)) if s]
            options = [(s.name, s.slug) for s in candidates]
        else:
            options = [(c.label, c.value) for c in await resolver.choices(asked[:MAX_NAME], 5)]
        raise NotFound("artist", asked[:MAX_NAME], options)

    async def fact(self, request: web.Request) -> web.StreamResponse:
        number = request.match_info["id"]
        if len(number) > 12:
            raise NotFound("fact", number[:20])
        fact = await self.core.store.facts.fact(int(number))
        if fact is None:
            raise NotFound("fact", number)
        history = await self.core.store.audit.for_target("fact", str(fact.id), HISTORY)
        names = dict.fromkeys([*KIND_FIELDS.get(fact.kind, ()), *sorted(fact.details)])
        details = [(name, fact.details[name]) for name in names if name in fact.details]
        response = self.render(
            request,
            "fact.html",
            fact=fact,
            details=details,
            history=[
                (e, when_text(e.at, self.core.zone), ACTION_WORDS.get(e.action, e.action))
                for e in history
            ],
            changed=changed_fields,
            field_word=lambda n: FIELD_WORDS.get(n) or DETAIL_WORDS.get(n) or N_("Sources"),
            status=status_of(fact, self.today()) if fact.kind is FactKind.STATUS else None,
            feeds=[(s.name, self.feeds(request, s.slug)) for s in fact.subjects],
        )
        return response

    async def search(self, request: web.Request) -> web.StreamResponse:
        text = request.query.get("q", "").strip()
        if len(text) > MAX_QUERY:
            return self.render(
                request,
                "search.html",
                http_status=400,
                text=text[:MAX_QUERY],
                too_long=True,
                artists=[],
                facts=[],
                sources=[],
                links=[],
            )
        artists = await self.core.resolver.choices(text, 10) if text else []
        facts = await self.core.store.search.search(text, LISTED) if text else []
        cited = ReplyBuilder(title="")
        language, _ = self.language(request)
        response = self.render(
            request,
            "search.html",
            text=text,
            too_long=False,
            artists=artists,
            facts=[
                fact_row(language, f, cited.cite(f.sources), language._(KIND_WORDS[f.kind]))
                for f in facts
            ],
            sources=cited.sources,
            links=source_links(cited.sources, safe_url),
        )
        return response

    # ---- feeds ----------------------------------------------------------------------------

    async def feed(self, request: web.Request) -> web.StreamResponse:
        asked = request.match_info["name"]
        if asked == ALL_FEED:
            name, subject = None, None
        else:
            subject = await self._subject(request, asked)
            if subject.slug != asked:
                raise web.HTTPMovedPermanently(feed_path(subject.slug))
            name = subject.name
        facts = self.core.store.facts
        cut = False
        if subject is None:
            found, cut = await soonest_dated(facts, self.today(), self.max_events)
        else:
            ids = [subject.id, *(m.id for m in subject.members)]
            found = await facts.facts_about(ids, None, self.max_events + 1)
        site = self.site_url(request)
        body = build_feed(
            found,
            name=name or "Every artist",
            today=self.today(),
            host=urlsplit(self.public_url or "http://fanbot.local").hostname or "fanbot.local",
            site_url=site,
            feed_url=site + feed_path(asked),
            cap=self.max_events,
            soonest_cut=cut,
        )
        response = web.Response(body=body, content_type="text/calendar", charset="utf-8")
        response.headers["Content-Disposition"] = f'inline; filename="{quote(asked)}.ics"'
        return response


PAGE_CACHE = "public, max-age=60"
FEED_CACHE = "public, max-age=3600"


class NotFound(Exception):
    """An artist or fact that is not there: the 404 page says what, and offers close names."""

    def __init__(self, what: str, asked: str, options: list[tuple[str, str]] | None = None):
        super().__init__(what)
        self.what = what
        self.asked = asked
        self.options = options or []


def safe_url(url: str | None) -> str | None:
    """A source's address as a link only when it is http(s): never javascript: or data:."""
    if url and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return url.strip()
    return None


def _query(request: web.Request) -> str:
    return "?" + urlencode(dict(request.query)) if request.query else ""
