-- The provider's service type ("Default", "Custom Comments", …) and whether it takes
-- drip-feed orders (runs × quantity, one run every interval minutes).
ALTER TABLE services ADD COLUMN kind TEXT NOT NULL DEFAULT 'Default';
ALTER TABLE services ADD COLUMN dripfeed BOOLEAN NOT NULL DEFAULT FALSE;
-- A drip-feed order's runs and interval (its quantity is the total, runs × per run),
-- and a custom-comments order's comments, one per line: only those orders have a row.
CREATE TABLE order_extras (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    runs BIGINT,
    run_interval BIGINT,
    comments TEXT
);
