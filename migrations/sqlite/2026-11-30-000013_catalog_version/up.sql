-- One counter that every change to the catalogue (services, categories) or the
-- settings (exchange rates) moves, in the same transaction as the change. Each process
-- caches the catalogue in memory and reloads it when the counter has moved, so two
-- processes sharing the database never price from a stale catalogue for long. Triggers,
-- not application code, so no write path can forget it.
CREATE TABLE catalog_version (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 1);

CREATE TRIGGER services_version_ins AFTER INSERT ON services BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER services_version_upd AFTER UPDATE ON services BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER services_version_del AFTER DELETE ON services BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER categories_version_ins AFTER INSERT ON categories BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER categories_version_upd AFTER UPDATE ON categories BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER categories_version_del AFTER DELETE ON categories BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER settings_version_ins AFTER INSERT ON settings BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER settings_version_upd AFTER UPDATE ON settings BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER settings_version_del AFTER DELETE ON settings BEGIN UPDATE catalog_version SET version = version + 1; END;
