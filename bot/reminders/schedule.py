"""APScheduler drives the reminders; the store stays the source of truth.

One job per active subscription fires at its next due instant (a trigger that asks
`timing.next_due`, so clock changes are handled in one place), plus a catch-up job every few
minutes that retries failed posts within the grace period. Jobs are rebuilt from the store at
start and whenever a subscription changes. Each job only calls `Reminders.tick()`, which
consults the ledger, so a job firing twice, late or early never posts twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.reminders.runner import Reminders
from bot.reminders.timing import next_due

log = logging.getLogger(__name__)

CATCH_UP_EVERY = dt.timedelta(minutes=5)
JOB_PREFIX = "digest:"


class DigestTrigger(BaseTrigger):
    """Fires once a local day at the subscription's time in its zone."""

    __slots__ = ("at", "zone")

    def __init__(self, at: dt.time, zone: str):
        self.at = at
        self.zone = zone

    def get_next_fire_time(self, previous_fire_time, now):
        after = previous_fire_time if previous_fire_time is not None else now
        after = max(after, now - dt.timedelta(seconds=1))
        return next_due(after, self.at, ZoneInfo(self.zone))[1]

    def __str__(self) -> str:
        return f"daily at {self.at:%H:%M} {self.zone}"


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
        """One job per active subscription, from the store."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                job.remove()
        subscriptions = await self.reminders.store.subscriptions.active()
        for sub in subscriptions:
            self.scheduler.add_job(
                self.reminders.tick, DigestTrigger(sub.at, sub.zone), id=f"{JOB_PREFIX}{sub.id}"
            )
        log.info("reminders: %s subscription job(s) scheduled", len(subscriptions))

    def rebuild_soon(self) -> None:
        """A subscription changed: rebuild the jobs on the loop (called from the store)."""
        if self.scheduler.running:
            self.scheduler.add_job(self.rebuild, id="rebuild", replace_existing=True)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        listeners = self.reminders.store.subscriptions.listeners
        if self.rebuild_soon in listeners:
            listeners.remove(self.rebuild_soon)
