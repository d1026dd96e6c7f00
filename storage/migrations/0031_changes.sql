-- One change signal (issue 19): a counter per part of the store (names, facts, chats) that
-- every write bumps, whoever makes it (this process, `fanbot admin`, an import, a sync). Caches
-- compare the part they depend on, read once whenever PRAGMA data_version moved. It replaces
-- names_version (migration 0009), which counted names alone, and every hand-kept generation.
-- PostgreSQL keeps the same table and delivers it by LISTEN/NOTIFY.
CREATE TABLE changes (
    part     TEXT PRIMARY KEY CHECK (part IN ('names', 'facts', 'chats')),
    version  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO changes SELECT 'names', version FROM names_version;
INSERT INTO changes VALUES ('facts', 0), ('chats', 0);

DROP TRIGGER subjects_inserted;
DROP TRIGGER subjects_updated;
DROP TRIGGER subjects_deleted;
DROP TRIGGER aliases_inserted;
DROP TRIGGER aliases_updated;
DROP TRIGGER aliases_deleted;
DROP TRIGGER memberships_inserted;
DROP TRIGGER memberships_updated;
DROP TRIGGER memberships_deleted;
DROP TABLE names_version;

CREATE TRIGGER subjects_inserted_changes AFTER INSERT ON subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER subjects_updated_changes AFTER UPDATE ON subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER subjects_deleted_changes AFTER DELETE ON subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER aliases_inserted_changes AFTER INSERT ON aliases
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER aliases_updated_changes AFTER UPDATE ON aliases
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER aliases_deleted_changes AFTER DELETE ON aliases
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER memberships_inserted_changes AFTER INSERT ON memberships
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER memberships_updated_changes AFTER UPDATE ON memberships
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER memberships_deleted_changes AFTER DELETE ON memberships
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'names'; END;
CREATE TRIGGER facts_inserted_changes AFTER INSERT ON facts
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER facts_updated_changes AFTER UPDATE ON facts
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER facts_deleted_changes AFTER DELETE ON facts
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_subjects_inserted_changes AFTER INSERT ON fact_subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_subjects_updated_changes AFTER UPDATE ON fact_subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_subjects_deleted_changes AFTER DELETE ON fact_subjects
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_sources_inserted_changes AFTER INSERT ON fact_sources
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_sources_updated_changes AFTER UPDATE ON fact_sources
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER fact_sources_deleted_changes AFTER DELETE ON fact_sources
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'facts'; END;
CREATE TRIGGER chats_inserted_changes AFTER INSERT ON chats
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER chats_updated_changes AFTER UPDATE ON chats
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER chats_deleted_changes AFTER DELETE ON chats
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER subscriptions_inserted_changes AFTER INSERT ON subscriptions
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER subscriptions_updated_changes AFTER UPDATE ON subscriptions
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER subscriptions_deleted_changes AFTER DELETE ON subscriptions
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER editors_inserted_changes AFTER INSERT ON editors
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER editors_updated_changes AFTER UPDATE ON editors
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
CREATE TRIGGER editors_deleted_changes AFTER DELETE ON editors
BEGIN UPDATE changes SET version = version + 1 WHERE part = 'chats'; END;
