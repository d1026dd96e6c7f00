-- Daily posts exactly once across ticks, jobs and processes, and only the days a subscription
-- owes; statuses keep when a source saw them apart from when they began.

-- A (subscription, local date) is claimed before anything is sent: the row is unique, so a
-- second tick, job or process finds it taken. A claim a dead process held expires at
-- lease_until and may then be taken over; a delivered row is final.
CREATE TABLE deliveries_v10 (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    local_date      TEXT    NOT NULL,           -- YYYY-MM-DD in the subscription's zone
    state           TEXT    NOT NULL CHECK (state IN ('claimed', 'delivered')),
    claimed_by      TEXT,                       -- the process (Reminders instance) holding it
    lease_until     TEXT,                       -- UTC; a claim past it may be taken over
    delivered_at    TEXT,
    chat_id         TEXT,
    message_ids     TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (subscription_id, local_date)
) WITHOUT ROWID;
INSERT INTO deliveries_v10(subscription_id, local_date, state, delivered_at, chat_id, message_ids)
SELECT subscription_id, local_date, 'delivered', delivered_at, chat_id, message_ids
FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v10 RENAME TO deliveries;

-- Each page of a post once the platform answered for it: accepted (with its message id), or
-- unknown (the answer was lost after the request went out; never blindly resent). A retry
-- resumes at the first page with no row here.
CREATE TABLE delivery_pages (
    subscription_id INTEGER NOT NULL,
    local_date      TEXT    NOT NULL,
    page            INTEGER NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('accepted', 'unknown')),
    chat_id         TEXT    NOT NULL,
    message_id      TEXT,
    at              TEXT    NOT NULL,
    PRIMARY KEY (subscription_id, local_date, page),
    FOREIGN KEY (subscription_id, local_date)
        REFERENCES deliveries(subscription_id, local_date) ON DELETE CASCADE
) WITHOUT ROWID;

-- A subscription owes only the days whose due time came after it was made (or last changed).
ALTER TABLE subscriptions ADD COLUMN owed_from TEXT;
UPDATE subscriptions SET owed_from = updated_at;

-- A status read in an article says what a source saw that day ("as of"), not when it began.
-- Statuses with no start recorded keep that day as `as_of`; only a known start is celebrated.
UPDATE facts
SET details = json_set(details, '$.as_of', printf('%04d', year)
        || CASE WHEN month IS NULL THEN '' ELSE printf('-%02d', month) END
        || CASE WHEN day IS NULL THEN '' ELSE printf('-%02d', day) END)
WHERE kind = 'status' AND json_extract(details, '$.since') IS NULL
  AND json_extract(details, '$.as_of') IS NULL;
