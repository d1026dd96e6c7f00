"""The rows of a page's fact lists, worked out in Python before the template runs, and
their markup written here too.

A Jinja2 macro call costs more than the markup it writes; a timeline of 200 facts called
three per row. Each row's shown date, label and text are computed here once; then
`fact_lines` writes the list's markup in plain Python, each value escaped by markupsafe as
the template's autoescaping does, and each source's [n] link once a page, not once a row:
Jinja2's loop, attribute lookups and per-value Markup objects were most of an artist page.
tests/test_web_rows.py holds it byte for byte against the Jinja2 macro it replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from adapters.web.i18n import Language
from bot.dates import ordinal
from bot.fan.commands import fact_text
from storage.models import Fact, Source


@dataclass(frozen=True, slots=True)
class FactRow:
    when: str  # the date as this language shows it
    label: str  # a kind ("release") or an anniversary ("2nd anniversary", "D-3"); may be ""
    text: str
    id: int
    refs: tuple[int, ...]  # the numbers of its sources in the page's source list


def fact_row(
    language: Language, fact: Fact, refs: tuple[int, ...], label: str, when: str | None = None
) -> FactRow:
    return FactRow(when or language.when(fact.date), label, fact_text(fact), fact.id, refs)


def anniversary_label(language: Language, when: dt.date, years: int, today: dt.date) -> str:
    """ "1st anniversary" on an anniversary, else D-day or a countdown."""
    if years:
        return language._("%(ordinal)s anniversary") % {"ordinal": ordinal(years), "years": years}
    return "D-day" if when == today else f"D-{(when - today).days}"


def source_links(sources: list[Source], safe_url: Callable[[str | None], str | None]) -> list:
    """Each cited source's link when it may be one (http or https), else None."""
    return [safe_url(s.url) for s in sources]


def fact_lines(
    rows: list[FactRow], sources: list[Source], links: list[str | None], lang_query: str
) -> Markup:
    """A page's list of facts as the template shows it; `links[i]` is sources[i]'s link."""
    refs = [
        f' <span class="refs"><a href="{escape(href)}" rel="nofollow noopener" '
        f'title="{escape(s.title)}">[{n}]</a></span>'
        if href
        else f' <span class="refs"><a href="#source-{n}" title="{escape(s.title)}">[{n}]</a></span>'
        for n, (s, href) in enumerate(zip(sources, links, strict=True), 1)
    ]
    query = escape(lang_query)
    out = ['<ul class="facts">\n']
    for row in rows:
        label = f'<span class="label">{escape(row.label)}</span> ' if row.label else ""
        cited = "".join(refs[n - 1] for n in row.refs)
        out.append(
            f'  <li><span class="when">{escape(row.when)}</span> ·\n{label}{escape(row.text)}\n'
            f'<a class="num" href="/fact/{row.id}{query}">#{row.id}</a>{cited}</li>\n'
        )
    out.append("</ul>\n")
    return Markup("".join(out))
