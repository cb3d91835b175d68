ALTER TABLE providers DROP COLUMN currency;
