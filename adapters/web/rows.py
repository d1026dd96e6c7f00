"""The rows of a page's fact lists, worked out in Python before the template runs.

A Jinja2 macro call costs more than the markup it writes; a timeline of 200 facts called
three per row. Each row's shown date, label and text are computed here once, and the
template writes every list in one loop (macros.html `fact_lines`), escaping as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

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
