-- The chats fanbot posts to, per platform. A Telegram group that becomes a supergroup keeps
-- its row (chat_id changes); a chat that removed or blocked the bot becomes inactive.
CREATE TABLE chats (
    id          INTEGER PRIMARY KEY,
    platform    TEXT    NOT NULL,
    chat_id     TEXT    NOT NULL,
    kind        TEXT    NOT NULL DEFAULT 'group',
    title       TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (platform, chat_id)
);
