"""The daily resync at FANBOT_CATALOG_SYNC_TIME (in FANBOT_TIMEZONE): off when unset.

One APScheduler job calls `sync_all`; the store, not the job, holds what was synced, so a
run that fires late or is skipped only delays freshness.
"""

from __future__ import annotations

import datetime as dt
import logging
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
        """One resync of every followed artist; one line per artist in the log."""
        results = await sync_all(
            self.store, self.setup.source, self.clock.now(), self.zone, self.setup.secondary_types
        )
        failed = sum(not isinstance(r, SyncReport) for _, r in results)
        log.info("catalogue: synced %d artist(s), %d failed", len(results) - failed, failed)
        return results
