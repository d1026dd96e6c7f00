"""Commands that change facts, subjects, aliases and editors: admins and editors only, audited.

Each write checks everything it was given first (bot/admin/input.py), then makes its change
and its audit entry in one transaction (bot/admin/changes.py): a refused change changes
nothing, and every change says who, when, from what to what, and on what source.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.admin import changes
from bot.admin.history import add_entry
from bot.admin.input import (
    EDITABLE,
    MAX_NAME,
    MAX_SOURCE,
    MAX_SUMMARY,
    MAX_VALUE,
    detail_value,
    details_of,
    field_label,
    kind_word,
    list_value,
    parse_partial_date,
    parse_source,
    parse_user,
    slugify,
    subjects_named,
    text_value,
)
from bot.commands import Command, Param, ParamKind, Role, declare
from bot.context import Context
from bot.errors import FanbotError
from bot.fact_text import names_of_facts, word
from bot.fan.commands import fact_text
from bot.i18n import N_, P_, Translator
from bot.replies import Reply, ReplyBuilder
from bot.text import clean_input, shorten
from storage.catalog import SYNC_PLATFORM
from storage.models import (
    KIND_FIELDS,
    Fact,
    FactKind,
    NewFact,
    NewSubject,
    PartialDate,
    Subject,
    SubjectKind,
    normalize_name,
)

WRITERS = frozenset({Role.BOT_ADMIN, Role.EDITOR})
BOT_ADMINS = frozenset({Role.BOT_ADMIN})
MAX_HISTORY = 50
RECORDED = N_("Recorded. /undo takes it back.")

WHO = Param(
    "who",
    ParamKind.TEXT,
    "who it is about: a name, or several as “IU, V”",
    suggest="subjects",
    max_length=300,
)
DATE = Param(
    "date", ParamKind.PARTIAL_DATE, "when, as precise as the source: 2024-01-24, 2024-01 or 2024"
)
SOURCE = Param(
    "source",
    ParamKind.TEXT,
    "a web address (https://…) or a citation such as “Soompi, 2024-01-24”",
    max_length=MAX_SOURCE,
)
SUMMARY = Param(
    "summary", ParamKind.TEXT, "the fact in one sentence, as fans would say it", max_length=400
)


# The names of the optional values, for the catalogue: `_opt` declares them where the extractor
# does not look, and Discord's options and the usage lines show them in the reader's language.
OPTION_NAMES = (
    P_("param", "type"),
    P_("param", "featured"),
    P_("param", "platform"),
    P_("param", "metric"),
    P_("param", "time_taken"),
    P_("param", "scope"),
    P_("param", "dated"),
    P_("param", "until"),
    P_("param", "unit"),
    P_("param", "note"),
    P_("param", "what"),
    P_("param", "group"),
    P_("param", "aliases"),
    P_("param", "change"),
    P_("param", "user"),
)


def _opt(name: str, help: str, kind: ParamKind = ParamKind.TEXT, **options: Any) -> Param:
    return Param(name, kind, help, required=False, max_length=MAX_VALUE + 100, **options)


def _listed(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def _names(subjects: tuple[Subject, ...]) -> str:
    return _listed([s.name for s in subjects])


def _said_list(tr: Translator, words: list[str], last: str = N_(" and ")) -> str:
    """Words listed as the reader's language lists them ("A, B and C" / "A, B, C")."""
    if len(words) == 1:
        return words[0]
    return tr._(", ").join(words[:-1]) + tr._(last) + words[-1]


def _fact_number(text: str) -> int:
    number = clean_input(text).lstrip("#")
    if not number.isascii() or not number.isdigit() or len(number) > 12:
        raise FanbotError(
            N_("A fact is given by its number, like #12, not “{text}”."), text=shorten(text, 40)
        )
    return int(number)


async def _fact_line(ctx: Context, fact: Fact) -> str:
    """The fact's sentence as fans read it in this chat's language, its names the local ones."""
    names = await names_of_facts(ctx.core.resolver, [fact], ctx.language)
    return fact_text(fact, ctx.tr, names)


async def _done(ctx: Context, title: str, fact: Fact, footer: str) -> Reply:
    """A change's confirmation; `title` and `footer` are msgids with {id} for the fact."""
    b = ReplyBuilder(title=ctx.tr._(title).format(id=fact.id))
    b.fact(fact, await _fact_line(ctx, fact))
    b.footer = ctx.tr.fill(footer, id=fact.id)
    return b.build()


