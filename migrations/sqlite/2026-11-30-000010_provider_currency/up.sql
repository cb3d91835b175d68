-- The currency a provider charges in, set by an admin; when empty, its `balance`
-- reply says (another smm-panel answers BDT).
ALTER TABLE providers ADD COLUMN currency TEXT;
