"""ETags: one per address and language, moving when facts or names change, not on every commit.

A running bot commits all day (chats seen, deliveries claimed and recorded); before, each of
those made every page's ETag stale, and one ETag stood for every page of a kind, so a cache
holding V's page could have been told IU's was the same. Real HTTP, the seeded SQLite file.
"""

from __future__ import annotations

import re

from bot.context import Caller
from bot.core import Core
from tests.conftest import ask
from tests.web_fixtures import Site, site

__all__ = ["site"]  # the fixture

ROOT = Caller("console", "root-admin", "Root")


async def test_each_address_has_its_own_etag(site: Site) -> None:
    v, _ = await site.get("/artist/v")
    iu, iu_html = await site.get("/artist/iu", headers={"If-None-Match": v.headers["ETag"]})
    assert iu.status == 200 and "IU" in iu_html
    assert iu.headers["ETag"] != v.headers["ETag"]
    feed, _ = await site.get("/calendar/iu.ics", headers={"If-None-Match": iu.headers["ETag"]})
    assert feed.status == 200
    again, _ = await site.get("/artist/iu", headers={"If-None-Match": iu.headers["ETag"]})
    assert again.status == 304


async def test_each_language_has_its_own_etag(site: Site) -> None:
    en, _ = await site.get("/artist/v")
    ko, _ = await site.get(
        "/artist/v", headers={"Accept-Language": "ko-KR", "If-None-Match": en.headers["ETag"]}
    )
    assert ko.status == 200 and ko.headers["Content-Language"] == "ko"
    assert ko.headers["ETag"] != en.headers["ETag"]
    again, _ = await site.get(
        "/artist/v", headers={"Accept-Language": "ko-KR", "If-None-Match": ko.headers["ETag"]}
    )
    assert again.status == 304


async def test_a_commit_that_changes_no_fact_or_name_keeps_the_etag(site: Site, core: Core) -> None:
    r, _ = await site.get("/artist/v")
    etag = r.headers["ETag"]
    committed = core.store.db.data_version()
    # What a running bot writes between edits: a chat seen, its language chosen.
    await core.store.chats.ensure("telegram", "-100123", "group", "ARMY")
    await core.store.chats.set_language("telegram", "-100123", "ko", "group", "ARMY")
    assert core.store.db.data_version() != committed  # the store did move
    kept, _ = await site.get("/artist/v", headers={"If-None-Match": etag})
    assert kept.status == 304 and kept.headers["ETag"] == etag


async def test_a_new_name_or_fact_moves_the_etag(site: Site, core: Core) -> None:
    r, _ = await site.get("/artist/v")
    etag = r.headers["ETag"]
    added = await ask(core, "/addalias V Taetae https://a.com/x", ROOT)
    assert not added.error
    renamed, html = await site.get("/artist/v", headers={"If-None-Match": etag})
    assert renamed.status == 200 and "Taetae" in html
    etag = renamed.headers["ETag"]
    edited = await ask(core, "/edit #4 time_taken 6h54m https://www.soompi.com/x", ROOT)
    assert not edited.error
    changed, _ = await site.get("/artist/v", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_links_keep_the_language_the_address_asked_for(site: Site) -> None:
    """The fact lines' links are written without url() per row; they still carry ?lang=."""
    _, html = await site.get("/artist/v?lang=ko")
    links = re.findall(r'href="(/fact/\d+[^"]*)"', html)
    assert links and all(link.endswith("?lang=ko") for link in links)
    _, plain = await site.get("/artist/v")
    assert all("lang=" not in link for link in re.findall(r'href="(/fact/[^"]*)"', plain))
