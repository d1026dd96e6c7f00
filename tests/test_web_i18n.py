"""Korean pages: every word of the website's own is in the catalogue, and a Korean page over a
store written in Korean shows no English; hostile stored text shows as text on every page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from adapters.web.i18n import LOCALE_DIR
from bot.app import all_commands
from bot.clock import FixedClock
from bot.core import Core
from storage.models import FactKind, NewFact, NewSubject, PartialDate, Source, SubjectKind
from storage.store import Store
from tests.web_fixtures import Site, parse, serve, visible_text

WEB = Path(LOCALE_DIR).parent
NOW = dt.datetime(2025, 3, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 KST, 1 March 2025


def test_every_word_of_the_website_has_its_korean() -> None:
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            WEB,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            options_map={"**/templates/**.html": {"trim_blocks": "true"}},
            keywords={"_": None, "gettext": None, "N_": None},
        )
    }
    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "web.po").open("rb") as f:
        catalog = read_po(f, locale="ko")
    korean = {m.id: m.string for m in catalog if m.id}
    assert len(found) > 60
    missing = sorted(m for m in found if not korean.get(m))
    assert missing == [], f"add these to web.po: {missing}"


async def _store(path: Path, subjects, facts) -> Store:
    store = await Store.open(path)
    async with store.transaction() as tx:
        for s in subjects:
            await tx.names.upsert_subject(s)
        for f in facts:
            await tx.facts.upsert_fact(f)
    return store


def _facts(source: Source, *rows: tuple) -> list[NewFact]:
    """Facts from (kind, summary, date, subjects, details) rows, keyed in order."""
    return [
        NewFact(f"fact-{n}", kind, summary, date, who, (source,), details)
        for n, (kind, summary, date, who, details) in enumerate(rows, 1)
    ]


async def _serve_store(path: Path, subjects, facts) -> AsyncIterator[Site]:
    store = await _store(path, subjects, facts)
    try:
        async for site in serve(Core(store, FixedClock(NOW), all_commands())):
            yield site
    finally:
        await store.close()


KOREAN_SOURCE = Source("아이유 공식 발표", "https://example.org/ko", "스타뉴스", "2024-03-01")
K = FactKind


@pytest.fixture
async def korean(tmp_path: Path) -> AsyncIterator[Site]:
    """A store written wholly in Korean: what remains in Latin letters is the site's own."""
    subjects = [
        NewSubject("gayo", "가요단", SubjectKind.GROUP, ("가요",)),
        NewSubject("누리", "누리", SubjectKind.MEMBER, ("누리야",), ("gayo",)),
    ]
    until = {"state": "군 복무", "as_of": "2024-01-02", "until": "2025-07-01"}
    facts = _facts(
        KOREAN_SOURCE,
        (K.RELEASE, "가요단 첫 앨범", PartialDate(2020, 3, 1), ("gayo",), {"title": "첫 앨범"}),
        (K.MILESTONE, "누리 기록", PartialDate(2022, 3, 15), ("누리",), {"value": 100}),
        (K.STATUS, "누리 군 복무", PartialDate(2024, 1, 2), ("누리",), until),
        (K.EVENT, "가요단 공연", PartialDate(2025, 3, 20), ("gayo",), {"what": "공연"}),
    )
    async for site in _serve_store(tmp_path / "ko.db", subjects, facts):
        yield site


# What may stay in Latin letters on a Korean page: the name of the site, the zone, D-day
# countdowns, the other language's own name and the feed addresses.
ALLOWED = re.compile(r"fanbot|KST|Asia/Seoul|D-day|D-\d+|English|https?://\S+|webcal://\S+")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/artist/gayo",
        "/artist/%EB%88%84%EB%A6%AC",
        "/fact/1",
        "/fact/2",
        "/fact/3",
        "/fact/4",
        "/search?q=누리",
        "/search",
        "/artist/없음",
        "/fact/99",
        "/nowhere",
    ],
)
async def test_korean_pages_have_no_english_template_text(korean: Site, path: str) -> None:
    r, html = await korean.get(path, headers={"Accept-Language": "ko-KR"})
    assert r.status in (200, 404)
    tree = parse(html)
    text = ALLOWED.sub(" ", visible_text(tree)).replace("/nowhere", "")
    assert not re.search(r"[A-Za-z]{2,}", text), text
    assert tree.get("lang") == "ko"


async def test_an_address_made_of_a_korean_name_works(korean: Site) -> None:
    _, html = await korean.get("/artist/gayo")
    assert 'href="/artist/%EB%88%84%EB%A6%AC"' in html  # the member's slug is 누리
    r, html = await korean.get("/artist/누리야")
    assert r.status == 301 and r.headers["Location"] == "/artist/%EB%88%84%EB%A6%AC"
    r, _ = await korean.get("/calendar/%EB%88%84%EB%A6%AC.ics")
    assert r.status == 200


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
async def hostile(tmp_path: Path) -> AsyncIterator[Site]:
    """Every stored value an attack: names, aliases, summaries, details, sources."""
    evil = Source(HOSTILE, "javascript:alert(3)", HOSTILE, HOSTILE)
    subjects = [NewSubject("evil", "E" + HOSTILE, SubjectKind.SOLOIST, ("Evil" + HOSTILE,))]
    facts = _facts(
        evil,
        (K.MILESTONE, "X" + HOSTILE, PartialDate(2024, 3, 1), ("evil",), {"scope": HOSTILE}),
        (K.STATUS, "Y" + HOSTILE, PartialDate(2024, 3, 2), ("evil",), {"state": HOSTILE}),
    )
    facts[0].details["platform"] = facts[1].details["note"] = HOSTILE
    facts[1].details["as_of"] = "2024-03-02"
    async for site in _serve_store(tmp_path / "evil.db", subjects, facts):
        yield site


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/artist/evil",
        "/fact/1",
        "/fact/2",
        "/search?q=alert",
        "/search?q=" + HOSTILE,
        "/artist/" + HOSTILE.replace("/", ""),
        "/calendar/evil.ics",
    ],
)
async def test_hostile_text_shows_as_text(hostile: Site, path: str) -> None:
    r, body = await hostile.get(path)
    assert r.status in (200, 404), body
    if path.endswith(".ics"):
        assert "<script>alert(1)</script>" in body  # a feed is text: calendars show it as such
        return
    tree = parse(body)
    assert tree.findall(".//script") == [] and tree.findall(".//img") == []
    for element in tree.iter():
        assert not any(name.startswith("on") for name in element.attrib), element.attrib
        assert not element.get("href", "").lower().startswith("javascript")
    if path in ("/artist/evil", "/fact/1"):
        assert HOSTILE in visible_text(tree)
