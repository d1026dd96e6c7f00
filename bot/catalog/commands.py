"""/birthday: what fans celebrate most, answered from the birth dates the catalogue imports."""

from __future__ import annotations

from bot.catalog.records import MBID, CatalogSetup
from bot.catalog.sync import SyncReport, sync_all, sync_artist
from bot.commands import Command, Param, ParamKind, Role, declare
from bot.context import Context
from bot.dates import anniversary_in
from bot.errors import FanbotError
from bot.fact_text import local_names, names_of_facts
from bot.fan.commands import WHO
from bot.i18n import N_, Translator
from bot.replies import Choice, Reply, ReplyBuilder
from bot.text import shorten
from storage.models import BIRTH, Fact, FactKind, Subject


def _people(subjects: tuple[Subject, ...]) -> list[int]:
    """A person answers for themselves; a group for its members."""
    ids: list[int] = []
    for subject in subjects:
        for sid in [m.id for m in subject.members] or [subject.id]:
            if sid not in ids:
                ids.append(sid)
    return ids


def _calendar_order(fact: Fact) -> tuple[int, int, int]:
    return (fact.date.month or 13, fact.date.day or 32, fact.date.year)


@declare(
    "birthday",
    "A person's birthday, or a group's members' birthdays in calendar order",
    WHO,
    same_for_everyone=True,  # the day is part of what a kept answer is kept for
)
async def birthday(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    tr = ctx.tr
    ids = _people(who)
    facts = await ctx.store.facts.facts_about(ids, FactKind.EVENT, limit=1000)
    births = sorted((f for f in facts if f.detail("what") == BIRTH), key=_calendar_order)
    asked = await local_names(ctx.core.resolver, who, ctx.language)
    names = tr._(", ").join(asked[s.id] for s in who)
    people = await names_of_facts(ctx.core.resolver, births, ctx.language)
    b = ReplyBuilder(title=tr._("Birthdays: {names}").format(names=names))
    today = ctx.today()
    for fact in births:
        person = people[fact.subjects[0].id] if fact.subjects else fact.summary
        next_day = anniversary_in(fact.date, today.year)
        if next_day is not None and next_day < today:
            next_day = anniversary_in(fact.date, today.year + 1)
        if next_day == today:
            text = tr.fill(N_("{name}'s birthday — today!"), name=person)
        elif next_day is not None:
            days = (next_day - today).days
            text = tr.fill(N_("{name}'s birthday — D-{days}"), name=person, days=days)
        else:
            text = tr.fill(N_("{name}'s birthday"), name=person)
        b.fact(fact, text)
    if not births:
        b.line(tr.fill(N_("No birthday recorded for {names} yet."), names=names))
    return b.build()


CATALOG_ACTIONS = ("add", "list", "remove", "sync")


def _setup(ctx: Context) -> CatalogSetup:
    if ctx.core.catalog is None:
        raise FanbotError(
            N_(
                "The catalogue is off: FANBOT_CONTACT is not set. MusicBrainz asks every client "
                "for a way to reach its operator; set it in .env and restart fanbot."
            )
        )
    return ctx.core.catalog


def _report_lines(b: ReplyBuilder, report: SyncReport, tr: Translator) -> None:
    b.line(report.line(tr))
    for note in report.notes:
        b.line(tr._("Note: {note}").format(note=note.text(tr)))


@declare(
    "catalog",
    "Follow artists from MusicBrainz: add NAME or MBID, list, remove, sync (bot admins only)",
    Param("action", ParamKind.CHOICE, "add, list, remove or sync", choices=CATALOG_ACTIONS),
    Param(
        "artist",
        ParamKind.TEXT,
        "a name to search, or a MusicBrainz id (add, remove)",
        required=False,
    ),
    allowed=frozenset({Role.BOT_ADMIN}),
    writes=True,
)
async def catalog(ctx: Context, action: str, artist: str | None = None) -> Reply:
    store = ctx.store
    tr = ctx.tr
    if action == "list":
        followed = await store.catalog.followed()
        b = ReplyBuilder(title=tr._("Followed on MusicBrainz"))
        for f in followed:
            when = f.synced_at.strftime("%Y-%m-%d %H:%M UTC") if f.synced_at else tr._("never")
            b.line(
                tr._("{name} ({mbid}), last synced {when}").format(
                    name=f.name, mbid=f.mbid, when=when
                )
            )
        if not followed:
            b.line(tr._("No artist yet. /catalog add NAME searches MusicBrainz."))
        return b.build()
    if action == "remove":
        found = await store.catalog.find(artist or "")
        if len(found) != 1:
            names = [f.name for f in await store.catalog.followed()]
            raise FanbotError(
                N_("Say which followed artist to remove; followed: {names}."),
                names=lambda tr: tr._(", ").join(names) or tr._("none"),
            )
        await store.catalog.unfollow(found[0].mbid)
        b = ReplyBuilder(title=tr.fill(N_("No longer following {name}"), name=found[0].name))
        b.line(tr._("What was imported stays, with its sources."))
        return b.build()
    setup = _setup(ctx)
    if action == "sync":
        b = ReplyBuilder(title=tr._("Catalogue synced"))
        for name, result in await sync_all(
            store, setup.source, ctx.clock.now(), ctx.zone, setup.secondary_types
        ):
            if isinstance(result, SyncReport):
                _report_lines(b, result, tr)
            else:
                b.line(
                    tr._("{name}: not synced, left as it was: {reason}").format(
                        name=name, reason=result.text(tr)
                    )
                )
        return b.build()
    text = (artist or "").strip()
    if not text:
        raise FanbotError(N_("Say whom to add: /catalog add NAME (a search) or /catalog add MBID."))
    if not MBID.match(text.lower()):
        hits = await setup.source.search_artists(text)
        if not hits:
            raise FanbotError(
                N_("MusicBrainz knows no artist called “{name}”."), name=shorten(text, 60)
            )
        b = ReplyBuilder(
            title=tr.fill(N_("MusicBrainz artists called “{name}”"), name=shorten(text, 60))
        )
        for hit in hits:
            about = ", ".join(filter(None, [hit.type, hit.country, hit.disambiguation]))
            b.line(f"{hit.name}" + (f" ({about})" if about else "") + f": /catalog add {hit.mbid}")
            b.choices.append(Choice(hit.name, f"/catalog add {hit.mbid}", about))
        b.footer = tr._("Choose one (or send its /catalog add line) to follow it.")
        return b.build()
    report = await sync_artist(
        store, setup.source, text.lower(), ctx.clock.now(), ctx.zone, setup.secondary_types
    )
    b = ReplyBuilder(title=tr.fill(N_("Following {name}"), name=report.name))
    _report_lines(b, report, tr)
    return b.build()


def catalog_commands() -> list[Command]:
    return [birthday, catalog]
