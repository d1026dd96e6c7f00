-- Subjects (groups, soloists, members), their aliases in any script, group membership,
-- facts with their subjects and sources, and full-text search over facts.
CREATE TABLE subjects (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('group', 'soloist', 'member')),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE aliases (
    subject_id  INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    alias       TEXT    NOT NULL,
    norm        TEXT    NOT NULL,
    PRIMARY KEY (subject_id, alias)
);
CREATE INDEX aliases_by_norm ON aliases(norm);

CREATE TABLE memberships (
    group_id    INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX memberships_by_member ON memberships(member_id);

CREATE TABLE facts (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('release', 'milestone', 'status', 'event')),
    summary     TEXT    NOT NULL,
    year        INTEGER NOT NULL,
    month       INTEGER CHECK (month BETWEEN 1 AND 12),
    day         INTEGER CHECK (day BETWEEN 1 AND 31),
    details     TEXT    NOT NULL DEFAULT '{}',
    hidden      INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (day IS NULL OR month IS NOT NULL)
);
CREATE INDEX facts_by_month_day ON facts(month, day) WHERE hidden = 0;
CREATE INDEX facts_by_date ON facts(year, month, day) WHERE hidden = 0;

CREATE TABLE fact_subjects (
    fact_id     INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
    subject_id  INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject_id, fact_id)
) WITHOUT ROWID;
CREATE INDEX fact_subjects_by_fact ON fact_subjects(fact_id);

CREATE TABLE fact_sources (
    fact_id     INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    url         TEXT,
    publisher   TEXT,
    published   TEXT,
    PRIMARY KEY (fact_id, position)
) WITHOUT ROWID;

-- rowid = facts.id; kept in step by the store's writes (one place: Store._index_fact).
CREATE VIRTUAL TABLE facts_fts USING fts5(
    summary, details, names,
    tokenize = 'unicode61 remove_diacritics 2'
);
