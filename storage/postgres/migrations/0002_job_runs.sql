-- Once-a-day jobs (the catalogue's resync) across processes (issue 20): every `fanbot run`
-- schedules them, and the first to claim (job, local day) runs it; the others skip that day.
-- A claimant that dies mid-run leaves the day to the next one: a missed resync only delays
-- freshness, and what was synced is in the store, not in the job.
CREATE TABLE job_runs (
    job         TEXT NOT NULL,
    day         TEXT NOT NULL,  -- YYYY-MM-DD in FANBOT_TIMEZONE
    owner       TEXT NOT NULL,  -- the process that ran it
    started_at  TEXT NOT NULL,  -- UTC
    PRIMARY KEY (job, day)
);
