"""What fans ask: help, milestones, releases, status, on this day, upcoming, search, sources."""

from __future__ import annotations

import datetime as dt

from rapidfuzz import fuzz, process

from bot.commands import Command, Param, ParamKind, declare
from bot.context import Context
from bot.dates import anniversary_in, human, ordinal
from bot.errors import FanbotError
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
    help_ko="이름 (V, 태형, 뷔)",
)


def _kst_footer(ctx: Context) -> str:
    zone = "KST (Asia/Seoul)" if ctx.zone.key == "Asia/Seoul" else ctx.zone.key
    return f"Dates are {zone} calendar days."


def fact_text(fact: Fact) -> str:
    """The fact's sentence, plus the detail a fan would look for that it does not already say."""
    text = fact.summary
    extra: list[str] = []
    if fact.kind is FactKind.MILESTONE:
        extra.append(str(fact.detail("scope") or ""))
    elif fact.kind is FactKind.RELEASE:
        featured = fact.detail("featured") or []
        names = [str(n) for n in featured if str(n).casefold() not in text.casefold()]
        if names:
            extra.append("feat. " + ", ".join(names))
    for piece in extra:
        if piece and piece.casefold() not in text.casefold():
            text += f" — {piece}"
    return text


def _with_members(*subjects: Subject) -> list[int]:
    """A group answers for itself and its members (DESIGN: 'a group name answers for both')."""
    ids: list[int] = []
    for subject in subjects:
        for sid in (subject.id, *(m.id for m in subject.members)):
            if sid not in ids:
                ids.append(sid)
    return ids


def _who(subjects: tuple[Subject, ...]) -> str:
    if len(subjects) == 1 and subjects[0].members:
        return f"{subjects[0].name} and its members"
    return ", ".join(s.name for s in subjects)


def _names(subjects: tuple[Subject, ...]) -> str:
    return ", ".join(s.name for s in subjects)


def _more(builder: ReplyBuilder, shown: int, total: int, hint: str) -> None:
    """Say that a list was cut; `total` past `shown` + 1 is exact, shown + 1 means 'some'."""
    if total == shown + 1:
        builder.footer = f"Showing the first {shown}. {hint}"
    elif total > shown:
        builder.footer = f"…and {total - shown:,} more. {hint}"


@declare(
    "help",
    "What I can answer, and how to ask",
    Param("command", ParamKind.TEXT, "a command to explain", required=False),
)
async def help_command(ctx: Context, command: str | None = None) -> Reply:
    if command:
        found = ctx.core.registry.get((command.lstrip("/").split() or [""])[0])
        if found is None or not found.permits(ctx.roles):
            raise FanbotError(f"There is no command /{shorten(command, 40)} for you.")
        b = ReplyBuilder(title=found.usage)
        b.line(found.help)
        for p in found.params:
            b.fields.append(Field(p.metavar, p.help))
        return b.build()
    return _command_list(ctx, ReplyBuilder(title="fanbot — releases, records and member status"))


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
    b = ReplyBuilder(title="Welcome to fanbot")
    b.line(
        "Ask me about the releases, records and members' status of the artists you follow; "
        "every answer shows its sources."
    )
    return _command_list(ctx, b)


def _command_list(ctx: Context, b: ReplyBuilder) -> Reply:
    """Every command the caller may use, with its usage and one-line help."""
    for c in ctx.core.visible_commands(ctx.roles):
        b.line(f"{c.usage} — {c.help}")
    b.footer = "Names work in any form: V, Taehyung, 뷔. " + _kst_footer(ctx)
    return b.build()


@declare(
    "milestone",
    "Records and milestones of an artist, group or member",
    WHO,
    help_ko="기록과 마일스톤",
    name_ko="마일스톤",
    same_for_everyone=True,
)
async def milestone(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    facts = await ctx.store.facts.facts_about(
        _with_members(*who), FactKind.MILESTONE, MAX_LINES + 1
    )
    b = ReplyBuilder(title=f"Milestones of {_who(who)}")
    for fact in facts[:MAX_LINES]:
        b.fact(fact, fact_text(fact))
    if not facts:
        names = _names(who)
        b.line(f"No milestones recorded for {names} yet. Try /release {names} or /status {names}.")
    _more(b, MAX_LINES, len(facts), "Narrow it with /search.")
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
        help_ko="이름 또는 제목",
    ),
    help_ko="발매",
    name_ko="발매",
    same_for_everyone=True,
)
async def release(ctx: Context, who_or_title: str) -> Reply:
    resolver = ctx.core.resolver
    subjects = await _each_named(resolver, who_or_title)
    if subjects:
        facts = await ctx.store.facts.facts_about(
            _with_members(*subjects), FactKind.RELEASE, MAX_LINES + 1
        )
        b = ReplyBuilder(title=f"Releases of {_who(subjects)}")
        if not facts:
            b.line(f"No releases recorded for {_names(subjects)} yet.")
    else:
        facts = await ctx.store.facts.facts_with_release_title(who_or_title, MAX_LINES + 1)
        if not facts:
            if len(await resolver.find_ids(who_or_title)) > 1:
                await resolver.resolve(who_or_title)  # raises: lists who it could be
            titles = _similar(who_or_title, await ctx.store.facts.release_titles())
            labels = await resolver.suggest_labels(who_or_title)
            raise FanbotError(
                f"I know no release or artist called “{shorten(who_or_title, 60)}”.",
                suggestions=tuple([*titles, *labels][:SUGGESTIONS]),
            )
        b = ReplyBuilder(title=f"Releases: {shorten(who_or_title, 80)}")
    for fact in facts[:MAX_LINES]:
        b.fact(fact, fact_text(fact))
    _more(b, MAX_LINES, len(facts), "Narrow it with /search.")
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


