-- The language a user chose with the switch (bn or en); NULL until they choose.
ALTER TABLE users ADD COLUMN language TEXT;
