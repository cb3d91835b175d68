DROP TABLE audit_log;
DROP TABLE settings;
DROP TABLE ledger_entries;
DROP TABLE users;
