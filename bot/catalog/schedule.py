"""The daily resync at FANBOT_CATALOG_SYNC_TIME (in FANBOT_TIMEZONE): off when unset.

One APScheduler job calls `sync_all`; the store, not the job, holds what was synced, so a
run that fires late or is skipped only delays freshness. Every `fanbot run` schedules it, and
the first process to claim the day in the store runs it (storage.jobs): one resync a day
whatever the number of processes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.catalog.records import CatalogSetup
from bot.catalog.sync import SyncReport, sync_all
from bot.clock import Clock
from bot.errors import FanbotError
from storage.store import Store

log = logging.getLogger(__name__)
JOB = "catalog-sync"


class CatalogSchedule:
    def __init__(
        self, store: Store, setup: CatalogSetup, clock: Clock, zone: ZoneInfo, at: dt.time
    ):
        self.store, self.setup, self.clock, self.zone, self.at = store, setup, clock, zone, at
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )

    def start(self) -> None:
        self.scheduler.start()
        trigger = CronTrigger(hour=self.at.hour, minute=self.at.minute, timezone=self.zone)
        self.scheduler.add_job(self.run, trigger, id=JOB)
        log.info("catalogue: daily sync at %s %s", self.at.strftime("%H:%M"), self.zone.key)

    def next_run(self) -> dt.datetime | None:
        job = self.scheduler.get_job(JOB)
        return job.next_run_time if job else None

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def run(self) -> list[tuple[str, SyncReport | FanbotError]]:
        """Today's resync of every followed artist, unless another process claimed the day;
        one line per artist in the log."""
        now = self.clock.now()
        day = now.astimezone(self.zone).date()
        if not await self.store.jobs.claim(JOB, day, self.owner, now):
            by = await self.store.jobs.owner(JOB, day)
            log.info("catalogue: the resync of %s runs in another process (%s)", day, by)
            return []
        results = await sync_all(
            self.store, self.setup.source, now, self.zone, self.setup.secondary_types
        )
        failed = sum(not isinstance(r, SyncReport) for _, r in results)
        log.info("catalogue: synced %d artist(s), %d failed", len(results) - failed, failed)
        return results
