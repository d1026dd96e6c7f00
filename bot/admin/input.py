"""Checking what an admin typed before anything is written: sources, names, values, users."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from bot.context import Context
from bot.convert import parse_number, parse_url
from bot.errors import FanbotError, Said
from bot.i18n import N_, P_, Translator
from bot.text import clean_input, shorten
from storage.models import (
    KIND_FIELDS,
    FactKind,
    InvalidDate,
    PartialDate,
    Source,
    Subject,
    normalize_name,
)

MAX_SUMMARY = 300
MAX_VALUE = 300
MAX_NAME = 100
MAX_SOURCE = 500
ADD_SUBJECT_USAGE = "/addsubject NAME KIND SOURCE [GROUP] [ALIASES]"

# Detail fields that hold a list (written "a, b, c"), a whole number, or a date.
LIST_FIELDS = frozenset({"featured", "honours"})
NUMBER_FIELDS = frozenset({"value"})
DATE_FIELDS = frozenset({"since", "as_of", "until"})
EDITABLE = (
    "summary",
    "date",
    "subjects",
    *dict.fromkeys(f for fs in KIND_FIELDS.values() for f in fs),
)

_URL_WORD = re.compile(r"(?:https?://|www\.)\S+", re.I)
_OTHER_SCHEME = re.compile(
    r"(?:^|\s)(?:[a-z][a-z0-9+.-]*://|(?:javascript|data|vbscript|file):(?=\S))", re.I
)
_PLATFORM_USER = re.compile(r"^(discord|telegram|console):(\S+)$", re.I)
_MENTION = re.compile(r"^<@!?(\d{1,20})>$")


# The names of what an admin types, as a refusal names them: the fields of every fact, and the
# values of the other commands. English keeps the field's own name ("time taken").
_FIELD_LABELS = {
    "summary": P_("field", "summary"),
    "date": P_("field", "date"),
    "subjects": P_("field", "subjects"),
    "name": P_("field", "name"),
    "alias": P_("field", "alias"),
    "aliases": P_("field", "aliases"),
    "title": P_("field", "title"),
    "type": P_("field", "type"),
    "featured": P_("field", "featured"),
    "platform": P_("field", "platform"),
    "metric": P_("field", "metric"),
    "value": P_("field", "value"),
    "time_taken": P_("field", "time taken"),
    "scope": P_("field", "scope"),
    "state": P_("field", "state"),
    "since": P_("field", "since"),
    "as_of": P_("field", "as of"),
    "until": P_("field", "until"),
    "unit": P_("field", "unit"),
    "honours": P_("field", "honours"),
    "note": P_("field", "note"),
    "what": P_("field", "what"),
}


SUBJECT_KINDS = {
    "group": P_("subject kind", "group"),
    "soloist": P_("subject kind", "soloist"),
    "member": P_("subject kind", "member"),
}


def kind_word(tr: Translator, kind: str) -> str:
    """A subject's kind (group, soloist, member) in the reader's language."""
    return tr.pgettext(*SUBJECT_KINDS[kind]) if kind in SUBJECT_KINDS else kind


def field_label(name: str) -> Said:
    """A field's name as the reader's language says it ("time taken" / "걸린 시간")."""
    key = name.replace(" ", "_")

    def said(tr: Translator) -> str:
        label = _FIELD_LABELS.get(key)
        return tr.pgettext(*label) if label else name.replace("_", " ")

    return said


def has_words(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def text_value(text: str, name: str, limit: int = MAX_VALUE, minimum: int = 1) -> str:
    """Cleaned text with at least one letter or digit and within the limit."""
    cleaned = clean_input(text)
    if not has_words(cleaned) or len(cleaned) < minimum:
        raise FanbotError(
            N_("{name} needs some words, not “{text}”."),
            name=field_label(name),
            text=shorten(cleaned, 40),
        )
    if len(cleaned) > limit:
        raise FanbotError(
            N_("{name} is too long ({length} characters; at most {limit})."),
            name=field_label(name),
            length=lambda tr: tr.number(len(cleaned)),
            limit=limit,
        )
    return cleaned


def parse_source(text: str) -> Source:
    """A web address, a citation, or a citation followed by its address."""
    cleaned = clean_input(text)
    if len(cleaned) > MAX_SOURCE:
        raise FanbotError(
            N_("The source is too long (at most {limit} characters)."), limit=MAX_SOURCE
        )
    urls = _URL_WORD.findall(cleaned)
    if _OTHER_SCHEME.search(_URL_WORD.sub(" ", cleaned)):
        raise FanbotError(N_("A source's web address starts with https:// (or http://)."))
    if len(urls) > 1:
        raise FanbotError(N_("Give one web address per source."))
    if not urls:
        if len(cleaned) < 3 or not has_words(cleaned):
            raise FanbotError(
                N_(
                    "Every change needs a source: a web address (https://…) or a citation, "
                    "such as “Soompi, 24 January 2024”."
                )
            )
        return Source(title=cleaned)
    url = parse_url(urls[0].rstrip(".,;)"))
    title = clean_input(cleaned.replace(urls[0], " ")).strip(" -—:|")
    if not has_words(title):
        title = (urlsplit(url).hostname or url).removeprefix("www.")
    return Source(title=shorten(title, 200), url=url)


def parse_partial_date(text: str, name: str = "date") -> PartialDate:
    try:
        return PartialDate.parse(text)
    except InvalidDate as exc:
        raise FanbotError(
            N_("{name} is not a date: {reason}."), name=field_label(name), reason=str(exc)
        ) from None


def list_value(text: str, name: str) -> list[str]:
    items = [clean_input(p) for p in text.split(",")]
    items = [text_value(p, name, MAX_NAME) for p in items if p]
    if not items:
        raise FanbotError(
            N_("{name} needs at least one entry (several: separate with commas)."),
            name=field_label(name),
        )
    return list(dict.fromkeys(items))


def detail_value(field: str, text: str) -> Any:
    """A detail field's value from text, typed as the field needs."""
    name = field.replace("_", " ")
    if field in NUMBER_FIELDS:
        return parse_number(text, name)
    if field in DATE_FIELDS:
        return parse_partial_date(text, name).iso()
    if field in LIST_FIELDS:
        return list_value(text, name)
    return text_value(text, name)


