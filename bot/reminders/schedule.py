"""APScheduler drives the reminders; the store stays the source of truth.

One job wakes at the next instant any subscription is due (a trigger that asks
`timing.next_due` for each distinct time and zone, so clock changes are handled in one place),
plus a catch-up job every few minutes that resumes failed posts within the grace period. The
trigger is rebuilt from the store at start and whenever a subscription changes. Both jobs only
call `Reminders.tick()`, which runs one at a time in a process and claims each post in the
store, so 10,000 chats sharing 09:00 cost one tick, and a job firing twice, late or early, or
in two processes, never posts twice.

The trigger reads the runner's clock, not the wall clock alone: what is due is decided by the
same clock that `tick()` asks (the system clock in `fanbot run`; a test's shifted clock makes a
09:00 KST of another year come in two seconds). `stop()` lets a running job finish (APScheduler's
asyncio executor would cancel it mid-write), so leaving right after `/subscribe` is quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterable
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.reminders.runner import Reminders
from bot.reminders.timing import next_due

log = logging.getLogger(__name__)

CATCH_UP_EVERY = dt.timedelta(minutes=5)
DUE_JOB = "due"
STOP_WAIT = 10.0  # seconds a running job may take to finish when fanbot stops


class DueTrigger(BaseTrigger):
    """Fires at the next instant any of these (time, zone) pairs is due on `clock`.

    APScheduler passes its own `now` (the wall clock); the difference to `clock` maps a due
    instant on the clock to the wall-clock instant the job must run at.
    """

    __slots__ = ("times", "clock")

    def __init__(self, times: Iterable[tuple[dt.time, str]], clock: Clock | None = None):
        self.times = tuple(sorted(set(times)))
        self.clock = clock or SystemClock()

    def get_next_fire_time(self, previous_fire_time, now):
        if not self.times:
            return None
        offset = self.clock.now() - now
        after = previous_fire_time if previous_fire_time is not None else now
        after = max(after, now - dt.timedelta(seconds=1)) + offset
        return min(next_due(after, at, ZoneInfo(zone))[1] for at, zone in self.times) - offset

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
        self._running: set[asyncio.Task[object]] = set()  # jobs under way, for stop()
        self._stopping = False
        reminders.store.subscriptions.listeners.append(self.rebuild_soon)

    async def start(self) -> None:
        posted = await self.reminders.tick()  # what was missed while fanbot was down
        if posted:
            log.info("posted %s digest(s) missed while fanbot was not running", posted)
        self.scheduler.start()
        self.scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.catch_up_every.total_seconds()),
            id="catch-up",
            name="reminders catch-up",
        )
        await self.rebuild()

    @contextlib.asynccontextmanager
    async def _job(self) -> AsyncIterator[None]:
        """Count a job as running, so stop() can wait for it; quiet if stop() had to cancel it."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.warning(
                "stopped a reminder job that ran past %.0f s; it resumes next start", STOP_WAIT
            )
        finally:
            self._running.discard(task)

    async def _tick(self) -> None:
        async with self._job():
            await self.reminders.tick()

    async def _rebuild(self) -> None:
        async with self._job():
            await self.rebuild()

    async def rebuild(self) -> None:
        """The due job's trigger, from the times and zones of the active subscriptions."""
        subscriptions = await self.reminders.store.subscriptions.active()
        trigger = DueTrigger(((sub.at, sub.zone) for sub in subscriptions), self.reminders.clock)
        if self.scheduler.get_job(DUE_JOB) is not None:
            self.scheduler.remove_job(DUE_JOB)
        if trigger.times:
            self.scheduler.add_job(self._tick, trigger, id=DUE_JOB, name="reminders due")
        log.info(
            "reminders: %s subscription(s) at %s distinct time(s)",
            len(subscriptions),
            len(trigger.times),
        )

    def rebuild_soon(self) -> None:
        """A subscription changed: rebuild the trigger on the loop (called from the store)."""
        if self.scheduler.running:
            self.scheduler.add_job(
                self._rebuild, id="rebuild", name="reminders rebuild", replace_existing=True
            )

    async def stop(self, wait: float = STOP_WAIT) -> None:
        """Start no job from now on, let the running ones finish (up to `wait` s), shut down.

        A job still running then is cancelled quietly: its claims run out with their lease and
        the next start resumes the post at its first page not recorded.
        """
        listeners = self.reminders.store.subscriptions.listeners
        if self.rebuild_soon in listeners:
            listeners.remove(self.rebuild_soon)
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=wait)
        self._stopping = True
        self.scheduler.shutdown(wait=False)
        # The executor cancelled what was left; let those tasks end before the store closes.
        leftover = [task for task in self._running if not task.done()]
        if leftover:
            await asyncio.wait(leftover)
