-- Every answer shows each fact's subjects and sources. Building them per row with JSON
-- subqueries cost more than the rest of the query, so the facts row keeps a copy in the shape
-- the store reads: subject_refs [[id, slug, name], ...] and source_refs
-- [[title, url, publisher, published], ...], each in its position order.
-- The triggers below keep the copies right on every write path (store writes, undo, import,
-- renames, cascading deletes); the views say what they must equal, for triggers and checks.
ALTER TABLE facts ADD COLUMN subject_refs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE facts ADD COLUMN source_refs TEXT NOT NULL DEFAULT '[]';

CREATE VIEW fact_subject_refs(fact_id, refs) AS
SELECT f.id,
  (SELECT json_group_array(json_array(s.id, s.slug, s.name)) FROM
     (SELECT s.id, s.slug, s.name FROM fact_subjects fs JOIN subjects s ON s.id = fs.subject_id
      WHERE fs.fact_id = f.id ORDER BY fs.position) AS s)
FROM facts f;

CREATE VIEW fact_source_refs(fact_id, refs) AS
SELECT f.id,
  (SELECT json_group_array(json_array(title, url, publisher, published)) FROM
     (SELECT title, url, publisher, published FROM fact_sources
      WHERE fact_id = f.id ORDER BY position))
FROM facts f;

CREATE TRIGGER fact_subjects_inserted AFTER INSERT ON fact_subjects BEGIN
  UPDATE facts SET subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = NEW.fact_id)
  WHERE id = NEW.fact_id;
END;

CREATE TRIGGER fact_subjects_deleted AFTER DELETE ON fact_subjects BEGIN
  UPDATE facts SET subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = OLD.fact_id)
  WHERE id = OLD.fact_id;
END;

CREATE TRIGGER fact_subjects_updated AFTER UPDATE ON fact_subjects BEGIN
  UPDATE facts SET subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id)
  WHERE id IN (OLD.fact_id, NEW.fact_id);
END;

CREATE TRIGGER fact_sources_inserted AFTER INSERT ON fact_sources BEGIN
  UPDATE facts SET source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = NEW.fact_id)
  WHERE id = NEW.fact_id;
END;

CREATE TRIGGER fact_sources_deleted AFTER DELETE ON fact_sources BEGIN
  UPDATE facts SET source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = OLD.fact_id)
  WHERE id = OLD.fact_id;
END;

CREATE TRIGGER fact_sources_updated AFTER UPDATE ON fact_sources BEGIN
  UPDATE facts SET source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = facts.id)
  WHERE id IN (OLD.fact_id, NEW.fact_id);
END;

CREATE TRIGGER subjects_renamed AFTER UPDATE OF slug, name ON subjects
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name BEGIN
  UPDATE facts SET subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id)
  WHERE id IN (SELECT fact_id FROM fact_subjects WHERE subject_id = NEW.id);
END;

UPDATE facts SET
  subject_refs = (SELECT refs FROM fact_subject_refs WHERE fact_id = facts.id),
  source_refs = (SELECT refs FROM fact_source_refs WHERE fact_id = facts.id);
