DROP TABLE order_requests;
ALTER TABLE services DROP COLUMN refill_days;