async def _add(
    ctx: Context,
    kind: FactKind,
    who: str,
    date: PartialDate,
    summary: str | None,
    source: str,
    details: dict[str, Any],
    default_summary: str | None = None,
) -> Reply:
    """Check every piece, then add the fact (unless it is recorded already)."""
    subjects = await subjects_named(ctx, who)
    src = parse_source(source)
    checked = details_of(kind, details)
    if summary is None:
        assert default_summary is not None
        summary = default_summary.format(names=_names(subjects), **checked)
    text = text_value(summary, "summary", MAX_SUMMARY, minimum=3)
    new = NewFact(
        key=f"{slugify(text, kind.value)}-{date.iso()}",
        kind=kind,
        summary=text,
        date=date,
        subjects=tuple(s.slug for s in subjects),
        sources=(src,),
        details=checked,
    )
    fact = await changes.add_fact(ctx, new, [s.id for s in subjects], src)
    return await _done(
        ctx,
        N_("Added #{id}"),
        fact,
        N_("Recorded. /undo takes it back; /history #{id} shows who changed what."),
    )


@declare(
    "addrelease",
    "Record a release (a single, album, music video …) with its source",
    WHO,
    DATE,
    Param("title", ParamKind.TEXT, "the release's title, e.g. Love wins all", max_length=300),
    SOURCE,
    _opt("type", "what it is: single, album, music video …"),
    _opt("featured", "who it features; several separated by commas"),
    _opt("summary", "the fact in one sentence (default: “IU released TITLE (TYPE)”)"),
    allowed=WRITERS,
    writes=True,
    form=True,
)
async def add_release(
    ctx: Context,
    who: str,
    date: PartialDate,
    title: str,
    source: str,
    type: str | None = None,
    featured: str | None = None,
    summary: str | None = None,
) -> Reply:
    details = {"title": title, "type": type, "featured": featured}
    default = "{names} released {title}" + (" ({type})" if type else "")
    return await _add(ctx, FactKind.RELEASE, who, date, summary, source, details, default)


@declare(
    "addmilestone",
    "Record a milestone or record (views, likes, charts) with its source",
    WHO,
    DATE,
    SUMMARY,
    SOURCE,
    _opt("platform", "where: YouTube, Instagram, Melon …"),
    _opt("metric", "what was counted: views, likes, streams …"),
    _opt(
        "value", "the number reached, e.g. 100000000", ParamKind.INTEGER, minimum=0, maximum=10**15
    ),
    _opt("time_taken", "how long it took, e.g. 6 h 55 min"),
    _opt("scope", "what makes it a record, e.g. fastest K-pop MV in 2024"),
    allowed=WRITERS,
    writes=True,
    form=True,
)
async def add_milestone(
    ctx: Context,
    who: str,
    date: PartialDate,
    summary: str,
    source: str,
    platform: str | None = None,
    metric: str | None = None,
    value: int | None = None,
    time_taken: str | None = None,
    scope: str | None = None,
) -> Reply:
    details = {
        "platform": platform,
        "metric": metric,
        "value": value,
        "time_taken": time_taken,
        "scope": scope,
    }
    return await _add(ctx, FactKind.MILESTONE, who, date, summary, source, details)


@declare(
    "addstatus",
    "Record a change of status (military service, hiatus, return) with its source",
    WHO,
    DATE,
    Param("state", ParamKind.TEXT, "the new status, e.g. military service", max_length=300),
    SOURCE,
    _opt(
        "dated",
        "began (default): DATE is when it began; as-of: DATE is only when a source reported it",
        ParamKind.CHOICE,
        choices=("began", "as-of"),
    ),
    _opt(
        "until", "when it is expected to end: 2025-06-10, 2025-06 or 2025", ParamKind.PARTIAL_DATE
    ),
    _opt("unit", "where, e.g. the military unit"),
    _opt("note", "anything else worth knowing"),
    _opt("summary", "the fact in one sentence (default: “V: STATE”)"),
    allowed=WRITERS,
    writes=True,
    form=True,
)
async def add_status(
    ctx: Context,
    who: str,
    date: PartialDate,
    state: str,
    source: str,
    dated: str | None = None,
    until: PartialDate | None = None,
    unit: str | None = None,
    note: str | None = None,
    summary: str | None = None,
) -> Reply:
    # Only a known start makes anniversaries and day counts; a day a source saw it is "as of".
    when = "as_of" if dated == "as-of" else "since"
    details = {"state": state, when: date.iso(), "until": until, "unit": unit, "note": note}
    return await _add(ctx, FactKind.STATUS, who, date, summary, source, details, "{names}: {state}")


