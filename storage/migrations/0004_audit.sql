-- The admin issue (#6): every change to facts, subjects, aliases and editors, and the editors.
-- before/after hold JSON snapshots of the changed thing (NULL where it did not exist), so
-- /history can show the change and /undo can put the old value back.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,  -- ISO 8601 UTC, from the injected clock
    platform    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    user_name   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_kind TEXT    NOT NULL CHECK (target_kind IN ('fact', 'subject', 'editor')),
    target      TEXT    NOT NULL,  -- a fact id, a subject slug, or platform:user_id
    before      TEXT,
    after       TEXT,
    source      TEXT,              -- JSON: {title, url} of the source the change cites
    undoes      INTEGER REFERENCES audit_log(id),
    undone_by   INTEGER REFERENCES audit_log(id)
);
CREATE INDEX audit_by_target ON audit_log(target_kind, target, id);
CREATE INDEX audit_by_user ON audit_log(platform, user_id, id);

-- People a bot admin allowed to change facts, subjects and aliases.
CREATE TABLE editors (
    platform    TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    granted_by  TEXT    NOT NULL,
    granted_at  TEXT    NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;
