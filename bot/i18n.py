"""Words and numbers in the reader's language: gettext catalogues (Babel) and CLDR formatting.

English is the source language: every msgid is the English text, and a language is a catalogue
(`bot/locale/<lang>/LC_MESSAGES/fanbot.po`) and nothing else. A `Translator` is picked per
request (bot/context.py) and never kept in a global; the loaded catalogues are cached, as
gettext itself does, because they never change while fanbot runs.

The compiled `.mo` files are built by `make i18n-compile`; where one is missing or older than
its `.po` (a fresh clone, a translator's edit), the `.po` is compiled in memory at first use,
so a run never shows a stale or missing translation.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

from storage.models import PartialDate, Precision

DOMAIN = "fanbot"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
# The CLDR locale each language formats with. English: international English (en_001), whose
# dates read "28 January 2024", day before month, as fans across the world write them.
CLDR_LOCALES = {"en": "en_001", "ko": "ko"}
LANGUAGES = tuple(CLDR_LOCALES)
COMPACT_FROM = 1_000_000  # from here numbers read "10 million" / "1,000만"


def N_(message: str) -> str:
    """Marks a string for extraction where it is declared; it is translated where it is shown."""
    return message


def P_(context: str, message: str) -> tuple[str, str]:
    """Marks a word of the data with its msgctxt ("platform", "state" …) for extraction."""
    return context, message


def normalize(code: str | None) -> str | None:
    """A platform's language tag ("ko", "ko-KR", "en_US", "EN") as one we speak, else None."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return base if base in CLDR_LOCALES else None


def _catalogue(language: str, locales: Path = LOCALE_DIR) -> NullTranslations:
    """The compiled catalogue of a language; compiled from its .po when no fresh .mo exists."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    folder = locales / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f, domain=DOMAIN)
    with po.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


@functools.cache
def translator(language: str | None = None) -> Translator:
    """The translator of a language (unknown or None: English)."""
    return Translator(normalize(language) or SOURCE_LANGUAGE)


ORDINALS = {  # CLDR's ordinal categories (en: 1st, 2nd, 3rd, 4th); other languages use theirs
    "zero": N_("{n}th"),
    "one": N_("{n}st"),
    "two": N_("{n}nd"),
    "few": N_("{n}rd"),
    "many": N_("{n}th"),
    "other": N_("{n}th"),
}
ANNIVERSARIES = {
    "zero": N_("{n}th anniversary"),
    "one": N_("{n}st anniversary"),
    "two": N_("{n}nd anniversary"),
    "few": N_("{n}rd anniversary"),
    "many": N_("{n}th anniversary"),
    "other": N_("{n}th anniversary"),
}
DAYS = {
    "zero": N_("{n}th day"),
    "one": N_("{n}st day"),
    "two": N_("{n}nd day"),
    "few": N_("{n}rd day"),
    "many": N_("{n}th day"),
    "other": N_("{n}th day"),
}
_DURATION = re.compile(
    r"^\s*(?:(?P<d>\d+)\s*(?:d|days?))?\s*(?:(?P<h>\d+)\s*(?:h|hrs?|hours?))?"
    r"\s*(?:(?P<m>\d+)\s*(?:m|min|mins|minutes?))?\s*(?:(?P<s>\d+)\s*(?:s|sec|secs|seconds?))?\s*$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> dt.timedelta | None:
    """A time taken as sources write it ("6 h 55 min", "3 days", "2h5m"); None if not one."""
    m = _DURATION.match(text or "")
    if not m or not any(m.groupdict().values()):
        return None
    d, h, mi, s = (int(m.group(k) or 0) for k in "dhms")
    return dt.timedelta(days=d, hours=h, minutes=mi, seconds=s)


class Translator:
    """One language: its messages (gettext, plurals, ordinals) and its CLDR formats."""

    def __init__(self, language: str):
        self.language = language
        self.locale = Locale.parse(CLDR_LOCALES[language])
        self._t = _catalogue(language)

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    # ---- messages

    def _(self, message: str) -> str:
        return self._t.gettext(message)

    gettext = _

    def fill(self, message: str | tuple[str, str], **params: object) -> str:
        """The message translated, its placeholders filled, and (in Korean) each particle after
        a filled-in name in the form that name needs. A (msgctxt, msgid) pair from `P_` keeps
        a short msgid ("{name}'s {nth}") from meaning one thing in every use."""
        said = self.pgettext(*message) if isinstance(message, tuple) else self._(message)
        text = said.format(**params) if params else said
        return particles(text) if self.language == "ko" else text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._t.pgettext(context, message)

    def ordinal(self, n: int, forms: dict[str, str] = ORDINALS) -> str:
        """'1st', '22nd' / '1번째': the language's own ordinal category picks the msgid."""
        form = self.locale.ordinal_form(n)
        return self._(forms.get(form, forms["other"])).format(n=self.number(n))

    def anniversary(self, n: int) -> str:
        """'1st anniversary' / '1주년'."""
        return self.ordinal(n, ANNIVERSARIES)

    def nth_day(self, n: int) -> str:
        """'the 1,000th day' counts: '1,000th day' / '1,000일째'."""
        return self.ordinal(n, DAYS)

    # ---- CLDR formats

    def date(self, date: PartialDate | dt.date) -> str:
        """'28 January 2024' / '2024년 1월 28일', as precise as the source (month, year)."""
        if isinstance(date, dt.date):
            return format_date(date, "long", locale=self.locale)
        if date.precision is Precision.YEAR:
            return format_skeleton("y", dt.date(date.year, 1, 1), locale=self.locale)
        if date.precision is Precision.MONTH:
            return format_skeleton(
                "yMMMM", dt.date(date.year, date.month or 1, 1), locale=self.locale
            )
        day = date.as_date()
        assert day is not None
        return format_date(day, "long", locale=self.locale)

    def month_day(self, day: dt.date) -> str:
        """'28 January' / '1월 28일': a day of any year."""
        return format_skeleton("MMMMd", day, locale=self.locale)

    def number(self, n: int | float) -> str:
        """'1,000' in either language."""
        return format_decimal(n, locale=self.locale)

    def count(self, n: int) -> str:
        """A large count as people say it: '10 million' / '1,000만'; smaller ones in full."""
        if abs(n) < COMPACT_FROM:
            return self.number(n)
        text = format_compact_decimal(n, format_type="long", locale=self.locale, fraction_digits=1)
        # CLDR writes Korean's 만 and 억 without grouping ("1000만"); Koreans write "1,000만".
        return re.sub(r"\d{4,}", lambda m: self.number(int(m.group())), text, count=1)

    def duration(self, span: dt.timedelta) -> str:
        """'6 hrs 55 mins' / '6시간 55분': each non-zero unit in CLDR's short form."""
        seconds = int(span.total_seconds())
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [
            format_unit(value, unit, length="short", locale=self.locale)
            for value, unit in (
                (days, "duration-day"),
                (hours, "duration-hour"),
                (minutes, "duration-minute"),
                (seconds, "duration-second"),
            )
            if value
        ]
        return " ".join(parts) or format_unit(0, "duration-minute", "short", locale=self.locale)

    def zone(self, key: str) -> str:
        """A time zone as this language names it: English keeps the IANA name operators set
        ("KST (Asia/Seoul)"); another language gets CLDR's name ("KST(한국 시간)")."""
        if self.language == SOURCE_LANGUAGE:
            name = key
        else:
            name = get_timezone_name(key, width="long", zone_variant="generic", locale=self.locale)
        if key == "Asia/Seoul":
            return self._("KST ({zone})").format(zone=name)
        return name if name == key else f"{name} ({key})"