@declare(
    "addevent",
    "Record an event (a post, a show, an award) with its source",
    WHO,
    DATE,
    SUMMARY,
    SOURCE,
    _opt("what", "more about what happened"),
    _opt("note", "anything else worth knowing"),
    allowed=WRITERS,
    writes=True,
    form=True,
)
async def add_event(
    ctx: Context,
    who: str,
    date: PartialDate,
    summary: str,
    source: str,
    what: str | None = None,
    note: str | None = None,
) -> Reply:
    details = {"what": what, "note": note}
    return await _add(ctx, FactKind.EVENT, who, date, summary, source, details)


@declare(
    "addsubject",
    "Add an artist: a group, a soloist, or a member of a group",
    Param("name", ParamKind.TEXT, "the name fans use most, e.g. Jimin", max_length=MAX_NAME + 20),
    Param("kind", ParamKind.CHOICE, "group, soloist or member", choices=tuple(SubjectKind)),
    SOURCE,
    _opt("group", "the group a member belongs to, e.g. BTS", suggest="subjects"),
    _opt("aliases", "other names, separated by commas: Park Jimin, 지민"),
    allowed=WRITERS,
    writes=True,
    form=True,
)
async def add_subject(
    ctx: Context,
    name: str,
    kind: str,
    source: str,
    group: str | None = None,
    aliases: str | None = None,
) -> Reply:
    clean = text_value(name, "name", MAX_NAME)
    subject_kind = SubjectKind(kind)
    src = parse_source(source)
    groups: tuple[Subject, ...] = ()
    if group:
        if subject_kind is SubjectKind.GROUP:
            raise FanbotError(N_("A group does not belong to a group; leave GROUP out."))
        groups = await subjects_named(ctx, group)
        not_groups = [g.name for g in groups if g.kind is not SubjectKind.GROUP]
        if not_groups:
            raise FanbotError(
                N_("{names} is not a group."), names=lambda tr: tr._(", ").join(not_groups)
            )
    elif subject_kind is SubjectKind.MEMBER:
        raise FanbotError(
            N_(
                "A member needs their group: /addsubject “{name}” member SOURCE GROUP "
                "(or add them as a soloist)."
            ),
            name=shorten(clean, 40),
        )
    others = list_value(aliases, "aliases") if aliases else []
    group_slugs = tuple(g.slug for g in groups)
    for existing in await ctx.store.facts.subjects(sorted(await ctx.core.resolver.find_ids(clean))):
        same_name = normalize_name(existing.name) == normalize_name(clean)
        if same_name and existing.kind is subject_kind:
            if tuple(g.slug for g in existing.groups) == group_slugs or not group_slugs:
                raise FanbotError(
                    N_("{name} is already recorded ({kind})."),
                    name=existing.name,
                    kind=functools.partial(kind_word, kind=existing.kind.value),
                )
    new = NewSubject(
        slug=slugify(clean, "subject"),
        name=clean,
        kind=subject_kind,
        aliases=tuple(a for a in others if normalize_name(a)),
        groups=group_slugs,
    )
    new = await changes.add_subject(ctx, new, [g.name for g in groups], src)
    tr = ctx.tr
    b = ReplyBuilder(title=tr._("Added {name}").format(name=new.name))
    kind = kind_word(tr, new.kind.value)
    if groups:
        group_names = _said_list(tr, [g.name for g in groups])
        what = tr.fill(N_("{kind} of {groups}"), kind=kind, groups=group_names)
    else:
        what = kind
    line = f"{new.name}: {what}"
    if new.aliases:
        also = tr._("; also known as {aliases}").format(aliases=tr._(", ").join(new.aliases))
        line += also
    b.line(line)
    b.footer = tr._("Recorded. /undo takes it back; /addalias adds more names.")
    return b.build()


def _one_subject(subjects: tuple[Subject, ...]) -> Subject:
    if len(subjects) != 1:
        raise FanbotError(N_("Give one name here, not several."))
    return subjects[0]


