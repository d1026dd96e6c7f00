"""What fans ask: help, milestones, releases, status, on this day, upcoming, search, sources."""

from __future__ import annotations

import datetime as dt

from rapidfuzz import fuzz, process

from bot.commands import Command, Param, ParamKind, declare
from bot.context import Context
from bot.dates import anniversary_in
from bot.errors import FanbotError
from bot.fact_text import detail_value, fact_text, local_names, names_of_facts, word
from bot.i18n import N_, Translator
from bot.names import FUZZY_CUTOFF, SUGGESTIONS, NameResolver
from bot.replies import Field, Reply, ReplyBuilder
from bot.text import shorten
from storage.facts import FactStore
from storage.models import Fact, FactKind, PartialDate, Subject, normalize_name

MAX_LINES = 50  # a chat message is not a database dump; beyond this, say how many more

WHO = Param(
    "who",
    ParamKind.SUBJECT,
    "a name in any form: V, Taehyung, 뷔; several as “V, IU”",
    many=True,
    suggest="subjects",
)
__all__ = ["fact_text", "fan_commands"]  # admin replies quote facts as fans read them


def _kst_footer(ctx: Context) -> str:
    return ctx.tr._("Dates are {zone} calendar days.").format(zone=ctx.tr.zone(ctx.zone.key))


async def _lines(ctx: Context, b: ReplyBuilder, facts: list[Fact], prefix=None) -> None:
    """Each fact as a cited line in the reader's language, its subjects by their local names."""
    names = await names_of_facts(ctx.core.resolver, facts, ctx.language)
    for fact in facts:
        text = fact_text(fact, ctx.tr, names)
        b.fact(fact, prefix(fact) + text if prefix else text)


def _with_members(*subjects: Subject) -> list[int]:
    """A group answers for itself and its members (DESIGN: 'a group name answers for both')."""
    ids: list[int] = []
    for subject in subjects:
        for sid in (subject.id, *(m.id for m in subject.members)):
            if sid not in ids:
                ids.append(sid)
    return ids


async def _who(ctx: Context, subjects: tuple[Subject, ...]) -> str:
    names = await local_names(ctx.core.resolver, subjects, ctx.language)
    if len(subjects) == 1 and subjects[0].members:
        return ctx.tr._("{name} and its members").format(name=names[subjects[0].id])
    return ctx.tr._(", ").join(names[s.id] for s in subjects)


async def _names(ctx: Context, subjects: tuple[Subject, ...]) -> str:
    names = await local_names(ctx.core.resolver, subjects, ctx.language)
    return ctx.tr._(", ").join(names[s.id] for s in subjects)


def _more(tr: Translator, builder: ReplyBuilder, shown: int, total: int, hint: str) -> None:
    """Say that a list was cut; `total` past `shown` + 1 is exact, shown + 1 means 'some'."""
    if total == shown + 1:
        cut = tr._("Showing the first {shown}.").format(shown=tr.number(shown))
        builder.footer = f"{cut} {tr._(hint)}"
    elif total > shown:
        cut = tr._("…and {more} more.").format(more=tr.number(total - shown))
        builder.footer = f"{cut} {tr._(hint)}"


@declare(
    "help",
    "What I can answer, and how to ask",
    Param("command", ParamKind.TEXT, "a command to explain", required=False),
)
async def help_command(ctx: Context, command: str | None = None) -> Reply:
    tr = ctx.tr
    if command:
        found = ctx.core.registry.get((command.lstrip("/").split() or [""])[0])
        if found is None or not found.permits(ctx.roles):
            raise FanbotError(
                N_("There is no command /{name} for you."), name=shorten(command, 40)
            )
        b = ReplyBuilder(title=found.usage_in(tr))
        b.line(tr._(found.help))
        for p in found.params:
            b.fields.append(Field(p.metavar_in(tr), tr._(p.help)))
        return b.build()
    title = tr._("fanbot — releases, records and member status")
    return _command_list(ctx, ReplyBuilder(title=title))


