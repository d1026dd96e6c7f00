"""A fact's sentence in the reader's language, from its kind and structured fields.

The stored summary is written in the source language (English) as the editor or the source
worded it, so an English reader gets it as written. Another language gets a sentence built by
that language's template from the fact's fields (a milestone's platform, metric, value and time
taken; a release's title and type; a status's state), with each subject named by its alias in
that language (뷔 for V). Where the fields do not say enough (an event's free text), the stored
summary is shown as it is: a sentence of data, like a title, is not template text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.i18n import N_, P_, SOURCE_LANGUAGE, Translator, parse_duration, translator
from bot.names import NameResolver
from storage.models import BIRTH, DEBUT, Fact, FactKind, Subject, SubjectRef

SCRIPTS = {"ko": re.compile("[\uac00-\ud7a3]")}  # an alias in Hangul is the Korean name

# Milestone templates by metric: (with a time taken, without). The platform and metric are
# translated with msgctxt "platform" / "metric"; unknown ones read as stored.
MILESTONES = {
    "likes": (
        N_("{who}'s {platform} post reached {value} likes in {time}"),
        N_("{who}'s {platform} post reached {value} likes"),
    ),
    "views": (
        N_("{who}'s {platform} video reached {value} views in {time}"),
        N_("{who}'s {platform} video reached {value} views"),
    ),
    "streams": (
        N_("{who} reached {value} streams on {platform} in {time}"),
        N_("{who} reached {value} streams on {platform}"),
    ),
}
OTHER_MILESTONE = (
    N_("{who} reached {value} {metric} on {platform} in {time}"),
    N_("{who} reached {value} {metric} on {platform}"),
)
# A birth's and a debut's plain sentence, as the catalogue writes it (bot/catalog/plan.py).
BORN = N_("{who} was born")
DEBUTED = N_("{who} debuted")
RELEASE = N_("{who} released the {type} {title}")
RELEASE_UNTYPED = N_("{who} released {title}")
FEATURING = N_("feat. {names}")
STATUS = N_("{who}: {state}")
# Words of the data that the catalogue knows (msgctxt keeps them apart from sentences).
KNOWN_WORDS = (
    P_("platform", "Instagram"),
    P_("platform", "YouTube"),
    P_("platform", "Spotify"),
    P_("platform", "TikTok"),
    P_("platform", "X"),
    P_("metric", "likes"),
    P_("metric", "views"),
    P_("metric", "streams"),
    P_("metric", "followers"),
    P_("release type", "single"),
    P_("release type", "pre-release single"),
    P_("release type", "album"),
    P_("release type", "mini album"),
    P_("release type", "music video"),
    P_("state", "active"),
    P_("state", "military service"),
    P_("state", "hiatus"),
    P_("state", "enlisted"),
    P_("fact kind", "release"),
    P_("fact kind", "milestone"),
    P_("fact kind", "status"),
    P_("fact kind", "event"),
    P_("detail", "Title"),
    P_("detail", "Type"),
    P_("detail", "Featured"),
    P_("detail", "Platform"),
    P_("detail", "Metric"),
    P_("detail", "Value"),
    P_("detail", "Time taken"),
    P_("detail", "Scope"),
    P_("detail", "State"),
    P_("detail", "Since"),
    P_("detail", "As of"),
    P_("detail", "Until"),
    P_("detail", "Unit"),
    P_("detail", "Honours"),
    P_("detail", "Note"),
    P_("detail", "What"),
)

def word(tr: Translator, context: str, text: str) -> str:
    """A platform, metric, release type or state in the reader's language, else as stored."""
    return tr.pgettext(context, text)


WORD_DETAILS = {
    "platform": "platform",
    "metric": "metric",
    "type": "release type",
    "state": "state",
}


def detail_value(tr: Translator, name: str, value: object) -> str:
    """A detail as /sources shows it: known words translated, counts and durations formatted."""
    if isinstance(value, list):
        return tr._(", ").join(str(v) for v in value)
    text = str(value)
    if name in WORD_DETAILS:
        return word(tr, WORD_DETAILS[name], text)
    if name == "value" and isinstance(value, int) and not isinstance(value, bool):
        return tr.number(value)
    if name == "time_taken" and (span := parse_duration(text)) is not None:
        return tr.duration(span)
    return text


