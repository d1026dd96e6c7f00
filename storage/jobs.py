"""Once-a-day jobs shared by several processes: a unique row per (job, day) says who runs it."""

from __future__ import annotations

import datetime as dt

from storage.backend import Database


class JobRuns:
    """The first process to claim a job's day runs it; the rest are told no, in any engine."""

    def __init__(self, db: Database):
        self.db = db

    async def claim(self, job: str, day: dt.date, owner: str, at: dt.datetime) -> bool:
        async with self.db.transaction() as ex:
            added = await ex.execute(
                "INSERT INTO job_runs(job, day, owner, started_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(job, day) DO NOTHING",
                (job, day.isoformat(), owner, at.astimezone(dt.UTC).isoformat(timespec="seconds")),
            )
        return added == 1

    async def owner(self, job: str, day: dt.date) -> str | None:
        row = await self.db.fetchone(
            "SELECT owner FROM job_runs WHERE job = ? AND day = ?", (job, day.isoformat())
        )
        return str(row[0]) if row else None