@declare(
    "start",
    "A welcome, and what I can answer",
    Param(
        "payload",
        ParamKind.TEXT,
        "what a t.me/…?start= link carried; fanbot welcomes everyone the same",
        required=False,
    ),
    listed=False,
)
async def start(ctx: Context, payload: str | None = None) -> Reply:
    """Telegram's first message from everyone who opens the bot (a deep link adds a payload)."""
    b = ReplyBuilder(title=ctx.tr._("Welcome to fanbot"))
    b.line(
        ctx.tr._(
            "Ask me about the releases, records and members' status of the artists you follow; "
            "every answer shows its sources."
        )
    )
    return _command_list(ctx, b)


def _command_list(ctx: Context, b: ReplyBuilder) -> Reply:
    """Every command the caller may use, with its usage and one-line help."""
    tr = ctx.tr
    for c in ctx.core.visible_commands(ctx.roles):
        b.line(f"{c.usage_in(tr)} — {tr._(c.help)}")
    b.footer = tr._("Names work in any form: V, Taehyung, 뷔.") + " " + _kst_footer(ctx)
    return b.build()


@declare(
    "milestone",
    "Records and milestones of an artist, group or member",
    WHO,
    same_for_everyone=True,
)
async def milestone(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    tr = ctx.tr
    facts = await ctx.store.facts.facts_about(
        _with_members(*who), FactKind.MILESTONE, MAX_LINES + 1
    )
    b = ReplyBuilder(title=tr._("Milestones of {who}").format(who=await _who(ctx, who)))
    await _lines(ctx, b, facts[:MAX_LINES])
    if not facts:
        names = await _names(ctx, who)
        b.line(
            tr._(
                "No milestones recorded for {names} yet. Try /release {names} or /status {names}."
            ).format(names=names)
        )
    _more(tr, b, MAX_LINES, len(facts), N_("Narrow it with /search."))
    b.footer = b.footer or _kst_footer(ctx)
    return b.build()


@declare(
    "release",
    "Releases of an artist, or a release by its title",
    Param(
        "who_or_title",
        ParamKind.TEXT,
        "a name (IU, 뷔) or a title (Love wins all)",
        suggest="subjects",
    ),
    same_for_everyone=True,
)
async def release(ctx: Context, who_or_title: str) -> Reply:
    tr = ctx.tr
    resolver = ctx.core.resolver
    subjects = await _each_named(resolver, who_or_title)
    if subjects:
        facts = await ctx.store.facts.facts_about(
            _with_members(*subjects), FactKind.RELEASE, MAX_LINES + 1
        )
        b = ReplyBuilder(title=tr._("Releases of {who}").format(who=await _who(ctx, subjects)))
        if not facts:
            names = await _names(ctx, subjects)
            b.line(tr._("No releases recorded for {names} yet.").format(names=names))
    else:
        facts = await ctx.store.search.facts_with_release_title(who_or_title, MAX_LINES + 1)
        if not facts:
            if len(await resolver.find_ids(who_or_title)) > 1:
                await resolver.resolve(who_or_title)  # raises: lists who it could be
            titles = _similar(who_or_title, await ctx.store.search.release_titles())
            labels = await resolver.suggest_labels(who_or_title)
            raise FanbotError(
                N_("I know no release or artist called “{name}”."),
                suggestions=tuple([*titles, *labels][:SUGGESTIONS]),
                name=shorten(who_or_title, 60),
            )
        b = ReplyBuilder(title=tr._("Releases: {title}").format(title=shorten(who_or_title, 80)))
    await _lines(ctx, b, facts[:MAX_LINES])
    _more(tr, b, MAX_LINES, len(facts), N_("Narrow it with /search."))
    b.footer = b.footer or _kst_footer(ctx)
    return b.build()


async def _each_named(resolver: NameResolver, text: str) -> tuple[Subject, ...]:
    """The subjects `text` names, when each of its names is exactly one; else none."""
    found: list[Subject] = []
    for part in await resolver.split_names(text):
        ids = await resolver.find_ids(part)
        subject = await resolver.subject(next(iter(ids))) if len(ids) == 1 else None
        if subject is None:
            return ()
        if subject not in found:
            found.append(subject)
    return tuple(found)


def _similar(text: str, titles: list[str], limit: int = 3) -> list[str]:
    """Release titles close to a misspelt one ("love wins al"), best first."""
    folded = {title: normalize_name(title) for title in titles}
    hits = process.extract(
        normalize_name(text), folded, scorer=fuzz.WRatio, limit=limit, score_cutoff=FUZZY_CUTOFF
    )
    return [title for _folded, _score, title in hits]


def status_text(fact: Fact, today: dt.date, tr: Translator) -> str:
    state = word(tr, "state", str(fact.detail("state") or fact.summary))
    back = _back_on(fact, today)
    if back is not None:  # the expected end has come: active again from that day
        return tr._("active again since {date} (after {state})").format(
            date=tr.date(PartialDate.of(back)), state=state
        )
    parts = [state + _when_seen(fact, tr)]
    if fact.detail("unit"):
        parts.append(str(fact.detail("unit")))
    honours = fact.detail("honours") or []
    if honours:
        parts.append(tr._("honours: {list}").format(list=", ".join(str(h) for h in honours)))
    until = fact.detail("until")
    if until:
        try:
            until_date = PartialDate.parse(str(until))
            parts.append(tr._("expected back {date}").format(date=tr.date(until_date)))
        except ValueError:
            parts.append(tr._("until {date}").format(date=until))
    if fact.detail("note"):
        parts.append(str(fact.detail("note")))
    return tr._("; ").join(parts)


def _when_seen(fact: Fact, tr: Translator) -> str:
    """ " since 1 June 2026" for a known start; " as of …" for the day a source saw it."""
    for name, label in (("since", N_(" since {date}")), ("as_of", N_(" as of {date}"))):
        try:
            return tr._(label).format(date=tr.date(PartialDate.parse(str(fact.detail(name)))))
        except ValueError:
            continue
    return ""


def _back_on(fact: Fact, today: dt.date) -> dt.date | None:
    """The day a status with an expected end (a discharge) ended, once that day has come."""
    try:
        until = PartialDate.parse(str(fact.detail("until") or "")).as_date()
    except ValueError:
        return None
    return until if until is not None and until <= today else None


@declare(
    "status",
    "What a member is doing now: active, military service, hiatus",
    WHO,
    same_for_everyone=True,
)
async def status(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    tr = ctx.tr
    ids = _with_members(*who)
    facts = await ctx.store.facts.latest_about(ids, FactKind.STATUS)
    family = [s for subject in who for s in (subject, *subject.members)]
    names = await local_names(ctx.core.resolver, family, ctx.language)
    latest: dict[int, Fact] = {}
    for fact in facts:  # newest first: the first seen per subject is its current status
        for ref in fact.subjects:
            if ref.id in names and ref.id not in latest:
                latest[ref.id] = fact
    b = ReplyBuilder(title=tr._("Status of {who}").format(who=await _who(ctx, who)))
    today = ctx.today()
    for sid in ids[:MAX_LINES]:
        fact = latest.get(sid)
        if fact is not None:
            b.fact(fact, f"{names[sid]}: {status_text(fact, today, tr)}")
    for subject in who:
        kin = {subject.id, *(m.id for m in subject.members)}
        if not kin & latest.keys():
            none = (
                N_("No status recorded for {name} or its members yet.")
                if subject.members
                else N_("No status recorded for {name} yet.")
            )
            b.line(tr._(none).format(name=names[subject.id]))
    b.footer = _kst_footer(ctx)
    return b.build()


async def _anniversary_lines(ctx: Context, b: ReplyBuilder, facts: list[Fact], on: dt.date) -> None:
    await _lines(ctx, b, facts, lambda f: ctx.tr.anniversary(on.year - f.date.year) + ": ")


@declare(
    "today",
    "On this day: anniversaries of dated facts",
    Param("date", ParamKind.DATE, "a day like 2025-01-24 (default: today in KST)", required=False),
    same_for_everyone=True,
)
async def today(ctx: Context, date: dt.date | None = None) -> Reply:
    tr = ctx.tr
    on = date or ctx.today()
    month_days = [(on.month, on.day)]
    if anniversary_in(PartialDate(2000, 2, 29), on.year) == on and on.day == 28:
        month_days.append((2, 29))  # 29 February is remembered on the 28th in common years
    facts, total = await ctx.store.facts.facts_on_month_days(month_days, on.year, MAX_LINES)
    b = ReplyBuilder(title=tr._("On this day, {date}").format(date=tr.date(PartialDate.of(on))))
    await _anniversary_lines(ctx, b, facts, on)
    if not facts:
        b.line(
            tr._("Nothing recorded happened on {day} in earlier years.").format(
                day=tr.month_day(on)
            )
        )
    _more(tr, b, len(facts), total, N_("See /search for more."))
    b.footer = b.footer or _kst_footer(ctx)
    return b.build()


@declare(
    "upcoming",
    "Anniversaries and countdowns in the coming days",
    Param(
        "days",
        ParamKind.INTEGER,
        "how many days ahead, 1 to 366 (default 7)",
        required=False,
        minimum=1,
        maximum=366,
    ),
    same_for_everyone=True,
)
async def upcoming(ctx: Context, days: int = 7) -> Reply:
    tr = ctx.tr
    start = ctx.today()
    entries = await coming_up(ctx.store.facts, start, start + dt.timedelta(days=days - 1))
    names = await names_of_facts(ctx.core.resolver, [e[2] for e in entries], ctx.language)
    title = tr.ngettext(
        "Coming up in the next {n} day", "Coming up in the next {n} days", days
    ).format(n=tr.number(days))
    b = ReplyBuilder(title=title)
    for when, years, fact in entries[:MAX_LINES]:
        if years:
            label = tr.anniversary(years)
        else:
            label = tr._("D-day") if when == start else f"D-{(when - start).days}"
        text = f"{label}: {fact_text(fact, tr, names)}"
        b.fact(fact, text, when=PartialDate.of(when))
    if not entries:
        b.line(tr._("Nothing recorded falls in these days."))
    _more(tr, b, MAX_LINES, len(entries), N_("Ask for fewer days."))
    b.footer = b.footer or _kst_footer(ctx)
    return b.build()


async def coming_up(
    facts: FactStore, start: dt.date, end: dt.date
) -> list[tuple[dt.date, int, Fact]]:
    """(day, years, fact) from `start` to `end`: anniversaries (years since) and facts dated
    in those days (years 0, a countdown), soonest first; /upcoming and the website's home."""
    window = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    month_days = sorted({(d.month, d.day) for d in window} | {(2, 29)})
    candidates, _ = await facts.facts_on_month_days(month_days, end.year, 2000)
    entries: list[tuple[dt.date, int, Fact]] = []
    for fact in candidates:
        for year in {start.year, end.year}:
            when = anniversary_in(fact.date, year)
            if when is not None and start <= when <= end and when.year > fact.date.year:
                entries.append((when, when.year - fact.date.year, fact))
    for fact in await facts.facts_dated_between(start, end, MAX_LINES):
        when = fact.date.as_date()
        assert when is not None
        entries.append((when, 0, fact))
    entries.sort(key=lambda e: (e[0], e[1] > 0, e[2].id))
    return entries


@declare(
    "search",
    "Search every fact for words",
    Param("text", ParamKind.TEXT, "words to look for, e.g. Instagram likes", max_length=200),
    same_for_everyone=True,
)
async def search(ctx: Context, text: str) -> Reply:
    tr = ctx.tr
    facts = await ctx.store.search.search(text, MAX_LINES)
    b = ReplyBuilder(title=tr._("Search: {text}").format(text=shorten(text, 80)))
    await _lines(ctx, b, facts)
    if not facts:
        b.line(tr._("No fact matches every one of those words. Try fewer words, or a name."))
    b.footer = _kst_footer(ctx)
    return b.build()


@declare(
    "sources",
    "A fact in full, with every source",
    Param("fact", ParamKind.FACT, "the fact's number, as in #12"),
    same_for_everyone=True,
)
async def sources(ctx: Context, fact: Fact) -> Reply:
    tr = ctx.tr
    kind = tr.pgettext("fact kind", fact.kind.value)
    b = ReplyBuilder(title=tr._("Fact #{id}: {kind}").format(id=fact.id, kind=kind))
    await _lines(ctx, b, [fact])
    names = await names_of_facts(ctx.core.resolver, [fact], ctx.language)
    b.fields.append(Field(tr._("About"), tr._(", ").join(names[s.id] for s in fact.subjects)))
    for name, value in fact.details.items():
        label = tr.pgettext("detail", name.replace("_", " ").capitalize())
        b.fields.append(Field(label, detail_value(tr, name, value)))
    b.footer = _kst_footer(ctx)
    return b.build()


def fan_commands() -> list[Command]:
    """The read-only commands, in the order /help lists them."""
    return [help_command, start, milestone, release, status, today, upcoming, search, sources]