def details_of(kind: FactKind, given: dict[str, Any]) -> dict[str, Any]:
    """The details a new fact carries: the given ones, checked, in the kind's field order."""
    out: dict[str, Any] = {}
    for field in KIND_FIELDS[kind]:
        value = given.get(field)
        if value is None or value == "":
            continue
        out[field] = value if isinstance(value, int) else detail_value(field, str(value))
    return out


def slugify(text: str, fallback: str) -> str:
    """A key made of the words of a name or summary: 'Love wins all MV' -> 'love-wins-all-mv'."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    slug = re.sub(r"[^\w]+", "-", folded).strip("-_")[:60].strip("-_")
    return slug or fallback


async def subjects_named(ctx: Context, text: str) -> tuple[Subject, ...]:
    """'IU' or 'IU, V': each name must be known; an unknown one offers /addsubject."""
    resolver = ctx.core.resolver
    parts = await resolver.split_names(clean_input(text))
    if not parts or not any(normalize_name(p) for p in parts):
        raise FanbotError(N_("Say who it is about: a name such as IU, or several as “IU, V”."))
    if len(parts) > 10:
        raise FanbotError(N_("A fact can be about at most {limit} subjects."), limit=10)
    found: list[Subject] = []
    for part in parts:
        if not await resolver.find_ids(part):
            suggestions = await resolver.suggest_labels(part)
            add = ctx.core.registry.get("addsubject")
            usage = add.usage_in(ctx.tr) if add else ADD_SUBJECT_USAGE
            raise FanbotError(
                N_(
                    "I don't know anyone called “{name}”. If they are new, add them first with "
                    '{form}, e.g. /addsubject "{short}" soloist https://…'
                ),
                usage=usage,
                suggestions=tuple(suggestions),
                form=usage,
                name=shorten(part, 60),
                short=shorten(part, 40),
            )
        subject = await resolver.resolve(part)
        if subject not in found:
            found.append(subject)
    return tuple(found)


def parse_user(text: str, platform: str) -> tuple[str, str]:
    """A person to make an editor: discord:123, telegram:456, a Discord mention, or a bare id
    on the platform the command is used on."""
    cleaned = clean_input(text)
    m = _MENTION.match(cleaned)
    if m:
        return "discord", m.group(1)
    m = _PLATFORM_USER.match(cleaned)
    if m:
        platform, user = m.group(1).lower(), m.group(2)
    elif cleaned.isascii() and cleaned.isdigit() and platform in ("discord", "telegram"):
        user = cleaned
    else:
        at = cleaned.startswith("@")
        raise FanbotError(
            N_(
                "“{user}” is not a user I can name{hint}: give their numeric id as "
                "discord:123456789 or telegram:123456789 (or mention them on Discord)."
            ),
            user=shorten(cleaned, 40),
            hint=lambda tr: tr._(" (I can't look up @names)") if at else "",
        )
    if platform in ("discord", "telegram"):
        if not (user.isascii() and user.isdigit() and len(user) <= 20):
            raise FanbotError(
                N_("A {platform} user id is a number, not “{user}”."),
                platform=platform,
                user=shorten(user, 40),
            )
    elif not re.fullmatch(r"[\w.-]{1,64}", user, re.ASCII):
        raise FanbotError(N_("“{user}” is not a console user name."), user=shorten(user, 40))
    return platform, user
