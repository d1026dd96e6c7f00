"""Commands of the reminders feature: subscribe, subscriptions, unsubscribe, preview.

A chat has at most one subscription; subscribing again changes it. Chat administrators manage
it (Discord: Manage Server; Telegram: group administrators); anyone may look and preview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.chats.language import describe as describe_language
from bot.commands import Command, Param, ParamKind, Role, declare
from bot.context import Context
from bot.errors import FanbotError
from bot.fact_text import local_names, names_of_facts
from bot.i18n import N_
from bot.reminders.digest import MAX_LINES, day_items, digest
from bot.reminders.runner import expand
from bot.reminders.timing import next_due
from bot.replies import Reply, ReplyBuilder
from bot.zones import describe_zone
from storage.models import PartialDate, Subject
from storage.subscriptions import Subscription

DEFAULT_TIME = dt.time(9, 0)
CHAT_ADMINS = frozenset({Role.CHAT_ADMIN})


async def _describe(ctx: Context, sub: Subscription) -> list[str]:
    """When and about whom a subscription posts, in the reader's language (names as 뷔)."""
    tr = ctx.tr
    names = tr._("every artist")
    if sub.subject_ids:
        subjects = await ctx.store.facts.subjects(list(sub.subject_ids))
        local = await local_names(ctx.core.resolver, subjects, ctx.language)
        names = tr._(", ").join(local[s.id] for s in subjects)
    day, due = next_due(ctx.clock.now(), sub.at, ZoneInfo(sub.zone))
    when = due.astimezone(ZoneInfo(sub.zone))
    lines = [
        tr.fill(
            N_("Every day at {time} {zone}, about {names}."),
            time=f"{sub.at:%H:%M}",
            zone=tr.zone(sub.zone),
            names=names,
        ),
        tr.fill(
            N_("Next: {date} at {time}, if anything falls on that day."),
            date=tr.date(PartialDate.of(day)),
            time=f"{when:%H:%M}",
        ),
    ]
    if not sub.active:
        lines.append(
            tr.fill(
                N_(
                    "Paused: {reason}. It resumes once fanbot can post here again (add it back, "
                    "or use any command here); /subscribe resumes it too."
                ),
                reason=sub.inactive_reason or tr._("the chat is gone"),
            )
        )
    return lines


@declare(
    "subscribe",
    "Post what each day means for your artists here, every day at your hour",
    Param(
        "time", ParamKind.TIME, "when to post, e.g. 09:00 or 8pm (default 09:00)", required=False
    ),
    Param(
        "zone",
        ParamKind.TIMEZONE,
        "a zone: America/New_York, KST, JST, UTC… (default: the bot's, KST unless set)",
        required=False,
    ),
    Param(
        "subjects",
        ParamKind.SUBJECT,
        "whom to follow, e.g. “V, IU” (default: everyone)",
        required=False,
        many=True,
        suggest="subjects",
    ),
    allowed=CHAT_ADMINS,
    writes=True,
)
async def subscribe(
    ctx: Context,
    time: dt.time | None = None,
    zone: ZoneInfo | None = None,
    subjects: tuple[Subject, ...] = (),
) -> Reply:
    sub = await ctx.store.subscriptions.put(
        ctx.chat.platform,
        ctx.chat.id,
        ctx.chat.kind,
        ctx.chat.title,
        time or DEFAULT_TIME,
        (zone or ctx.zone).key,
        tuple(s.id for s in subjects),
        f"{ctx.caller.platform}:{ctx.caller.user_id}",
        ctx.clock.now(),
    )
    tr = ctx.tr
    b = ReplyBuilder(title=tr._("Subscribed"))
    for line in await _describe(ctx, sub):
        b.line(line)
    zone_text = describe_zone(ZoneInfo(sub.zone), ctx.clock.now(), tr)
    b.line(tr._("Time zone: {zone}.").format(zone=zone_text))
    b.line(tr._("Days with nothing to say get no post. /preview shows what a day would bring."))
    return b.build()


@declare(
    "subscriptions",
    "This chat's daily reminders: when, in which time zone, about whom",
)
async def subscriptions(ctx: Context) -> Reply:
    sub = await ctx.store.subscriptions.for_chat(ctx.chat.platform, ctx.chat.id)
    tr = ctx.tr
    b = ReplyBuilder(title=tr._("Daily reminders here"))
    if sub is None:
        b.line(
            tr._("None. A chat admin can start them with {usage}.").format(
                usage=subscribe.usage_in(tr)
            )
        )
    else:
        for line in await _describe(ctx, sub):
            b.line(line)
    chosen = await ctx.core.watch.chat_language(*_where(ctx))
    b.line(describe_language(ctx.tr, chosen, ctx.core.language))
    return b.build()


def _where(ctx: Context) -> tuple[str, str]:
    return ctx.chat.platform, ctx.chat.id


@declare(
    "unsubscribe",
    "Stop this chat's daily reminders",
    allowed=CHAT_ADMINS,
    writes=True,
)
async def unsubscribe(ctx: Context) -> Reply:
    if not await ctx.store.subscriptions.remove(ctx.chat.platform, ctx.chat.id):
        raise FanbotError(N_("This chat has no daily reminders to stop."))
    b = ReplyBuilder(title=ctx.tr._("Unsubscribed"))
    b.line(ctx.tr._("No more daily posts here. /subscribe starts them again."))
    return b.build()


@declare(
    "preview",
    "What this chat's daily post would say on a day",
    Param("date", ParamKind.DATE, "a day like 2025-01-24 (default: today)", required=False),
)
async def preview(ctx: Context, date: dt.date | None = None) -> Reply:
    tr = ctx.tr
    sub = await ctx.store.subscriptions.for_chat(ctx.chat.platform, ctx.chat.id)
    zone = sub.zone if sub else ctx.zone.key
    on = date or ctx.clock.now().astimezone(ZoneInfo(zone)).date()
    subject_ids = sub.subject_ids if sub else ()
    day = await day_items(ctx.store.facts, on)
    chosen = await expand(ctx.store, subject_ids)
    # Names in the reader's language from the name index (no database trip, unlike a digest
    # posted by the scheduler, which has no resolver at hand).
    facts = [item.fact for item in day.about(chosen)[:MAX_LINES]]
    names = await names_of_facts(ctx.core.resolver, facts, ctx.language)
    reply = digest(day, chosen, tr=tr, names=names, zone=zone)
    note = ""
    if sub is None:
        note = tr._(" (no subscription here yet: every artist, {zone})").format(zone=tr.zone(zone))
    if reply is None:
        b = ReplyBuilder(title=tr._("Nothing on {date}").format(date=tr.date(PartialDate.of(on))))
        nothing = tr._("Nothing falls on that day{note}, so there would be no post.")
        b.line(nothing.format(note=note))
        return b.build()
    if not note:
        return reply
    return replace(reply, footer=f"{reply.footer} " + tr._("Preview{note}.").format(note=note))


def reminder_commands() -> list[Command]:
    return [subscribe, subscriptions, unsubscribe, preview]
