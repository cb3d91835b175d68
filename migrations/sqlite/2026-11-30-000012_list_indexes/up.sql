-- Issue 13: the order and ledger lists read a page by keyset, newest first within a
-- filter, and count at most 1,001 rows. Each index below lets one filter read its page
-- (and its count) as a range of an index ending in id, instead of filtering the
-- primary key or sorting the matches.

-- My orders of one status.
CREATE INDEX orders_user_status_idx ON orders (user_id, status, id);
-- Admin filters by status, provider and manual flag. The first two replace the
-- single-column indexes, which they cover.
CREATE INDEX orders_status_id_idx ON orders (status, id);
DROP INDEX orders_status_idx;
CREATE INDEX orders_provider_id_idx ON orders (provider_id, id);
DROP INDEX orders_provider_idx;
CREATE INDEX orders_manual_idx ON orders (is_manual, id);
-- The review filter and the navigation badge's count; the query writes this
-- predicate out with its values so the index matches.
CREATE INDEX orders_needs_review_idx ON orders (id) WHERE forward_state = 'unknown' OR review_reason IS NOT NULL;
-- Date-range lists are ordered by (created_at, id); it also serves the dashboard's
-- ranges, so it replaces the single-column index.
CREATE INDEX orders_created_idx ON orders (created_at, id);
DROP INDEX orders_created_at_idx;

-- Search by part of a link: an FTS5 table with the trigram tokenizer indexes every
-- three characters of each link (external content: the links stay in orders only),
-- kept in step by triggers. A phrase query finds the orders whose link contains a term
-- of three characters or more; the query still checks each with LIKE. No column sizes
-- (columnsize=0): they serve ranking, which the search does not do, and writing them
-- cost every order's insert about a sixth more.
CREATE VIRTUAL TABLE orders_link_fts USING fts5(link, content='orders', content_rowid='id', tokenize='trigram', columnsize=0);
INSERT INTO orders_link_fts (orders_link_fts) VALUES ('rebuild');
CREATE TRIGGER orders_link_fts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_link_fts (rowid, link) VALUES (new.id, new.link);
END;
CREATE TRIGGER orders_link_fts_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_link_fts (orders_link_fts, rowid, link) VALUES ('delete', old.id, old.link);
END;
CREATE TRIGGER orders_link_fts_update AFTER UPDATE OF link ON orders BEGIN
    INSERT INTO orders_link_fts (orders_link_fts, rowid, link) VALUES ('delete', old.id, old.link);
    INSERT INTO orders_link_fts (rowid, link) VALUES (new.id, new.link);
END;
