-- Reminder subscriptions (one per chat) and the delivery ledger that makes posts exactly-once:
-- a (subscription, local date) row is written only after the platform accepted the post.
CREATE TABLE subscriptions (
    id          INTEGER PRIMARY KEY,
    chat_ref    INTEGER NOT NULL UNIQUE REFERENCES chats(id) ON DELETE CASCADE,
    at_time     TEXT    NOT NULL,               -- HH:MM, local to zone
    zone        TEXT    NOT NULL,               -- an IANA name
    subjects    TEXT    NOT NULL DEFAULT '[]',  -- JSON array of subject ids; [] = every subject
    active      INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    created_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    local_date      TEXT    NOT NULL,           -- YYYY-MM-DD in the subscription's zone
    delivered_at    TEXT    NOT NULL,
    chat_id         TEXT    NOT NULL,
    message_ids     TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (subscription_id, local_date)
) WITHOUT ROWID;
