"""/birthday: what fans celebrate most, answered from the birth dates the catalogue imports."""

from __future__ import annotations

from bot.commands import Command, declare
from bot.context import Context
from bot.dates import anniversary_in
from bot.fan_commands import WHO
from bot.replies import Reply, ReplyBuilder
from storage.models import Fact, FactKind, Subject

BIRTH = "birth"  # the `what` of a birth fact (the catalogue's mb-birth-<id> facts)


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
    help_ko="생일",
    name_ko="생일",
    same_for_everyone=False,  # "in N days" depends on today
)
async def birthday(ctx: Context, who: tuple[Subject, ...]) -> Reply:
    ids = _people(who)
    facts = await ctx.store.facts.facts_about(ids, FactKind.EVENT, limit=1000)
    births = sorted((f for f in facts if f.detail("what") == BIRTH), key=_calendar_order)
    names = ", ".join(s.name for s in who)
    b = ReplyBuilder(title=f"Birthdays: {names}")
    today = ctx.today()
    for fact in births:
        person = fact.subjects[0].name if fact.subjects else fact.summary
        text = f"{person}'s birthday"
        next_day = anniversary_in(fact.date, today.year)
        if next_day is not None and next_day < today:
            next_day = anniversary_in(fact.date, today.year + 1)
        if next_day == today:
            text += " — today!"
        elif next_day is not None:
            text += f" — D-{(next_day - today).days}"
        b.fact(fact, text)
    if not births:
        b.line(f"No birthday recorded for {names} yet.")
    return b.build()


def catalog_commands() -> list[Command]:
    return [birthday]
