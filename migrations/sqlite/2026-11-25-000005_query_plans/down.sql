DROP INDEX orders_created_at_idx;
DROP INDEX orders_queue_idx;
DROP INDEX orders_sync_idx;
CREATE INDEX orders_sync_idx ON orders (provider_id, forward_state, status, last_status_check);
