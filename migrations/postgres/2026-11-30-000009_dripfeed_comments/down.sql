DROP TABLE order_extras;
ALTER TABLE services DROP COLUMN dripfeed;
ALTER TABLE services DROP COLUMN kind;