ALIAS = Param("alias", ParamKind.TEXT, "another name, e.g. 뷔 or Kim Taehyung", max_length=200)
SUBJECT = Param(
    "who", ParamKind.TEXT, "whose name it is: V, IU, BTS", suggest="subjects", max_length=200
)


@declare(
    "addalias",
    "Teach me another name for an artist",
    SUBJECT,
    ALIAS,
    SOURCE,
    allowed=WRITERS,
    writes=True,
)
async def add_alias(ctx: Context, who: str, alias: str, source: str) -> Reply:
    subject = _one_subject(await subjects_named(ctx, who))
    name = text_value(alias, "alias", MAX_NAME)
    src = parse_source(source)
    stored = await changes.change_alias(ctx, subject, name, True, src)
    b = ReplyBuilder(
        title=ctx.tr.fill(N_("{name} is also “{alias}”"), name=subject.name, alias=stored)
    )
    b.line(await _what_the_alias_does(ctx, subject, stored))
    b.footer = ctx.tr._(RECORDED)
    return b.build()


async def _what_the_alias_does(ctx: Context, subject: Subject, alias: str) -> str:
    """What asking by the new alias does now: answer for the subject, or, where another artist
    has that name too, ask which one is meant (the resolver's rule, said before a fan meets it)."""
    tr = ctx.tr
    resolver = ctx.core.resolver
    others = await resolver.any_spelling(alias) - {subject.id}
    if not others:
        return tr.fill(
            N_("/milestone {alias} now answers for {name}."), alias=alias, name=subject.name
        )
    others_named = _said_list(tr, await resolver.labels(others))
    exact = await resolver.find_ids(alias)
    if len(exact) > 1:
        meant = _said_list(tr, await resolver.labels(exact), N_(" or "))
        return tr.fill(
            N_(
                "“{alias}” is also a name of {others}, so /milestone {alias} will ask which one "
                "is meant: {meant}."
            ),
            alias=alias,
            others=others_named,
            meant=meant,
        )
    folded = normalize_name(alias)
    spellings = []
    for other in sorted(others):
        found = await resolver.subject(other)
        names = (found.name, *found.aliases) if found else ()
        spellings += [n for n in names if normalize_name(n) == folded and n != alias]
    like = tr._(" (like {spelling})").format(spelling=spellings[0]) if spellings else ""
    return tr.fill(
        N_(
            "“{alias}” is also a name of {others}: /milestone {alias} answers for {name} only "
            "written just so; other spellings of it{like} will ask which one is meant."
        ),
        alias=alias,
        others=others_named,
        name=subject.name,
        like=like,
    )


@declare(
    "removealias",
    "Forget a wrong name for an artist",
    SUBJECT,
    ALIAS,
    SOURCE,
    allowed=WRITERS,
    writes=True,
)
async def remove_alias(ctx: Context, who: str, alias: str, source: str) -> Reply:
    subject = _one_subject(await subjects_named(ctx, who))
    name = text_value(alias, "alias", MAX_NAME)
    src = parse_source(source)
    stored = await changes.change_alias(ctx, subject, name, False, src)
    title = ctx.tr.fill(N_("“{alias}” no longer names {name}"), alias=stored, name=subject.name)
    b = ReplyBuilder(title=title)
    b.footer = ctx.tr._(RECORDED)
    return b.build()


