-- Every change to an order is a compare-and-set on `version` (the order state machine).
ALTER TABLE orders ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
-- Consecutive failed status checks; at the review threshold the order is held for an admin.
ALTER TABLE orders ADD COLUMN status_errors BIGINT NOT NULL DEFAULT 0;
-- Why an order waits for an admin (sync escalation, a late provider answer, a stranded
-- provider); NULL when it does not. Sync leaves such orders alone until resolved.
ALTER TABLE orders ADD COLUMN review_reason TEXT;
CREATE INDEX orders_review_idx ON orders (id) WHERE review_reason IS NOT NULL;
