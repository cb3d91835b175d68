-- A sync batch reads one provider's orders of one status in check order straight from
-- this index (never-checked first: SQLite sorts NULL first), instead of sorting them all.
DROP INDEX orders_sync_idx;
CREATE INDEX orders_sync_idx ON orders (provider_id, forward_state, status, last_status_check, id);
-- Claiming the oldest queued order walks only queued orders, in id order.
CREATE INDEX orders_queue_idx ON orders (forward_state, id);
-- The dashboard's figures for today and the last days.
CREATE INDEX orders_created_at_idx ON orders (created_at);
