-- The catalogue (issue 16): which artists a community follows from MusicBrainz, and which
-- subject each MusicBrainz id is, so a resync updates a subject instead of adding a twin.
-- (Facts keep their MusicBrainz id in their key: mb-rg-<id>, mb-birth-<id>, ...)
CREATE TABLE catalog_followed (
    mbid        TEXT    PRIMARY KEY,
    subject_id  INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    added_at    TEXT    NOT NULL,
    synced_at   TEXT
);

CREATE TABLE subject_mbids (
    mbid        TEXT    PRIMARY KEY,
    subject_id  INTEGER NOT NULL UNIQUE REFERENCES subjects(id) ON DELETE CASCADE
);