def local_name(subject: Subject, language: str) -> str:
    """The subject's name in a language: its first alias in that language's script, else its
    name (V in English, 뷔 in Korean)."""
    script = SCRIPTS.get(language)
    if script is not None and not script.search(subject.name):
        for alias in subject.aliases:
            if script.search(alias):
                return alias
    return subject.name


async def local_names(
    resolver: NameResolver, refs: Iterable[SubjectRef | Subject], language: str
) -> dict[int, str]:
    """Names by subject id in a language; the name index answers without a database trip."""
    names: dict[int, str] = {}
    for ref in refs:
        if ref.id in names:
            continue
        subject = ref if isinstance(ref, Subject) else await resolver.subject(ref.id)
        names[ref.id] = local_name(subject, language) if subject is not None else ref.name
    return names


async def names_of_facts(
    resolver: NameResolver, facts: Iterable[Fact], language: str
) -> dict[int, str]:
    return await local_names(resolver, (s for f in facts for s in f.subjects), language)


def named(fact: Fact, names: Mapping[int, str] | None, tr: Translator, first: bool = False) -> str:
    refs = fact.subjects[:1] if first else fact.subjects
    shown = [(names or {}).get(s.id, s.name) for s in refs]
    return tr._(N_(", ")).join(shown) or "—"


def sentence(fact: Fact, tr: Translator, names: Mapping[int, str] | None = None) -> str:
    """The fact's own sentence: as stored in English, by template in another language."""
    if tr.language == SOURCE_LANGUAGE and fact.summary:
        return fact.summary
    built = _template(fact, tr, names)
    return built or fact.summary


def _template(fact: Fact, tr: Translator, names: Mapping[int, str] | None) -> str | None:
    if fact.kind is FactKind.MILESTONE:
        return _milestone(fact, tr, names)
    if fact.kind is FactKind.RELEASE and fact.detail("title"):
        kind = fact.detail("type")
        text = tr._(RELEASE if kind else RELEASE_UNTYPED).format(
            who=named(fact, names, tr, first=True),
            type=word(tr, "release type", str(kind or "")),
            title=fact.detail("title"),
        )
        return text
    if fact.kind is FactKind.EVENT and fact.detail("what") in (BIRTH, DEBUT):
        return _born_or_debuted(fact, tr, names)
    return None


def _born_or_debuted(fact: Fact, tr: Translator, names: Mapping[int, str] | None) -> str | None:
    """"뷔 탄생" for "V was born", only when the stored sentence is the plain one: an editor's
    fuller one ("V was born in Daegu") says more than the fields, so it is shown as written."""
    template = BORN if fact.detail("what") == BIRTH else DEBUTED
    if not fact.subjects or fact.summary != template.format(who=fact.subjects[0].name):
        return None
    return tr._(template).format(who=named(fact, names, tr, first=True))


def _milestone(fact: Fact, tr: Translator, names: Mapping[int, str] | None) -> str | None:
    platform, metric, value = (fact.detail(k) for k in ("platform", "metric", "value"))
    try:
        count = int(str(value).replace(",", ""))
    except ValueError:
        return None
    if not platform or not metric:
        return None
    span = parse_duration(str(fact.detail("time_taken") or ""))
    timed, untimed = MILESTONES.get(str(metric).lower(), OTHER_MILESTONE)
    return tr._(timed if span else untimed).format(
        who=named(fact, names, tr, first=True),
        platform=word(tr, "platform", str(platform)),
        metric=word(tr, "metric", str(metric)),
        value=tr.count(count),
        time=tr.duration(span) if span else "",
    )


def fact_text(
    fact: Fact, tr: Translator | None = None, names: Mapping[int, str] | None = None
) -> str:
    """The fact's sentence, plus the detail a fan would look for that it does not already say."""
    tr = tr or translator(SOURCE_LANGUAGE)
    text = sentence(fact, tr, names)
    extra: list[str] = []
    if fact.kind is FactKind.MILESTONE:
        extra.append(str(fact.detail("scope") or ""))
    elif fact.kind is FactKind.RELEASE:
        featured = fact.detail("featured") or []
        shown = [str(n) for n in featured if str(n).casefold() not in text.casefold()]
        if shown:
            extra.append(tr._(FEATURING).format(names=", ".join(shown)))
    for piece in extra:
        if piece and piece.casefold() not in text.casefold():
            text += f" — {piece}"
    return text
