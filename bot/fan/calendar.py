"""`/calendar [WHO]`: the address of a calendar feed, for a fan's phone or desktop calendar.

The website (adapters/web/) serves the feeds; this command only says where, from
FANBOT_PUBLIC_URL, so it is declared with that address rather than reaching for settings.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.commands import Command, Param, ParamKind, declare
from bot.context import Context
from bot.errors import FanbotError
from bot.fact_text import local_names
from bot.i18n import N_
from bot.replies import Reply, ReplyBuilder
from storage.models import Subject

ALL_FEED = "all"  # /calendar/all.ics: every artist


def feed_path(slug: str) -> str:
    """Where the website serves a feed: /calendar/iu.ics, /calendar/all.ics."""
    return f"/calendar/{quote(slug, safe='')}.ics"


def feed_addresses(public_url: str, slug: str) -> tuple[str, str]:
    """(webcal://…, https://…): the first opens a calendar app, the second is for pasting."""
    https = public_url.rstrip("/") + feed_path(slug)
    return "webcal://" + https.split("://", 1)[1], https


def calendar_command(public_url: str | None) -> Command:
    """The command, knowing the site's public address (None: the website is not set up)."""

    @declare(
        "calendar",
        "The calendar feed of an artist (or of everyone) for your phone's calendar",
        Param(
            "who",
            ParamKind.SUBJECT,
            "a name in any form: V, Taehyung, 뷔 (default: every artist)",
            required=False,
            many=True,
            suggest="subjects",
        ),
        same_for_everyone=True,
    )
    async def calendar(ctx: Context, who: tuple[Subject, ...] = ()) -> Reply:
        if public_url is None:
            raise FanbotError(
                N_(
                    "Calendar feeds are not set up on this bot: its operator sets "
                    "FANBOT_PUBLIC_URL (and FANBOT_WEB_PORT, or runs fanbot web)."
                )
            )
        tr = ctx.tr
        names = await local_names(ctx.core.resolver, who, ctx.language)
        wanted = [
            (tr._("{name} and its members") if s.members else "{name}", names[s.id], s.slug)
            for s in who
        ] or [("{name}", tr._("every artist"), ALL_FEED)]
        b = ReplyBuilder(title=tr._("Calendar feeds"))
        for label, name, slug in wanted:
            webcal, https = feed_addresses(public_url, slug)
            b.line(f"{label.format(name=name)}: {webcal}")
            b.line(tr._("or paste into your calendar: {url}").format(url=https))
        b.footer = tr._(
            "Birthdays, anniversaries and coming dates as all-day events, refreshed daily. "
            "Subscribe in Google Calendar (Other calendars → From URL), Apple Calendar or Outlook."
        )
        return b.build()

    return calendar