@declare(
    "edit",
    "Correct one field of a fact, citing the source of the correction",
    Param("fact", ParamKind.FACT, "the fact's number, as in #12"),
    Param(
        "field",
        ParamKind.CHOICE,
        "what to change: summary, date, subjects or a detail",
        choices=EDITABLE,
    ),
    Param("value", ParamKind.TEXT, "the new value; - clears a detail", max_length=MAX_VALUE + 100),
    SOURCE,
    allowed=WRITERS,
    writes=True,
)
async def edit(ctx: Context, fact: Fact, field: str, value: str, source: str) -> Reply:
    src = parse_source(source)
    update: dict[str, Any]
    if field == "summary":
        update = {"summary": text_value(value, "summary", MAX_SUMMARY, minimum=3)}
    elif field == "date":
        update = {"date": parse_partial_date(value)}
    elif field == "subjects":
        update = {"subjects": tuple(s.slug for s in await subjects_named(ctx, value))}
    else:
        fields = KIND_FIELDS[fact.kind]
        if field not in fields:
            kind = fact.kind.value
            raise FanbotError(
                N_("A {kind} has no field {field}; its fields are {fields}."),
                kind=lambda tr: word(tr, "fact kind", kind),
                field=field_label(field),
                fields=lambda tr: tr._(", ").join(
                    field_label(f)(tr) for f in ("summary", "date", "subjects", *fields)
                ),
            )
        details = dict(fact.details)
        if clean_input(value) in ("-", "—", "none"):
            details.pop(field, None)
        else:
            details[field] = detail_value(field, value)
        update = {"details": details}
    current = changes.as_new(fact)
    new = changes.as_new(fact, **update)
    if new == current:
        raise FanbotError(
            N_("Nothing to change: #{id}'s {field} is that already."),
            id=fact.id,
            field=field_label(field),
        )
    if src not in new.sources:
        new = changes.as_new(fact, **update, sources=(*fact.sources, src))
    after = await changes.change_fact(ctx, fact, new, "edit", src)
    return await _done(
        ctx,
        N_("Changed #{id}"),
        after,
        N_("Recorded. /undo takes it back; /history #{id} shows every change."),
    )


@declare(
    "remove",
    "Remove a wrong fact (it is kept, hidden, and /restore brings it back)",
    Param("fact", ParamKind.FACT, "the fact's number, as in #12"),
    Param(
        "source",
        ParamKind.TEXT,
        "why: a web address or a citation showing it is wrong",
        max_length=MAX_SOURCE,
    ),
    allowed=WRITERS,
    writes=True,
)
async def remove(ctx: Context, fact: Fact, source: str) -> Reply:
    src = parse_source(source)
    after = await changes.change_fact(ctx, fact, changes.as_new(fact, hidden=True), "remove", src)
    return await _done(
        ctx,
        N_("Removed #{id}"),
        after,
        N_("Kept but hidden from every answer. /restore #{id} brings it back."),
    )


@declare(
    "restore",
    "Bring back a removed fact",
    Param("fact", ParamKind.TEXT, "the removed fact's number, as in #12", max_length=40),
    SOURCE,
    allowed=WRITERS,
    writes=True,
)
async def restore(ctx: Context, fact: str, source: str) -> Reply:
    number = _fact_number(fact)
    found = await ctx.store.facts.fact_any(number)
    if found is None:
        raise FanbotError(N_("There is no fact #{id}."), id=number)
    if not found.hidden:
        raise FanbotError(N_("Fact #{id} is not removed; nothing to restore."), id=number)
    src = parse_source(source)
    after = await changes.change_fact(
        ctx, found, changes.as_new(found, hidden=False), "restore", src
    )
    return await _done(ctx, N_("Restored #{id}"), after, RECORDED)


@declare(
    "history",
    "Who changed a fact (or an artist's names), when, and from what to what",
    Param(
        "fact",
        ParamKind.TEXT,
        "a fact's number, as in #12, or a name",
        max_length=200,
        suggest="subjects",
    ),
)
async def history(ctx: Context, fact: str) -> Reply:
    tr = ctx.tr
    text = clean_input(fact)
    if text.lstrip("#").isdigit():
        number = _fact_number(text)
        found = await ctx.store.facts.fact_any(number)
        entries = await ctx.store.audit.for_target("fact", str(number), MAX_HISTORY)
        if found is None and not entries:
            raise FanbotError(N_("There is no fact #{id}."), id=number)
        total = await ctx.store.audit.count_for_target("fact", str(number))
        b = ReplyBuilder(title=tr._("History of #{id}").format(id=number))
        if found is not None:
            now = (
                N_("Now (removed): {fact} — version {version}")
                if found.hidden
                else N_("Now: {fact} — version {version}")
            )
            shown = shorten(await _fact_line(ctx, found), 200)
            b.line(tr._(now).format(fact=shown, version=found.version))
    else:
        subject = _one_subject(await subjects_named(ctx, text))
        entries = await ctx.store.audit.for_target("subject", subject.slug, MAX_HISTORY)
        total = await ctx.store.audit.count_for_target("subject", subject.slug)
        b = ReplyBuilder(title=tr._("History of {name}").format(name=subject.name))
    for entry in entries:
        add_entry(b, entry, ctx.zone, tr)
    if not entries:
        b.line(tr._("No changes recorded since it was loaded from the seed files or an import."))
    if total > len(entries):
        b.footer = tr._("Showing the last {shown} of {total} changes.").format(
            shown=tr.number(len(entries)), total=tr.number(total)
        )
    return b.build()