# ---- Korean particles (조사): the form depends on whether the word before ends in a consonant.
# A Korean msgstr writes both forms, "{name}은(는)", and `particles` keeps the one that fits.
# PyPI's josa packages (tossi, last released 2018; pyjosa, 2021) read Hangul only, not how
# Latin names like "V" or "BTS" are read aloud, so this is the small function instead.
_PARTICLES = {  # written form -> (after a final consonant, after a vowel)
    "은(는)": ("은", "는"),
    "이(가)": ("이", "가"),
    "을(를)": ("을", "를"),
    "와(과)": ("과", "와"),
    "(이)라는": ("이라는", "라는"),
    "(으)로": ("으로", "로"),
}
_PARTICLE = re.compile("|".join(re.escape(p) for p in _PARTICLES))
_CLOSERS = "”’\"')]»」』"
_LATIN_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}  # 엘, 엠, 엔, 알 read as letters
# 영 일 삼 육 칠 팔: the digits whose reading ends in a consonant
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}


def final_consonant(word: str) -> str | None:
    """The final consonant of `word` as read aloud ("ㄹ" for 일, "ㄴ" for 지민), "" after a
    vowel (뷔, V, BTS, 2), None when it cannot be told (no letter or digit at the end)."""
    word = word.rstrip(_CLOSERS + " ")
    if not word:
        return None
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3":
        jong = (ord(last) - 0xAC00) % 28
        return "" if jong == 0 else ("ㄹ" if jong == 8 else "ㅇ" if jong == 21 else "ㄱ")
    if last.isdigit():
        digits = re.search(r"\d+$", word)
        number = digits.group() if digits else last
        zeros = len(number) - len(number.rstrip("0"))
        if zeros and number.strip("0"):
            return "ㅂ" if zeros == 1 else "ㄱ" if zeros == 2 else "ㄴ"  # 십, 백, 천/만
        return _DIGIT_FINAL.get(last, "")
    if last.isascii() and last.isalpha():
        token = re.search(r"[A-Za-z]+$", word)
        letters = token.group() if token else last
        if letters.isupper() or len(letters) == 1:  # V, BTS, IU: read letter by letter
            return _LATIN_FINAL.get(last.lower(), "")
        if letters.lower().endswith("ng"):  # Taehyung, Jung: 형, 정
            return "ㅇ"
        return {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ"}.get(last.lower(), "")  # 올, 드림, 지민
    return None


def particles(text: str) -> str:
    """Each "은(는)", "이(가)", "을(를)", "와(과)", "(이)라는", "(으)로" after a word as the word
    needs it ("뷔는", "정국은", "V가", "“Zzyzx”라는", "서울로"); kept written both ways when
    the word before cannot be read (a symbol)."""

    def pick(m: re.Match[str]) -> str:
        final = final_consonant(text[: m.start()])
        if final is None:
            return m.group()
        after_consonant, after_vowel = _PARTICLES[m.group()]
        if m.group() == "(으)로" and final == "ㄹ":
            return after_vowel  # 서울로, 일로: ㄹ takes 로
        return after_consonant if final else after_vowel

    return _PARTICLE.sub(pick, text)