def status_text(fact: Fact, today: dt.date) -> str:
    state = str(fact.detail("state") or fact.summary)
    back = _back_on(fact, today)
    if back is not None:  # the expected end has come: active again from that day
        return f"active again since {human(PartialDate.of(back))} (after {state})"
    parts = [state + _when_seen(fact)]
    if fact.detail("unit"):
        parts.append(str(fact.detail("unit")))
    honours = fact.detail("honours") or []
    if honours:
        parts.append("honours: " + ", ".join(str(h) for h in honours))
    until = fact.detail("until")
    if until:
        try:
            until_date = PartialDate.parse(str(until))
            parts.append("expected back " + human(until_date))
        except ValueError:
            parts.append(f"until {until}")
    if fact.detail("note"):
        parts.append(str(fact.detail("note")))
    return "; ".join(parts)


def _when_seen(fact: Fact) -> str:
    """ " since 1 June 2026" for a known start; " as of …" for the day a source saw it."""
    for name, label in (("since", "since"), ("as_of", "as of")):
        try:
            return f" {label} {human(PartialDate.parse(str(fact.detail(name))))}"
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
    help_ko="현재 활동 상태",
    name_ko="상태",
    same_for_everyone=True,
)
async def status(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    ids = _with_members(*who)
    facts = await ctx.store.facts.latest_about(ids, FactKind.STATUS)
    names = {s.id: s.name for subject in who for s in (subject, *subject.members)}
    latest: dict[int, Fact] = {}
    for fact in facts:  # newest first: the first seen per subject is its current status
        for ref in fact.subjects:
            if ref.id in names and ref.id not in latest:
                latest[ref.id] = fact
    b = ReplyBuilder(title=f"Status of {_who(who)}")
    today = ctx.today()
    for sid in ids[:MAX_LINES]:
        fact = latest.get(sid)
        if fact is not None:
            b.fact(fact, f"{names[sid]}: {status_text(fact, today)}")
    for subject in who:
        family = {subject.id, *(m.id for m in subject.members)}
        if not family & latest.keys():
            members = " or its members" if subject.members else ""
            b.line(f"No status recorded for {subject.name}{members} yet.")
    b.footer = _kst_footer(ctx)
    return b.build()


def _anniversary_lines(b: ReplyBuilder, facts: list[Fact], on: dt.date) -> None:
    for fact in facts:
        years = on.year - fact.date.year
        b.fact(fact, f"{ordinal(years)} anniversary: {fact_text(fact)}")


@declare(
    "today",
    "On this day: anniversaries of dated facts",
    Param("date", ParamKind.DATE, "a day like 2025-01-24 (default: today in KST)", required=False),
    help_ko="오늘의 기념일",
    name_ko="오늘",
    same_for_everyone=True,
)
async def today(ctx: Context, date: dt.date | None = None) -> Reply:
    on = date or ctx.today()
    month_days = [(on.month, on.day)]
    if anniversary_in(PartialDate(2000, 2, 29), on.year) == on and on.day == 28:
        month_days.append((2, 29))  # 29 February is remembered on the 28th in common years
    facts, total = await ctx.store.facts.facts_on_month_days(month_days, on.year, MAX_LINES)
    b = ReplyBuilder(title=f"On this day, {human(PartialDate.of(on))}")
    _anniversary_lines(b, facts, on)
    if not facts:
        b.line(f"Nothing recorded happened on {human(PartialDate.of(on))[:-5]} in earlier years.")
    _more(b, len(facts), total, "See /search for more.")
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
    help_ko="다가오는 기념일",
    name_ko="예정",
    same_for_everyone=True,
)
async def upcoming(ctx: Context, days: int = 7) -> Reply:
    start = ctx.today()
    entries = await coming_up(ctx.store.facts, start, start + dt.timedelta(days=days - 1))
    b = ReplyBuilder(title=f"Coming up in the next {days} day{'s' if days != 1 else ''}")
    for when, years, fact in entries[:MAX_LINES]:
        if years:
            text = f"{ordinal(years)} anniversary: {fact_text(fact)}"
        else:
            text = f"{'D-day' if when == start else f'D-{(when - start).days}'}: {fact_text(fact)}"
        b.fact(fact, text, when=PartialDate.of(when))
    if not entries:
        b.line("Nothing recorded falls in these days.")
    _more(b, MAX_LINES, len(entries), "Ask for fewer days.")
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
    help_ko="검색",
    name_ko="검색",
    same_for_everyone=True,
)
async def search(ctx: Context, text: str) -> Reply:
    facts = await ctx.store.facts.search(text, MAX_LINES)
    b = ReplyBuilder(title=f"Search: {shorten(text, 80)}")
    for fact in facts:
        b.fact(fact, fact_text(fact))
    if not facts:
        b.line("No fact matches every one of those words. Try fewer words, or a name.")
    b.footer = _kst_footer(ctx)
    return b.build()


@declare(
    "sources",
    "A fact in full, with every source",
    Param("fact", ParamKind.FACT, "the fact's number, as in #12"),
    help_ko="출처",
    name_ko="출처",
    same_for_everyone=True,
)
async def sources(ctx: Context, fact: Fact) -> Reply:
    b = ReplyBuilder(title=f"Fact #{fact.id}: {fact.kind.value}")
    b.fact(fact, fact_text(fact))
    b.fields.append(Field("About", ", ".join(s.name for s in fact.subjects)))
    for name, value in fact.details.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        b.fields.append(Field(name.replace("_", " ").capitalize(), shown))
    b.footer = _kst_footer(ctx)
    return b.build()


def fan_commands() -> list[Command]:
    """The read-only commands, in the order /help lists them."""
    return [help_command, start, milestone, release, status, today, upcoming, search, sources]