@declare(
    "audit",
    "The latest changes anyone made, newest first",
    Param(
        "count",
        ParamKind.INTEGER,
        "how many, 1 to 50 (default 10)",
        required=False,
        minimum=1,
        maximum=MAX_HISTORY,
    ),
)
async def audit(ctx: Context, count: int = 10) -> Reply:
    tr = ctx.tr
    entries = await ctx.store.audit.recent(count)
    b = ReplyBuilder(title=tr._("Latest changes"))
    for entry in entries:
        add_entry(b, entry, ctx.zone, tr)
    if not entries:
        b.line(tr._("No changes yet: every fact is as the seed files or imports brought it."))
    total = await ctx.store.audit.count()
    if total > len(entries):
        b.footer = tr._("Showing {shown} of {total} changes. /history #N shows one fact's.").format(
            shown=tr.number(len(entries)), total=tr.number(total)
        )
    return b.build()


@declare(
    "undo",
    "Take back your own latest change (bot admins: any change N, or musicbrainz)",
    _opt("change", "a change number from /history or /audit, or musicbrainz (bot admins)"),
    allowed=WRITERS,
    writes=True,
)
async def undo(ctx: Context, change: str | None = None) -> Reply:
    tr = ctx.tr
    entry, undo_id = await changes.undo_last(ctx, change)
    b = ReplyBuilder(title=tr._("Undone: change {id}").format(id=entry.id))
    if entry.target_kind == "fact":
        fact = await ctx.store.facts.fact_any(int(entry.target))
        if fact is not None:
            state = tr._(" (now removed)") if fact.hidden else ""
            b.fact(fact, await _fact_line(ctx, fact) + state)
    if entry.actor.platform == SYNC_PLATFORM:
        said = N_("Recorded as change {id}; the catalogue's next sync leaves it as it is now.")
    elif change:
        said = N_("Recorded as change {id}.")
    else:
        said = N_("Recorded as change {id}. /undo again takes back your change before it.")
    b.line(tr.fill(said, id=undo_id))
    return b.build()


@declare(
    "editor",
    "Let someone add and correct facts, or take that back (bot admins only)",
    Param("action", ParamKind.CHOICE, "add, remove or list", choices=("add", "remove", "list")),
    _opt("user", "who: discord:123456789, telegram:123456789 or a Discord mention"),
    _opt("name", "the name to show for them"),
    allowed=BOT_ADMINS,
    writes=True,
)
async def editor(
    ctx: Context, action: str, user: str | None = None, name: str | None = None
) -> Reply:
    tr = ctx.tr
    if action == "list":
        editors = await ctx.store.editors.all()
        b = ReplyBuilder(title=tr._("Editors"))
        for e in editors:
            b.line(
                tr._("{name} ({user}), since {day}").format(
                    name=e.name, user=f"{e.platform}:{e.user_id}", day=e.granted_at[:10]
                )
            )
        if not editors:
            b.line(tr._("Nobody yet. /editor add discord:123456789 Name makes someone an editor."))
        return b.build()
    if not user:
        raise FanbotError(
            N_("Who? /editor {action} discord:123456789 (or telegram:…, a mention)."),
            action=action,
        )
    platform, user_id = parse_user(user, ctx.caller.platform)
    shown = text_value(name, "name", MAX_NAME) if name else None
    before = await changes.set_editor(ctx, platform, user_id, shown, action == "add")
    who = shown or (before.name if before else f"{platform}:{user_id}")
    if action == "add":
        title = tr.fill(N_("{name} is now an editor"), name=who)
        line = tr._(
            "They can add and correct facts, subjects and aliases; every change is recorded."
        )
    else:
        title = tr.fill(N_("{name} is no longer an editor"), name=who)
        line = tr._("Their past changes stay in the history.")
    b = ReplyBuilder(title=title)
    b.line(line)
    b.footer = tr._(RECORDED)
    return b.build()


def admin_commands() -> list[Command]:
    """The commands that change the store, then the ones that show its history."""
    return [
        add_release,
        add_milestone,
        add_status,
        add_event,
        add_subject,
        add_alias,
        remove_alias,
        edit,
        remove,
        restore,
        undo,
        editor,
        history,
        audit,
    ]
