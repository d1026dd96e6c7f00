"""APScheduler drives the reminders; the store stays the source of truth.

One job wakes at the next instant any subscription is due (a trigger that asks
`timing.next_due` for each distinct time and zone, so clock changes are handled in one place),
plus a catch-up job every few minutes that resumes failed posts within the grace period. The
trigger is rebuilt from the store at start and whenever a subscription changes. Both jobs only
call `Reminders.tick()`, which runs one at a time in a process and claims each post in the
store, so 10,000 chats sharing 09:00 cost one tick, and a job firing twice, late or early, or
in two processes, never posts twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.reminders.runner import Reminders
from bot.reminders.timing import next_due

log = logging.getLogger(__name__)

CATCH_UP_EVERY = dt.timedelta(minutes=5)
DUE_JOB = "due"


class DueTrigger(BaseTrigger):
    """Fires at the next instant any of these (time, zone) pairs is due."""

    __slots__ = ("times",)

    def __init__(self, times: Iterable[tuple[dt.time, str]]):
        self.times = tuple(sorted(set(times)))

    def get_next_fire_time(self, previous_fire_time, now):
        if not self.times:
            return None
        after = previous_fire_time if previous_fire_time is not None else now
        after = max(after, now - dt.timedelta(seconds=1))
        return min(next_due(after, at, ZoneInfo(zone))[1] for at, zone in self.times)

    def __str__(self) -> str:
        return f"daily at {len(self.times)} time(s)"


class ReminderScheduler:
    def __init__(self, reminders: Reminders, *, catch_up_every: dt.timedelta = CATCH_UP_EVERY):
        self.reminders = reminders
        self.catch_up_every = catch_up_every
        self.scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={
                # A job that fires late still runs within the posts' grace period; the ledger,
                # not the scheduler, decides what is posted.
                "misfire_grace_time": int(reminders.grace.total_seconds()),
                "coalesce": True,  # runs missed while the loop was busy collapse into one
                "max_instances": 1,
            },
        )
        reminders.store.subscriptions.listeners.append(self.rebuild_soon)

    async def start(self) -> None:
        posted = await self.reminders.tick()  # what was missed while fanbot was down
        if posted:
            log.info("posted %s digest(s) missed while fanbot was not running", posted)
        self.scheduler.start()
        self.scheduler.add_job(
            self.reminders.tick,
            IntervalTrigger(seconds=self.catch_up_every.total_seconds()),
            id="catch-up",
        )
        await self.rebuild()

    async def rebuild(self) -> None:
        """The due job's trigger, from the times and zones of the active subscriptions."""
        subscriptions = await self.reminders.store.subscriptions.active()
        trigger = DueTrigger((sub.at, sub.zone) for sub in subscriptions)
        if self.scheduler.get_job(DUE_JOB) is not None:
            self.scheduler.remove_job(DUE_JOB)
        if trigger.times:
            self.scheduler.add_job(self.reminders.tick, trigger, id=DUE_JOB)
        log.info(
            "reminders: %s subscription(s) at %s distinct time(s)",
            len(subscriptions),
            len(trigger.times),
        )

    def rebuild_soon(self) -> None:
        """A subscription changed: rebuild the trigger on the loop (called from the store)."""
        if self.scheduler.running:
            self.scheduler.add_job(self.rebuild, id="rebuild", replace_existing=True)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        listeners = self.reminders.store.subscriptions.listeners
        if self.rebuild_soon in listeners:
            listeners.remove(self.rebuild_soon)
