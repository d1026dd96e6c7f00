-- A counter every change to names (subjects, aliases, memberships) bumps, whoever makes it:
-- a running bot reads it (a microsecond) when the file changed, so it rebuilds its name index
-- exactly when names changed, not after every write of any kind.
CREATE TABLE names_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO names_version VALUES (1, 0);
CREATE TRIGGER subjects_inserted AFTER INSERT ON subjects
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER subjects_updated AFTER UPDATE ON subjects
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER subjects_deleted AFTER DELETE ON subjects
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER aliases_inserted AFTER INSERT ON aliases
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER aliases_updated AFTER UPDATE ON aliases
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER aliases_deleted AFTER DELETE ON aliases
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER memberships_inserted AFTER INSERT ON memberships
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER memberships_updated AFTER UPDATE ON memberships
BEGIN UPDATE names_version SET version = version + 1; END;
CREATE TRIGGER memberships_deleted AFTER DELETE ON memberships
BEGIN UPDATE names_version SET version = version + 1; END;
