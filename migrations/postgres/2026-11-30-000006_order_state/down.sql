DROP INDEX orders_review_idx;
ALTER TABLE orders DROP COLUMN review_reason;
ALTER TABLE orders DROP COLUMN status_errors;
ALTER TABLE orders DROP COLUMN version;
