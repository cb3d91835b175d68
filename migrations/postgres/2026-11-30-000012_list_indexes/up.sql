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

-- Search by part of a link: a trigram index serves LIKE '%term%'. pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension (PostgreSQL 13+: any role that may
-- create objects in the database can add it). Where it cannot be added, the search
-- still works, by scanning, and the server logs a warning.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX orders_link_trgm_idx ON orders USING gin (link gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'orders_link_trgm_idx not created (%): searching orders by link will scan the orders', SQLERRM;
END
$$;
