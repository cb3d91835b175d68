DROP TABLE orders;
ALTER TABLE services DROP COLUMN accepts_username;
