DROP INDEX orders_sync_idx;
ALTER TABLE providers DROP COLUMN multi_status;
DROP TABLE sync_schedule;
DROP TABLE sync_rounds;
