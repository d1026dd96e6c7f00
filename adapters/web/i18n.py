"""The website's two languages: which one a visitor gets, its words, and its dates.

English is written in the templates; the Korean words are one gettext catalogue
(locale/ko/LC_MESSAGES/web.po), read with Babel at start, so no compiled file is kept in
the repository. Dates go through Babel's CLDR patterns for each language.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from cachetools import LRUCache

from storage.models import PartialDate, Precision

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "web"
DEFAULT = "en"
DATES_KEPT = 8192  # distinct dates formatted, per language: a page repeats few, a site many


def N_(message: str) -> str:
    """Marks a word for the catalogue where it is defined; it is translated where shown."""
    return message


@dataclass(frozen=True)
class Language:
    code: str  # what ?lang= takes and <html lang> says
    name: str  # the language's own name, for the switcher
    locale: Locale
    words: NullTranslations
    # Babel formats a date in ~0.1 ms and a page shows hundreds: each distinct one is
    # formatted once. Owned by this language (and so by the site that loaded it).
    _dates: LRUCache[tuple[int, int, int, Precision], str] = field(
        default_factory=lambda: LRUCache(DATES_KEPT), compare=False, repr=False
    )

    def _(self, message: str) -> str:
        return self.words.gettext(message)

    def when(self, date: PartialDate) -> str:
        """24 January 2024 / 2024년 1월 24일, or a month or a year, as precise as the source."""
        return self._format(date.year, date.month or 1, date.day or 1, date.precision)

    def day(self, day: dt.date) -> str:
        return self._format(day.year, day.month, day.day, Precision.DAY)

    def _format(self, year: int, month: int, day: int, precision: Precision) -> str:
        key = (year, month, day, precision)
        shown = self._dates.get(key)
        if shown is None:
            if precision is Precision.DAY:
                shown = format_date(dt.date(year, month, day), "long", locale=self.locale)
            else:
                skeleton = "yMMMM" if precision is Precision.MONTH else "y"
                shown = format_skeleton(skeleton, dt.date(year, month, day), locale=self.locale)
            self._dates[key] = shown
        return shown

    def value(self, value: object) -> str:
        """A stored detail as shown: numbers grouped (10,000,000), dates in this language."""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float):
            return format_decimal(value, locale=self.locale)
        if isinstance(value, list):
            return ", ".join(map(self.value, value))
        text = str(value)
        try:
            return self.when(PartialDate.parse(text)) if text[:1].isdigit() else text
        except ValueError:
            return text


def _catalogue(code: str) -> NullTranslations:
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=code, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


def load_languages() -> dict[str, Language]:
    """English (British day-month order, as the bot writes dates) and Korean."""
    return {
        "en": Language("en", "English", Locale.parse("en_GB"), NullTranslations()),
        "ko": Language("ko", "한국어", Locale.parse("ko"), _catalogue("ko")),
    }


def choose(asked: str | None, accept_language: str | None, known: set[str]) -> tuple[str, bool]:
    """The language code for a request, and whether the address asked for it (?lang=).

    ?lang= wins; then the Accept-Language header by its q values (ko-KR counts as ko);
    then English.
    """
    if asked and asked.strip().lower() in known:
        return asked.strip().lower(), True
    best, best_q = DEFAULT, 0.0
    for position, item in enumerate((accept_language or "")[:500].split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # equal weights: the first listed wins
        if code in known and q > best_q:
            best, best_q = code, q
    return best, False
